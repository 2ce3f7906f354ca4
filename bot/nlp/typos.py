"""Same-sound typos of after-sales words, repaired before tokenisation (推货 → 退货).

Most Chinese typos come from pinyin input: the customer typed the right sound and picked the
wrong character (退宽, 维休, 头诉). A run of characters is replaced by a lexicon word when it
sounds the same, differs from it in few characters, is not itself a word jieba knows (so
克服 is never "corrected" to 客服) and does not cut through one (so the 复了 of 买重复了 is
not 服了). Replacements keep the length, so entity offsets still point into the same text.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin

from bot.nlp.lexicon import load_lexicon
from bot.nlp.spacy_zh import segmenter

# Two-character words may differ in one character; longer ones in up to two. Single characters
# have too many homophones to repair.
_MIN_LENGTH = 2
_MAX_LENGTH = 5


def _syllables(text: str) -> list[str]:
    # One entry per character: non-Chinese characters stand for themselves.
    syllables: list[str] = lazy_pinyin(text, errors=lambda chars: list(chars))  # type: ignore[arg-type,return-value]
    return syllables


def _is_chinese(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


@lru_cache(maxsize=1)
def _targets() -> dict[tuple[str, ...], str]:
    """Sound → lexicon word, for words whose sound no other lexicon word shares."""
    lexicon = load_lexicon()
    by_sound: dict[tuple[str, ...], set[str]] = {}
    for word in lexicon.terms + tuple(lexicon.concepts):
        if _MIN_LENGTH <= len(word) <= _MAX_LENGTH and _is_chinese(word):
            by_sound.setdefault(tuple(_syllables(word)), set()).add(word)
    return {sound: words.pop() for sound, words in by_sound.items() if len(words) == 1}


def _allowed_changes(length: int) -> int:
    return 1 if length == 2 else 2


def correct_typos(text: str) -> str:
    """`text` with same-sound misspellings of lexicon words replaced; same length."""
    targets = _targets()
    known = segmenter().FREQ
    boundaries = {end for _, _, end in segmenter().tokenize(text)} | {0}
    syllables = _syllables(text)
    if len(syllables) != len(text):  # a character pypinyin split or merged: leave it be
        return text
    chars = list(text)
    position = 0
    while position < len(chars):
        for length in range(_MAX_LENGTH, _MIN_LENGTH - 1, -1):
            window = "".join(chars[position : position + length])
            word = targets.get(tuple(syllables[position : position + length]))
            if (
                word is None
                or len(window) != length
                or position not in boundaries
                or position + length not in boundaries
                or window == word
                or known.get(window)
                or not _is_chinese(window)
                or sum(a != b for a, b in zip(window, word, strict=False))
                > _allowed_changes(length)
            ):
                continue
            chars[position : position + length] = word
            position += length - 1
            break
        position += 1
    return "".join(chars)

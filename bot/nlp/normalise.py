"""Text normalisation before tokenisation: one spelling for one meaning.

Traditional characters become simplified (OpenCC), full-width letters, digits and punctuation
become half-width (NFKC), runs of punctuation collapse, and emoji are dropped except the
stars and angry faces that carry meaning (ratings, anger).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

MAX_CHARS = 1000  # a longer message is cut: nobody's after-sales question needs more

_STARS = "⭐★"
_ANGRY = {"😡": "生气", "🤬": "生气", "💢": "生气", "😠": "生气", "👎": "差"}
# Pictographs, dingbats, symbols and their modifiers; stars are kept before this runs.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f3fb-\U0001f3ff]"
)
# OpenCC encodes to UTF-8, which raises on a lone surrogate (JSON can carry one as "\ud800"),
# and stops at the first NUL: both are dropped before it runs.
_UNENCODABLE = re.compile(r"[\x00\ud800-\udfff]")
_REPEATED_PUNCT = re.compile(r"([!?.,~。，！？、~…])\1+")
_SPACES = re.compile(r"\s+")
# OpenCC's t2s gives 帳 → 帐; mainland usage for money is 账 (帐 stays for 帐篷, 蚊帐).
_MAINLAND_VARIANTS = {
    "到帐": "到账",
    "帐户": "账户",
    "帐号": "账号",
    "帐单": "账单",
    "退帐": "退账",
}


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def encodable(text: str) -> str:
    """`text` with surrogate pairs joined and anything UTF-8 cannot encode (or OpenCC would stop
    at) removed, so every str can be normalised."""
    if not _UNENCODABLE.search(text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _UNENCODABLE.sub("", joined)


def _keep_stars(text: str) -> str:
    return text.replace("☆", "").replace("🌟", "⭐")


def normalise(text: str) -> str:
    """The canonical form of a customer's message (may be shorter than the original).

    Total over str: characters that cannot be encoded (lone surrogates) are dropped."""
    text = encodable(text[:MAX_CHARS])
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)
    for variant, standard in _MAINLAND_VARIANTS.items():
        text = text.replace(variant, standard)
    for emoji, word in _ANGRY.items():
        text = text.replace(emoji, word)
    text = _keep_stars(text)
    text = "".join(c if c in _STARS else _EMOJI.sub("", c) for c in text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip().lower()


def is_traditional(text: str) -> bool:
    """True if the text has characters that OpenCC would convert to simplified ones."""
    text = encodable(text)
    return _t2s().convert(text) != text


def comparable(text: str) -> str:
    """A message as the model reads it, without spaces or punctuation: 退貨！ and 退货 are the
    same message (used to keep evaluation lines out of the training data). Symbols stay:
    ⭐⭐⭐ is not ⭐⭐⭐⭐. A message of punctuation only compares as itself."""
    folded = normalise(text)
    kept = "".join(c for c in folded if unicodedata.category(c)[0] not in "PZ")
    return kept or folded

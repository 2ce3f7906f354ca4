"""Keywords of the survey's free text, ranked by how many comments mention them.

jieba cuts the words and its IDF table (shipped in the wheel) breaks ties: of two words in as
many comments, the rarer one in general Chinese says more. A negation is kept with its word
(不清晰, 没到账), since "清晰" alone would say the opposite of what the customers wrote.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import jieba

NEGATIONS = frozenset({"不", "没", "没有", "未", "太", "不太", "很难"})
# Words that occur in any comment about anything: particles, pronouns, the shop itself.
STOP_WORDS = frozenset(
    "的 了 是 我 你 你们 我们 他 她 它 这 那 这个 那个 就 都 也 还 又 很 非常 特别 比较 有点 一直 "
    "一下 一次 已经 还是 但是 而且 然后 因为 所以 如果 可以 能 会 要 想 说 问 吧 吗 呢 啊 呀 哦 嗯 "
    "有 没事 东西 什么 怎么 为什么 时候 现在 今天 昨天 客户 商家 店家 亲 真的 感觉 觉得 希望 "
    "不是 不会 不要 想要".split()
)
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")


@dataclass(frozen=True)
class Keyword:
    """A word, the comments that mention it, and their share of all comments."""

    word: str
    comments: int
    share: float
    shared_pain_point: bool = False  # more than the policy's share of dissatisfied comments


@cache
def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table and its median (for words it does not know)."""
    jieba.setLogLevel(logging.WARNING)
    with warnings.catch_warnings():  # jieba.analyse reads its table without closing the file
        warnings.simplefilter("ignore", ResourceWarning)
        from jieba import analyse
    tfidf = analyse.default_tfidf
    return tfidf.idf_freq, tfidf.median_idf


def words_of(comment: str) -> set[str]:
    """The comment's content words, each negation joined to the word it negates."""
    words: set[str] = set()
    pending = ""
    for token in jieba.lcut(comment):
        token = token.strip()
        if not token or not _WORD.search(token):
            pending = ""
            continue
        if token in NEGATIONS:
            pending = token
            continue
        if token in STOP_WORDS:  # 不是, 不会: a negated stop word says nothing either
            pending = ""
            continue
        word = pending + token
        pending = ""
        if len(word) >= 2:
            words.add(word)
    return words


def keywords(
    comments: Iterable[str], *, top: int = 15, pain_share: float | None = None
) -> list[Keyword]:
    """The `top` words by number of comments mentioning them. With `pain_share`, a word in
    more than that share of the comments is marked as a shared pain point."""
    texts = [c for c in comments if c and c.strip()]
    if not texts:
        return []
    counts = Counter(word for text in texts for word in words_of(text))
    idf, median_idf = _idf()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], -idf.get(item[0], median_idf)))
    return [
        Keyword(
            word=word,
            comments=count,
            share=count / len(texts),
            shared_pain_point=pain_share is not None and count / len(texts) > pain_share,
        )
        for word, count in ranked[:top]
    ]

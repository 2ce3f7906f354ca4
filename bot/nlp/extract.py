"""Deterministic entities from normalised text: amounts, ratings and times, as clean values.

Order numbers, phones and products come from the spaCy entity ruler; this module covers what
needs arithmetic or a calendar: Chinese numerals (cn2an) and date expressions (jionlp).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import cn2an
from dateutil.relativedelta import relativedelta

logger = logging.getLogger(__name__)

_CN_NUM = "零一二三四五六七八九十百千万两点"


@dataclass(frozen=True)
class Entity:
    """One extracted entity: character span in the normalised text and its clean value."""

    entity: str
    start: int
    end: int
    value: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def overlaps(self, other: Entity) -> bool:
        """True if the two spans share a character."""
        return self.start < other.end and other.start < self.end


def _number(text: str) -> Decimal | None:
    """'129' / '一百二十九' / '两' → Decimal, else None."""
    try:
        return Decimal(str(cn2an.cn2an(text, "smart")))
    except (ValueError, KeyError, InvalidOperation):
        return None


# --- amounts ------------------------------------------------------------------------------------

_AMOUNT = re.compile(
    rf"(?:[¥￥]\s*(?P<a>\d+(?:\.\d{{1,2}})?))"
    rf"|(?:(?P<b>\d+(?:\.\d{{1,2}})?|[{_CN_NUM}]+)\s*(?:元|块钱|块|rmb))"
)


def extract_amounts(text: str) -> list[Entity]:
    """Money amounts ('129元', '¥89.5', '一百二十九块') as Decimal strings with two places."""
    found = []
    for match in _AMOUNT.finditer(text):
        raw = match.group("a") or match.group("b")
        value = _number(raw)
        if value is not None and value > 0:
            found.append(Entity("amount", match.start(), match.end(), f"{value:.2f}"))
    return found


# --- ratings ------------------------------------------------------------------------------------

_RATING_WORDS = [  # longest first, so 非常不满意 is not read as 满意
    ("非常不满意", 1), ("很不满意", 1), ("特别不满意", 1), ("极不满意", 1),
    ("非常满意", 5), ("特别满意", 5), ("很满意", 5), ("超级满意", 5),
    ("不太满意", 2), ("不满意", 2), ("比较满意", 4), ("满意", 4),
    ("一般般", 3), ("一般", 3), ("还行", 3), ("凑合", 3), ("还可以", 3),
    ("满分", 5), ("五星好评", 5), ("好评", 5), ("挺好", 4), ("很好", 4),
]  # fmt: skip
_RATING_WORD = re.compile("|".join(w for w, _ in _RATING_WORDS))
# '一般' also means 'generally' ('退款一般几天'), '还行' 'it works': only a short answer is a score.
_AMBIGUOUS_WORDS = {"一般般", "一般", "还行", "凑合", "满意", "还可以", "挺好", "很好", "好评"}
_SHORT_ANSWER = 6  # characters
_RATING_SCORE = re.compile(rf"(?P<n>\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*(?:分|星|颗星)")
_RATING_ALONE = re.compile(r"^\s*(?P<n>\d{1,2}|[一二三四五六七八九十])\s*[.!。]?\s*$")
_STARS = re.compile(r"[⭐★]+")


def extract_ratings(text: str) -> list[Entity]:
    """A 1–5 style score: '5', '五分', '4星', '⭐⭐⭐', '非常满意'. Out-of-range numbers are
    returned as they are (e.g. 10 for '10分') so the form can say what the range is."""
    found: list[Entity] = []
    for match in _STARS.finditer(text):
        found.append(Entity("rating", match.start(), match.end(), len(match.group())))
    for pattern in (_RATING_SCORE, _RATING_ALONE):
        for match in pattern.finditer(text):
            value = _number(match.group("n"))
            if value is not None and value == value.to_integral_value():
                found.append(Entity("rating", match.start(), match.end(), int(value)))
    scores = dict(_RATING_WORDS)
    for match in _RATING_WORD.finditer(text):
        if match.group() in _AMBIGUOUS_WORDS and len(text) > _SHORT_ANSWER:
            continue
        found.append(Entity("rating", match.start(), match.end(), scores[match.group()]))
    return _without_overlaps(found)


# --- times --------------------------------------------------------------------------------------

_WEEKDAY = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天]")
_BARE_DAY = re.compile(r"[一二两三四五六七八九十\d]{1,3}号")  # '小一号' is a size, not the 1st
_SIZE_WORDS = "大小加换码"
# '文三路1号', '3号楼': house numbers in an address, not days of the month.
_ADDRESS_BEFORE = "路街道巷弄村"
_ADDRESS_AFTER = "楼栋幢院室铺"
_PART_OF_DAY_GREETING = re.compile(r"(?:早上|上午|中午|下午|晚上)好")
_NOT_BOOKABLE = {"现在", "目前", "刚才", "刚刚", "当时"}


def _not_a_time(text: str, start: int, end: int) -> bool:
    """Expressions jionlp reads as times that customers mean otherwise."""
    expression = text[start:end]
    if expression in _NOT_BOOKABLE:
        return True
    if _BARE_DAY.fullmatch(expression):
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        if before and before in _SIZE_WORDS + _ADDRESS_BEFORE or after and after in _ADDRESS_AFTER:
            return True
    return bool(_PART_OF_DAY_GREETING.match(text, start))


@lru_cache(maxsize=1)
def _time_extractor() -> Any:
    """jionlp's extractor, imported on first use: its import prints banners and takes ~1 s."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

    extractor = jionlp.ner.extract_time
    extractor("明天下午", time_base=0)  # warm-up: the first call builds its tables (~150 ms)
    return extractor


def warm_up() -> None:
    """Load the date parser now rather than on a customer's first date."""
    _time_extractor()


_PAST_MARKERS = re.compile(r"上(?:周|个|星期|礼拜|月)|昨|前天|去年|之前|以前")


def _forward_shift(expression: str) -> relativedelta | None:
    """How far to move a past date the customer surely meant in the future, if at all:
    a bare weekday ('周六') a week on, a bare day of the month ('3号') a month on."""
    if _PAST_MARKERS.search(expression):
        return None
    if _WEEKDAY.search(expression):
        return relativedelta(weeks=1)
    if "月" not in expression and re.search(r"[一二两三四五六七八九十\d]号", expression):
        return relativedelta(months=1)
    return None


# jionlp spends ~70 ms on each time expression it finds, so a message repeating 明天下午三点
# 170 times held the NLU (and every other customer) for 13 s. Customers name a time or two:
# only the text up to the MAX_TIME_WORDS-th time word, and at most MAX_TIME_CHARS, is parsed.
MAX_TIME_WORDS = 8
MAX_TIME_CHARS = 200
_TIME_WORD = re.compile(
    r"大?后天|今天|明天|昨天|前天|[上下本这]?[周星礼][期拜]?[一二三四五六日天末]|上午|下午|中午|晚上"
    r"|早上|凌晨|傍晚|[0-9一二三四五六七八九十两]+\s*(?:点|时|号|日|月)"
)


def _time_window(text: str) -> str:
    """The part of `text` worth giving the time parser."""
    words = list(_TIME_WORD.finditer(text))
    if len(words) > MAX_TIME_WORDS:
        text = text[: words[MAX_TIME_WORDS - 1].end()]
    return text[:MAX_TIME_CHARS]


def extract_times(text: str, now: dt.datetime) -> list[Entity]:
    """Date/time expressions ('明天下午', '下周三上午', '11月25号', '后天') as ISO local times.

    `now` is the shop's local time (naive or aware); a bare weekday or day of the month that
    jionlp places in the past is moved forward: customers book forwards.
    """
    base = now.replace(tzinfo=None)
    text = _time_window(text)  # offsets stay valid: the window is a prefix
    try:
        results = _time_extractor()(text, time_base=base.timestamp(), with_parsing=True)
    except Exception:  # the parser's own bugs must never cost a customer an answer
        logger.exception("date parser failed")
        return []
    found = []
    for item in results:
        detail = item.get("detail", {})
        if detail.get("type") != "time_point":
            continue
        begin, finish = item["offset"]
        if _not_a_time(text, begin, finish):
            continue
        start, end = (dt.datetime.fromisoformat(t) for t in detail["time"])
        expression = item["text"]
        shift = _forward_shift(expression) if end < base else None
        if shift is not None:
            start, end = start + shift, end + shift
        found.append(
            Entity(
                "time",
                begin,
                finish,
                start.isoformat(),
                {
                    "end": end.isoformat(),
                    "definition": detail.get("definition"),
                    "text": expression,
                },
            )
        )
    return found


def _without_overlaps(entities: list[Entity]) -> list[Entity]:
    """Keep the longest of overlapping spans (then the earliest)."""
    kept: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
        if not any(entity.overlaps(k) for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)


def extract_all(text: str, now: dt.datetime, taken: list[Entity] | None = None) -> list[Entity]:
    """Amounts, ratings and times, skipping spans already `taken` by other extractors."""
    taken = list(taken or [])
    result: list[Entity] = []
    # times first: '下午3点' must not lose its '3点' to anything else
    for entity in extract_times(text, now) + extract_amounts(text) + extract_ratings(text):
        if not any(entity.overlaps(t) for t in taken):
            result.append(entity)
            taken.append(entity)
    return sorted(result, key=lambda e: e.start)

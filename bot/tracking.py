"""Return-parcel tracking numbers as customers type them: 顺丰 SF1234567890123, 中通 7512…

A number with its courier's letter prefix names the courier itself; a number of plain digits
needs the courier's name beside it. Formats are the couriers' published shapes, loosely: the
point is to catch a typo or a phone number given by mistake, not to query the courier.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Courier:
    """A courier the shop accepts returns by."""

    code: str
    name: str
    aliases: tuple[str, ...]  # how customers name it
    pattern: re.Pattern[str]  # the whole number, upper case, separators removed


COURIERS = {
    c.code: c
    for c in (
        Courier("SF", "顺丰", ("顺丰", "順豐", "sf"), re.compile(r"SF\d{12,13}|\d{12}")),
        Courier("YTO", "圆通", ("圆通", "圓通", "yt"), re.compile(r"YT\d{13,15}")),
        Courier("ZTO", "中通", ("中通",), re.compile(r"\d{12,15}")),
        Courier("STO", "申通", ("申通",), re.compile(r"\d{12,15}")),
        Courier("YD", "韵达", ("韵达", "韻達"), re.compile(r"\d{13,15}")),
        Courier("JT", "极兔", ("极兔", "極兔", "jt"), re.compile(r"JT\d{13}")),
        Courier("JD", "京东", ("京东", "京東", "jd"), re.compile(r"JD[A-Z]{0,2}\d{12,15}")),
        Courier("EMS", "邮政EMS", ("邮政", "郵政", "ems"), re.compile(r"E[A-Z]\d{9}CN|\d{13}")),
        Courier("DB", "德邦", ("德邦",), re.compile(r"DPK\d{12}|\d{9,12}")),
    )
}
# Letter prefixes that name their courier on their own.
_PREFIXED = (("JT", "JT"), ("JD", "JD"), ("SF", "SF"), ("YT", "YTO"), ("DPK", "DB"))
_CANDIDATE = re.compile(r"(?<![A-Z0-9])(?:[A-Z]{1,3} ?)?\d[\d\s-]{7,18}\d(?:CN)?(?![A-Z0-9])")


@dataclass(frozen=True)
class Tracking:
    """A validated tracking number and its courier."""

    courier: Courier
    number: str


def _named_courier(text: str) -> Courier | None:
    lower = text.lower()
    named = [c for c in COURIERS.values() if any(alias in lower for alias in c.aliases)]
    return named[0] if len(named) == 1 else None


def _prefixed_courier(number: str) -> Courier | None:
    for prefix, code in _PREFIXED:
        if number.startswith(prefix):
            return COURIERS[code]
    return None


def parse_tracking(text: str) -> Tracking | None:
    """The one tracking number in `text` with its courier, or None if there is none, it has
    no courier (plain digits, none named), or it does not fit its courier's format."""
    folded = unicodedata.normalize("NFKC", text).upper()
    candidates = [re.sub(r"[\s-]", "", m.group()) for m in _CANDIDATE.finditer(folded)]
    if len(candidates) != 1:
        return None
    number = candidates[0]
    courier = _prefixed_courier(number) or _named_courier(folded)
    if courier is None or not courier.pattern.fullmatch(number):
        return None
    return Tracking(courier, number)

"""Order numbers and phone numbers as customers type them, normalised and masked."""

from __future__ import annotations

import re
import unicodedata

ORDER_NO_RE = re.compile(r"(?:[A-Z]{1,4})?\d{10,20}")
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]+")
# A mainland mobile inside free text: optional +86, optional spaces or dashes (3-4-4), not
# part of a longer run of digits such as an order number.
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d{4}){2}(?!\d)")


def _fold(text: str) -> str:
    """Full-width to half-width, separators dropped."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def normalise_order_no(text: str) -> str | None:
    """'jd 2024-1115-0003' → 'JD202411150003'; None if it is not shaped like an order number."""
    folded = _fold(text).upper()
    return folded if ORDER_NO_RE.fullmatch(folded) else None


def normalise_phone(text: str) -> str | None:
    """A mainland mobile in its 11-digit form ('+86 138-0013-8000' → '13800138000'), or None."""
    folded = _fold(text)
    for prefix in ("+86", "0086", "86"):
        if folded.startswith(prefix) and len(folded) == len(prefix) + 11:
            folded = folded[len(prefix) :]
            break
    return folded if MOBILE_RE.fullmatch(folded) else None


def find_phone(text: str) -> str | None:
    """The first mainland mobile written anywhere in `text`, in its 11-digit form."""
    match = PHONE_IN_TEXT.search(unicodedata.normalize("NFKC", text))
    return normalise_phone(match.group()) if match else None


def normalise_last4(text: str) -> str | None:
    """Four digits (the end of a phone number), or None."""
    folded = _fold(text)
    return folded if re.fullmatch(r"\d{4}", folded) else None


def mask_phone(phone: str) -> str:
    """'13800138000' → '138****8000': safe to show, log or keep in a conversation."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"

"""Order numbers and phone numbers as customers type them, normalised and masked."""

from __future__ import annotations

import re
import unicodedata

ORDER_NO_RE = re.compile(r"(?:[A-Z]{1,4})?[0-9]{10,20}")
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# The web widget's conversation ids (widget.js makes web-<uuid>); only the web channel uses them.
WIDGET_PREFIX = "web-"
WIDGET_SENDER = re.compile(r"web-[0-9a-f-]{32,36}")
WIDGET_KEY_HEADER = "X-Web-Channel-Key"  # how the page's server proves itself to the web channel
CLIENT_ADDRESS_HEADER = "X-Web-Client-Address"  # the browser's address, from the page's server


def proxied_client(forwarded_for: str | None) -> str | None:
    """The client address our own proxy appended to X-Forwarded-For (its last entry: the ones
    before it are whatever the client sent), or None."""
    last = (forwarded_for or "").split(",")[-1].strip()
    return last[:64] or None


_SEPARATORS = re.compile(r"[\s\-()（）]+")

# What customers put between the digits of a phone number, after NFKC folding (which turns
# full-width （）－．and the ideographic space into ( ) - . and a space): spaces, hyphens and
# dashes, dots, brackets and middle dots.
PHONE_SEPARATORS = r"\s\-.()·・\u2010-\u2015\u2212"
_SEP = f"[{PHONE_SEPARATORS}]{{0,4}}"  # a few at most: "(139) 0013-9000", never a paragraph
# The one definition of a mainland mobile as a customer writes it, on NFKC-folded text: an
# optional +86/0086/86 prefix, then 1[3-9] and nine more digits with separators anywhere
# between them. ASCII digits only: NFKC has already folded full-width and other forms.
_PHONE = rf"\(?(?:(?:\+|00)?86{_SEP})?1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}"
# Inside free text a phone must not be part of a longer run of digits (an order number such
# as 202411150003 or 13800138000123 is not a phone).
PHONE_IN_TEXT = re.compile(rf"(?<![0-9]){_PHONE}(?![0-9])")
_PHONE_WHOLE = re.compile(rf"[{PHONE_SEPARATORS}]*{_PHONE}[{PHONE_SEPARATORS}]*")


def _fold(text: str) -> str:
    """Full-width to half-width, separators dropped."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def _eleven_digits(written: str) -> str:
    """The 11-digit mobile of a string PHONE_IN_TEXT or _PHONE_WHOLE matched."""
    digits = re.sub(r"[^0-9]", "", written)
    return digits[-11:]  # the prefix (86, 0086) if any is before the mobile's 11 digits


def normalise_order_no(text: str) -> str | None:
    """'jd 2024-1115-0003' → 'JD202411150003'; None if it is not shaped like an order number."""
    folded = _fold(text).upper()
    return folded if ORDER_NO_RE.fullmatch(folded) else None


def normalise_phone(text: str) -> str | None:
    """A mainland mobile in its 11-digit form, or None.

    Accepts what customers type: '+86 138-0013-8000', '(138)0013-8000', '138.0013.8000',
    '0086 13800138000', full-width digits; the whole of `text` must be the phone.
    """
    if not isinstance(text, str):
        return None
    folded = unicodedata.normalize("NFKC", text)
    return _eleven_digits(folded) if _PHONE_WHOLE.fullmatch(folded) else None


def find_phone(text: str) -> str | None:
    """The first mainland mobile written anywhere in `text`, in its 11-digit form."""
    match = PHONE_IN_TEXT.search(unicodedata.normalize("NFKC", text))
    return _eleven_digits(match.group()) if match else None


def normalise_last4(text: str) -> str | None:
    """Four digits (the end of a phone number), or None."""
    folded = _fold(text)
    return folded if re.fullmatch(r"[0-9]{4}", folded) else None  # not Arabic-Indic ٩٠٠٠


def mask_phone(phone: str) -> str:
    """'13800138000' → '138****8000': safe to show, log or keep in a conversation."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_proof(proof: str) -> str:
    """How a customer's proof of ownership may be kept or shown: '138****8000' for a phone in
    any form normalise_phone accepts, '****8000' for the last four digits, '****' otherwise."""
    if not isinstance(proof, str):
        return "****"
    phone = normalise_phone(proof)
    if phone:
        return mask_phone(phone)
    last4 = normalise_last4(proof)
    return f"****{last4}" if last4 else "****"

"""Redaction of stored conversation events: no full phone number, no channel credential.

Works on Rasa's event dictionaries (`event.as_dict()`), so it needs nothing from Rasa and is
easy to test. The live turn keeps the full text (ownership is checked against it); only what
is stored or streamed afterwards is redacted.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from typing import Any

from bot.identifiers import PHONE_IN_TEXT, mask_phone, normalise_phone

REDACTED = "[redacted]"
# Channel metadata that grants access and must not be replayable from a stored conversation,
# and the platforms' credentials as their APIs name them (a debug log of a request shows them).
SECRET_METADATA_KEYS = frozenset(
    {"customer_token", "token", "access_token", "authorization", "tenant_access_token",
     "corpsecret", "app_secret", "secret", "encrypt_key"}
)  # fmt: skip
_MASKED_PHONE = re.compile(r"1[3-9][0-9]\*{4}[0-9]{4}")
# A JWT (header.payload[.signature]): every JWT header starts with '{"', base64 "eyJ".
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?")


# Channel metadata nested deeper than this cannot be redacted (the redaction recurses) and no
# real client sends it: the channels refuse it with 400 instead of failing to store the turn.
MAX_DEPTH = 32


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Is `value` (a JSON value) nested more than `limit` lists or objects deep?"""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def mask_phones_in(text: str) -> str:
    """Every mobile number in `text` masked (138****8000), in every form normalise_phone
    accepts (separators, +86/0086 prefix, full-width digits); the rest of the text is left
    as it was (a reply's full-width ，and ：stay). Digit runs longer than a phone (order
    numbers) are left alone."""
    # Found in a copy folded character by character, so its positions are the text's own.
    folded = "".join(_fold(char) for char in text)
    parts, end = [], 0
    for match in PHONE_IN_TEXT.finditer(folded):
        phone = normalise_phone(match.group())
        if phone:
            parts += [text[end : match.start()], mask_phone(phone)]
            end = match.end()
    return "".join(parts) + text[end:] if parts else text


def _mask_phone_entity(value: str) -> str:
    """A phone entity's value masked. Already masked, it stays (redacting twice changes nothing);
    anything else is not shown at all."""
    phone = normalise_phone(value)
    if phone:
        return mask_phone(phone)
    return value if _MASKED_PHONE.fullmatch(value) else mask_phone("")


def _is_secret_key(key: object) -> bool:
    """customer_token, customerToken, access_token, Authorization, …"""
    name = str(key).lower().replace("-", "_")
    return name in SECRET_METADATA_KEYS or "token" in name or name == "authorization"


def redact_value(value: Any) -> Any:
    """Any JSON value with every phone masked and every credential replaced, however deep:
    a customer controls slot and entity values (`/inform{"phone": 13900139000}`) and channel
    metadata, so numbers, lists and objects are redacted as well as text."""
    if isinstance(value, str):
        return mask_phones_in(JWT.sub(REDACTED, value))  # a token's digits are not a phone
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        masked = mask_phones_in(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(k) else redact_value(v) for k, v in value.items()}
    return value


def _redact_parse_data(parse_data: dict[str, Any]) -> None:
    if isinstance(parse_data.get("text"), str):
        parse_data["text"] = redact_value(parse_data["text"])
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "phone" and isinstance(entity.get("value"), str):
            entity["value"] = _mask_phone_entity(entity["value"])
        else:  # a customer can put a phone into any entity: /inform{"order_id":"138…"}
            entity["value"] = redact_value(entity.get("value"))
    if "metadata" in parse_data:
        parse_data["metadata"] = redact_value(parse_data["metadata"])


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of one serialised event with phone numbers masked and credentials removed.
    Redacting a redacted event gives the same event."""
    event = copy.deepcopy(event)
    kind = event.get("event")
    if kind == "user":
        if isinstance(event.get("text"), str):
            event["text"] = redact_value(event["text"])
        _redact_parse_data(event.get("parse_data") or {})
    if kind == "bot":  # the bot's own words can carry a credential: a photo upload link
        if isinstance(event.get("text"), str):
            event["text"] = redact_value(event["text"])
        if "data" in event:
            event["data"] = redact_value(event["data"])
    if kind == "slot":
        # Order numbers (12+ digits, or letters and digits) are not phones and stay intact;
        # whatever else a customer put into a slot is masked (session_started_metadata holds
        # the first message's channel metadata).
        event["value"] = redact_value(event.get("value"))
    if "metadata" in event:  # user, bot and session_started events carry channel metadata
        event["metadata"] = redact_value(event["metadata"])
    return event

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
# Channel metadata that grants access and must not be replayable from a stored conversation.
SECRET_METADATA_KEYS = frozenset({"customer_token", "token", "access_token", "authorization"})
_MASKED_PHONE = re.compile(r"1[3-9][0-9]\*{4}[0-9]{4}")


def mask_phones_in(text: str) -> str:
    """Every mobile number in `text` masked (138****8000), in every form normalise_phone
    accepts (separators, +86/0086 prefix, full-width digits). The text comes back NFKC-folded;
    digit runs longer than a phone (order numbers) are left alone."""

    def mask(match: re.Match[str]) -> str:
        phone = normalise_phone(match.group())
        return mask_phone(phone) if phone else match.group()

    return PHONE_IN_TEXT.sub(mask, unicodedata.normalize("NFKC", text))


def _mask_phone_entity(value: str) -> str:
    """A phone entity's value masked. Already masked, it stays (redacting twice changes nothing);
    anything else is not shown at all."""
    phone = normalise_phone(value)
    if phone:
        return mask_phone(phone)
    return value if _MASKED_PHONE.fullmatch(value) else mask_phone("")


def _redact_parse_data(parse_data: dict[str, Any]) -> None:
    if isinstance(parse_data.get("text"), str):
        parse_data["text"] = mask_phones_in(parse_data["text"])
    for entity in parse_data.get("entities") or []:
        if not isinstance(entity.get("value"), str):
            continue
        if entity.get("entity") == "phone":
            entity["value"] = _mask_phone_entity(entity["value"])
        else:  # a customer can put a phone into any entity: /inform{"order_id":"138…"}
            entity["value"] = mask_phones_in(entity["value"])
    _redact_metadata(parse_data.get("metadata"))


def _redact_metadata(metadata: Any) -> None:
    if isinstance(metadata, dict):
        for key in metadata.keys() & SECRET_METADATA_KEYS:
            metadata[key] = REDACTED


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of one serialised event with phone numbers masked and credentials removed.
    Redacting a redacted event gives the same event."""
    event = copy.deepcopy(event)
    kind = event.get("event")
    if kind == "user":
        if isinstance(event.get("text"), str):
            event["text"] = mask_phones_in(event["text"])
        _redact_parse_data(event.get("parse_data") or {})
        _redact_metadata(event.get("metadata"))
    elif kind == "slot":
        # Order numbers (12+ digits, or letters and digits) are not phones and stay intact;
        # whatever else a customer typed into a slot is masked.
        if isinstance(event.get("value"), str):
            event["value"] = mask_phones_in(event["value"])
        else:  # session_started_metadata holds the first message's channel metadata
            _redact_metadata(event.get("value"))
    elif kind == "session_started":
        _redact_metadata(event.get("metadata"))
    return event

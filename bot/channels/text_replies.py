"""The bot's replies for platforms without buttons: each button becomes a numbered option,
and a customer's "2" is read back as the second option's payload.

Score buttons (payloads that are themselves numbers, as on the 1–5 rating scale) are listed
as they are, without a second numbering: their titles already show the number to type, and a
typed "5" must mean 5 points, not the fifth option.
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"^\s*([1-9])\s*[.。、]?\s*$")


def _is_scale(buttons: list[dict[str, Any]]) -> bool:
    return any(str(b.get("payload", "")).strip().isdigit() for b in buttons)


def as_plain_text(messages: list[dict[str, Any]]) -> str:
    """All of one turn's replies as one text, buttons as numbered options."""
    numbered = not _is_scale([b for m in messages for b in (m.get("buttons") or [])])
    parts: list[str] = []
    number = 0
    for message in messages:
        if message.get("text"):
            parts.append(str(message["text"]))
        for button in message.get("buttons") or []:
            number += 1
            title = str(button.get("title", ""))
            parts.append(f"{number}. {title}" if numbered else title)
    return "\n".join(parts)


def chosen_option(text: str, options: list[dict[str, Any]]) -> str:
    """The payload of option N when the customer answered just "N", else the text itself."""
    found = _NUMBER.match(text)
    if found and not _is_scale(options) and 1 <= int(found.group(1)) <= len(options):
        return str(options[int(found.group(1)) - 1].get("payload") or text)
    return text

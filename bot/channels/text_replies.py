"""The bot's replies for platforms without buttons: each button becomes a numbered option,
and a customer's "2" is read back as the second option's payload."""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"^\s*([1-9])\s*[.。、]?\s*$")


def as_plain_text(messages: list[dict[str, Any]]) -> str:
    """All of one turn's replies as one text, buttons as numbered options."""
    parts: list[str] = []
    number = 0
    for message in messages:
        if message.get("text"):
            parts.append(str(message["text"]))
        for button in message.get("buttons") or []:
            number += 1
            parts.append(f"{number}. {button.get('title', '')}")
    return "\n".join(parts)


def chosen_option(text: str, options: list[dict[str, str]]) -> str:
    """The payload of option N when the customer answered just "N", else the text itself."""
    found = _NUMBER.match(text)
    if found and 1 <= int(found.group(1)) <= len(options):
        return str(options[int(found.group(1)) - 1].get("payload") or text)
    return text

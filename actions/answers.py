"""Yes/no questions inside forms: the slot is filled by the affirm/deny intent (or the text),
and the answer is read from the customer's words first, then from that intent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.nlp.answers import answer_to_question
from bot.nlp.normalise import normalise


def yes_no_answer(tracker: Tracker, value: Any) -> bool | None:
    """True, False, or None when neither the words nor the intent say yes or no."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    words = normalise(str(tracker.latest_message.get("text") or value))
    return answer_to_question(words, intent)

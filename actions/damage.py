"""How the damage happened: asked before a free repair or a quality return, since the policy
excludes damage the buyer caused. The answer goes into the verdict and onto the request.

The question is always asked when the verdict depends on it: the words of a fault (洗衣机
不进水了, 把手掉下来了) too often sound like an accident to be read as the answer.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import chosen_item, is_verified
from bot.nlp.normalise import normalise
from bot.reasons import DamageCause, classify_damage_cause
from bot.services import settle_damage_cause

SLOT = "damage_cause"
NOT_ASKED = "-"  # the verdict did not depend on it (out of warranty, not a quality problem)
LEAVE_INTENTS = frozenset({"cancel", "human_handoff"})
INVALID = "utter_invalid_damage_cause"


def cause_of(tracker: Tracker) -> DamageCause | None:
    """The cause the conversation recorded, or None if it was not asked."""
    value = tracker.get_slot(SLOT)
    try:
        return DamageCause(value)
    except ValueError:
        return None


def _asked_again(tracker: Tracker) -> bool:
    """Did the bot's reply to the previous message say it did not understand the answer?
    (The form asks the question again after it, so it is not the last thing said.)"""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif event.get("event") == "bot" and users == 1:
            if (event.get("metadata") or {}).get("utter_action") == INVALID:
                return True
    return False


class DamageQuestion(ABC):
    """The question's extraction and validation, shared by the return and repair forms."""

    @abstractmethod
    async def verdict_for_cause(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, cause: DamageCause
    ) -> dict[str, Any] | None:
        """Say the policy's verdict given the cause; the slots it decides. None when the
        form is not at a point where the cause matters."""

    async def extract_damage_cause(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """While the question is open, an answer that names a cause (摔了 / 正常用着就坏了) is
        the answer whatever intent the NLU guessed for it; a person or "stop" still leaves."""
        message = tracker.latest_message
        intent = (message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") != SLOT or intent in LEAVE_INTENTS:
            return {}
        text = str(message.get("text") or "")
        if text.startswith("/") or classify_damage_cause(normalise(text)) is None:
            return {}
        return {SLOT: text}

    async def validate_damage_cause(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """How the fault came about, then the verdict that depends on it. An answer that
        says neither is asked once more; after that it is left to the inspection."""
        if not is_verified(tracker):
            return {SLOT: None}
        cause = classify_damage_cause(normalise(str(value)))
        if cause is None and not _asked_again(tracker):
            dispatcher.utter_message(response=INVALID)
            return {SLOT: None}
        said = cause or DamageCause.UNSURE
        cause = await asyncio.to_thread(
            settle_damage_cause, tracker.get_slot("order_id"), tracker.sender_id,
            chosen_item(tracker), said,
        )  # fmt: skip
        if cause is not said:  # an accident admitted before for this item still counts
            dispatcher.utter_message(response="utter_damage_told_before")
        elif cause is DamageCause.UNSURE:
            dispatcher.utter_message(response="utter_damage_to_be_inspected")
        verdict = await self.verdict_for_cause(dispatcher, tracker, cause)
        if verdict is None:
            return {SLOT: None}
        return {SLOT: cause.value, **verdict}

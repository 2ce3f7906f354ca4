"""Not understood: ask to rephrase; a second time in a row, offer a person instead."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

FALLBACK_INTENT = "nlu_fallback"


def previous_user_intent(tracker: Tracker) -> str | None:
    """The intent of the user message before the latest one, if any."""
    seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen += 1
            if seen == 2:
                return (event.get("parse_data", {}).get("intent") or {}).get("name")
    return None


class ActionHandleFallback(Action):
    """Rephrase prompt with the four jobs; after two misunderstandings, a person."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        again = previous_user_intent(tracker) == FALLBACK_INTENT
        dispatcher.utter_message(response="utter_offer_human" if again else "utter_please_rephrase")
        return []

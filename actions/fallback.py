"""Not understood: if two jobs are both likely, ask which one with buttons (the second stage of
a two-stage fallback); otherwise ask to rephrase; a second time in a row, offer a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

FALLBACK_INTENT = "nlu_fallback"
# Intents a customer can be asked to choose between; each has a button title in domain.yml
# (utter_choice_<intent>).
CHOOSABLE = (
    "request_return", "request_exchange", "report_wrong_item", "ask_refund_status",
    "urge_progress", "book_repair", "complain", "request_compensation", "human_handoff", "cancel",
)  # fmt: skip
MIN_CANDIDATE_CONFIDENCE = 0.1  # below this an intent is no real candidate


def likely_jobs(tracker: Tracker) -> list[str]:
    """The two choosable intents the classifier found most likely, if both are candidates."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    found = [
        str(r["name"])
        for r in ranking
        if r.get("name") in CHOOSABLE
        and float(r.get("confidence") or 0.0) >= MIN_CANDIDATE_CONFIDENCE
    ]
    return found[:2] if len(found) >= 2 else []


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
        candidates = [] if again else likely_jobs(tracker)
        if candidates:
            titles = domain.get("responses", {})
            buttons = [
                {"title": titles[f"utter_choice_{intent}"][0]["text"], "payload": f"/{intent}"}
                for intent in dict.fromkeys((*candidates, "human_handoff"))  # once each
                if f"utter_choice_{intent}" in titles
            ]
            dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
            return []
        dispatcher.utter_message(response="utter_offer_human" if again else "utter_please_rephrase")
        return []

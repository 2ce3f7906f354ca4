"""Policy questions (retrieval intent faq/*), answered with the policy module's numbers; the
first answer of a conversation that has had no survey is followed by one (job_done)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.policy import configured_rules


def selected_faq_response(tracker: Tracker) -> str | None:
    """The response the ResponseSelector chose for the latest message, e.g. 'utter_faq/warranty'."""
    selector = tracker.latest_message.get("response_selector", {})
    response = selector.get("faq", {}).get("response", {})
    return response.get("utter_action")


class ActionAnswerFaq(Action):
    """Say the chosen policy answer, filled in from the configured rules."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        response = selected_faq_response(tracker)
        if response is None or response not in domain.get("responses", {}):
            dispatcher.utter_message(response="utter_please_rephrase")
            return []
        dispatcher.utter_message(response=response, **configured_rules().template_values())
        return []


class ActionOfferSurvey(Action):
    """After a policy answer outside any job: the survey follows (job_done) if the question
    was answered and the conversation has not been offered one yet."""

    def name(self) -> str:
        return "action_offer_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        response = selected_faq_response(tracker)
        answered = response is not None and response in domain.get("responses", {})
        if not answered or tracker.get_slot("survey_offered"):
            return [SlotSet("job_done", False)]
        return [
            SlotSet("topic", "faq"),
            SlotSet("rating_subject", str(response).rpartition("/")[2][:24]),
            SlotSet("job_done", True),
        ]

"""The 1–5 satisfaction rating form that ends every conversation that did a job."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.answers import yes_no_answer
from actions.complaints import COMPENSATION
from actions.guard import GuardedAction
from actions.job_slots import form_slots, reset
from bot.nlp.extract import extract_ratings
from bot.nlp.normalise import normalise
from bot.policy import is_valid_score
from bot.services import save_rating

MAX_RETRIES = 2  # invalid answers re-asked at most twice, then the form lets the customer go
DECLINED = 0  # rating_overall when the customer would rather not rate
SKIP = "-"  # rating_comment when the customer has no suggestion
COMMENT_MAX_CHARS = 500
SHORT_SCORE_ANSWER = 6  # characters: a message this short with a score in it is the score
LEAVE_INTENTS = frozenset({"human_handoff", "cancel"})  # these leave the survey at any length
_DECLINE = re.compile(r"不想评|不评|不打分|跳过|算了|不用了")
_SKIP_COMMENT = re.compile(r"^(?:跳过|没有|没了|无|不用|不用了|没有了|no|none|算了|没)[。.!!]*$")


def survey_over(domain: dict[str, Any]) -> list[dict[str, Any]]:
    """Every answer of the survey cleared, so the next survey starts afresh."""
    return [*reset(form_slots(domain, "rating_form")), SlotSet("job_done", False)]


def _whole_number(value: Any) -> int | None:
    """An entity's value as a whole number; None for anything else (a customer can type
    `/inform{"rating":"abc"}`)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _score_in(tracker: Tracker, text: str) -> int | None:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "rating":
            return _whole_number(entity.get("value"))
    found = extract_ratings(normalise(text))
    return _whole_number(found[0].value) if found else None


def _give_up() -> dict[str, Any]:
    return {"rating_overall": DECLINED, "rating_solved": False, "rating_comment": SKIP}


class ValidateRatingForm(FormValidationAction):
    """Overall 1–5, solved yes/no, optional suggestion; invalid answers re-asked twice."""

    def name(self) -> str:
        return "validate_rating_form"

    def _retry(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> dict:
        retries = int(tracker.get_slot("rating_retries") or 0) + 1
        if retries > MAX_RETRIES:
            return _give_up()
        dispatcher.utter_message(response=f"utter_invalid_{slot}")
        return {slot: None, "rating_retries": retries}

    async def extract_rating_overall(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """A short answer with a score in it (还行吧, 5分, 不满意) is the score, whatever intent
        the NLU guessed for so few characters; a longer message, a person or "stop" still
        leaves the survey as the slot's mappings say."""
        message = tracker.latest_message
        intent = (message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") != "rating_overall" or intent in LEAVE_INTENTS:
            return {}
        scores = [e["value"] for e in message.get("entities", []) if e.get("entity") == "rating"]
        if scores and len(normalise(message.get("text") or "")) <= SHORT_SCORE_ANSWER:
            return {"rating_overall": scores[0]}
        return {}

    async def validate_rating_overall(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """A whole score from 1 to 5, however it was written."""
        text = str(value)
        if _DECLINE.search(text):
            return _give_up()
        score = _score_in(tracker, text)
        if score is None or not is_valid_score(score):
            return self._retry(dispatcher, tracker, "rating_overall")
        return {"rating_overall": score, "rating_retries": 0}

    async def validate_rating_solved(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Yes or no, for the first-contact resolution rate: the words of the whole answer
        first, then the affirm/deny intent that may have filled the slot."""
        answer = yes_no_answer(tracker, value)
        if answer is None:
            return self._retry(dispatcher, tracker, "rating_solved")
        return {"rating_solved": answer, "rating_retries": 0}

    async def validate_rating_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Any suggestion, or a skip."""
        text = str(value).strip()
        if not text or _SKIP_COMMENT.match(normalise(text)):
            return {"rating_comment": SKIP}
        return {"rating_comment": text[:COMMENT_MAX_CHARS]}


async def _save(tracker: Tracker, overall: int) -> None:
    comment = tracker.get_slot("rating_comment")
    await asyncio.to_thread(
        save_rating,
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        topic=tracker.get_slot("topic") or "other",
        overall=overall,
        solved=tracker.get_slot("rating_solved"),
        comment=None if comment in (None, SKIP) else comment,
        product_category=tracker.get_slot("product_category"),
    )


def _given_score(tracker: Tracker) -> int:
    return int(tracker.get_slot("rating_overall") or DECLINED)


# The follow-up intents that leave the survey, and the change each starts.
FOLLOWUP_CHANGES = {
    "ask_status": "status",
    "give_tracking_number": "tracking",
    "change_repair_visit": "reschedule",
    "add_complaint_details": "details",
}


class ActionLeaveRating(GuardedAction):
    """Stop the survey: the customer asked for a person, a complaint, a new job, or to stop.
    Those always win over the survey; a score already given is kept."""

    job = "rating"

    def name(self) -> str:
        return "action_leave_rating"

    def after_failure(self, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """The survey ends even if the score could not be saved."""
        return [ActiveLoop(None), SlotSet("requested_slot", None), *survey_over(domain)]

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if _given_score(tracker) != DECLINED:
            await _save(tracker, _given_score(tracker))
        events = [ActiveLoop(None), SlotSet("requested_slot", None), *survey_over(domain)]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = str(tracker.latest_message.get("text") or "")
        if intent in ("complain", "request_compensation") and not text.startswith("/"):
            # What they said may already describe the complaint (a button's payload does not).
            events.append(SlotSet("complaint_description", text))
        if intent == "request_compensation":  # the slot's own mapping fills only outside forms
            events.append(SlotSet("complaint_kind", COMPENSATION))
        if intent in FOLLOWUP_CHANGES:  # likewise: what the follow-up form is for
            events.append(SlotSet("followup_change", FOLLOWUP_CHANGES[intent]))
        return events


class ActionSaveRating(GuardedAction):
    """Store the rating once per conversation (a later one updates it) and thank the customer."""

    job = "rating"

    def name(self) -> str:
        return "action_save_rating"

    def after_failure(self, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """The answers are not asked again, saved or not."""
        return survey_over(domain)

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if _given_score(tracker) == DECLINED:
            dispatcher.utter_message(response="utter_rating_skipped")
            return survey_over(domain)
        await _save(tracker, _given_score(tracker))
        dispatcher.utter_message(response="utter_rating_thanks")
        return survey_over(domain)

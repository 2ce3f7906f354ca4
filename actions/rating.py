"""The satisfaction survey (policy section 6): overall 1–5 first; "solved?" only where the
conversation knows the outcome; then the other dimensions and the recommend question, one
tap each, any of which ends the survey with one tap on 跳过; then an optional suggestion.

It follows every job, and the first policy answer of a conversation. A person, a complaint,
a new job, a policy question or a goodbye always wins over it. A survey left without a
score is recorded as offered and declined, for the response rate.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.answers import yes_no_answer
from actions.complaints import COMPENSATION
from actions.guard import GuardedAction
from actions.handoff import asks_for_person
from actions.job_slots import form_slots, reset
from bot.nlp.extract import extract_ratings
from bot.nlp.normalise import normalise
from bot.policy import Dimension, is_valid_score
from bot.services import RatedService, StoreError, decline_survey, save_rating

logger = logging.getLogger(__name__)

MAX_RETRIES = 2  # invalid answers re-asked at most twice, then the form lets the customer go
DECLINED = 0  # rating_overall when the customer would rather not rate
SKIPPED = 0  # an optional dimension the customer skipped
SKIP = "-"  # rating_comment when the customer has no suggestion
COMMENT_MAX_CHARS = 500
SHORT_SCORE_ANSWER = 6  # characters: a message this short with a score in it is the score
# Topics whose outcome the conversation itself shows: an answer, a refund's status, a status.
OUTCOME_KNOWN = frozenset({"faq", "refund", "status"})
# The optional questions, in the order asked; each slot is named rating_<dimension>.
OPTIONAL = (
    Dimension.RESPONSIVENESS,
    Dimension.RESOLUTION,
    Dimension.PROFESSIONALISM,
    Dimension.PATIENCE,
    Dimension.PROACTIVENESS,
    Dimension.RECOMMEND,
)
OPTIONAL_SLOTS = tuple(f"rating_{d.value}" for d in OPTIONAL)
OUTCOME_SLOTS = ("rating_solved", "rating_resolution")  # asked only where the outcome is known
LEAVE_INTENTS = frozenset({"human_handoff", "cancel"})  # these leave the survey at any length
_DECLINE = re.compile(r"不想评|不评|不打分|跳过|算了|不用了")
_SKIP_COMMENT = re.compile(r"^(?:跳过|没有|没了|无|不用|不用了|没有了|no|none|算了|没)[。.!!]*$")
_SKIP_REST = re.compile(r"跳过|不答了|不想答|不回答|不用了|算了|结束|不评了|没空|下次|没了|没有了")


def survey_over(domain: dict[str, Any]) -> list[EventType]:
    """Every answer of the survey, and what it rated, cleared: the next survey starts afresh
    and never inherits this service's topic or product line."""
    return [
        *reset(form_slots(domain, "rating_form")),
        SlotSet("topic", None),
        SlotSet("product_category", None),
        SlotSet("job_done", False),
    ]


def _whole_number(value: Any) -> int | None:
    """An entity's value as a whole number; None for anything else (a customer can type
    `/inform{"rating":"abc"}`)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _score_in(tracker: Tracker, text: str) -> int | None:
    """A score the NLU found in the message, else one in `text`."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "rating":
            return _whole_number(entity.get("value"))
    found = extract_ratings(normalise(text))
    return _whole_number(found[0].value) if found else None


def _anchor_score(domain: dict[str, Any], slot: str, text: str) -> int | None:
    """The score of a scale anchor typed instead of tapped (非常快, 不太专业): the anchors
    are the titles of the question's own buttons ("5 非常快"), longest first."""
    variants = domain.get("responses", {}).get(f"utter_ask_{slot}") or [{}]
    anchors: list[tuple[str, int]] = []
    for button in variants[0].get("buttons", []):
        number, _, words = str(button.get("title", "")).partition(" ")
        if number.isdigit() and words:
            anchors.append((words, int(number)))
    for words, score in sorted(anchors, key=lambda anchor: -len(anchor[0])):
        if re.search(f"(?<!不){re.escape(words)}", text):  # 不一定会 is not 一定会
            return score
    return None


def _give_up() -> dict[str, Any]:
    """No score after the retries: the survey ends, recorded as declined."""
    return {
        "rating_overall": DECLINED,
        "rating_solved": False,
        **_rest_skipped(),
    }


def _rest_skipped(answered: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every optional question not yet answered marked skipped, the suggestion too."""
    answered = answered or {}
    return {
        **{slot: SKIPPED for slot in OPTIONAL_SLOTS if answered.get(slot) is None},
        "rating_comment": SKIP,
    }


def _intent(tracker: Tracker) -> str | None:
    """The latest message's intent."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def _leaving_intents(domain: dict[str, Any]) -> frozenset[str]:
    """The intents that leave the optional questions: those the overall score's text mapping
    refuses (a person, a new job, a question, thanks), except 算了, which skips the rest.
    Read from domain.yml, so the two lists cannot drift apart."""
    for mapping in domain.get("slots", {}).get("rating_overall", {}).get("mappings", []):
        if mapping.get("type") == "from_text":
            return frozenset(mapping.get("not_intent", [])) - {"cancel"}
    return frozenset()


def _optional_validator(slot: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    """`validate_<slot>` of an optional question: its score, or 跳过 ending the survey."""

    async def validate(
        self: ValidateRatingForm, value: Any, dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict,
    ) -> dict[str, Any]:  # fmt: skip
        return await self._validate_optional(slot, value, dispatcher, tracker, domain)

    validate.__doc__ = f"{slot}: a 1–5 score, or skip the rest."
    return validate


class ValidateRatingForm(FormValidationAction):
    """Overall 1–5, then the rest as described above; invalid answers re-asked twice."""

    def name(self) -> str:
        return "validate_rating_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:  # fmt: skip
        """No "solved?" (nor the resolution score) before the outcome is known: a return or
        a repair is resolved when it closes, and its rating learns it then."""
        slots = list(domain_slots)
        if tracker.get_slot("topic") not in OUTCOME_KNOWN:
            slots = [slot for slot in slots if slot not in OUTCOME_SLOTS]
        if tracker.get_slot("rating_comment") == SKIP:  # skipped: nothing more is asked
            slots = [slot for slot in slots if slot != "rating_solved"]
        return slots

    def _retry(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> dict:
        retries = int(tracker.get_slot("rating_retries") or 0) + 1
        if retries > MAX_RETRIES:
            return _give_up() if slot == "rating_overall" else self._skip_rest(tracker)
        dispatcher.utter_message(response=f"utter_invalid_{slot}")
        return {slot: None, "rating_retries": retries}

    @staticmethod
    def _skip_rest(tracker: Tracker) -> dict[str, Any]:
        answered = {slot: tracker.get_slot(slot) for slot in OPTIONAL_SLOTS}
        return {**_rest_skipped(answered), "rating_retries": 0}

    async def extract_rating_overall(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """A short answer with a score in it (还行吧, 5分, 不满意) is the score, whatever intent
        the NLU guessed for so few characters; a longer message, a person or "stop" still
        leaves the survey as the slot's mappings say."""
        message = tracker.latest_message
        if (
            tracker.get_slot("requested_slot") != "rating_overall"
            or _intent(tracker) in LEAVE_INTENTS
        ):
            return {}
        scores = [e["value"] for e in message.get("entities", []) if e.get("entity") == "rating"]
        if scores and len(normalise(message.get("text") or "")) <= SHORT_SCORE_ANSWER:
            return {"rating_overall": scores[0]}
        return {}

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The optional questions take any answer as theirs (a tap, a score, 跳过), except a
        longer message asking for something else, which leaves the survey."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        slot = tracker.get_slot("requested_slot")
        if slot not in OPTIONAL_SLOTS:
            return events
        text = str(tracker.latest_message.get("text") or "")
        short = len(normalise(text)) <= SHORT_SCORE_ANSWER
        leaving = _intent(tracker) in _leaving_intents(domain)
        if leaving and not (short and _score_in(tracker, text)):
            return events
        if text.startswith("/"):  # a payload: only a score it carries is an answer
            score = _score_in(tracker, "")
            return events + ([SlotSet(slot, score)] if score is not None else [])
        events.append(SlotSet(slot, text or "跳过"))
        return events

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Validate as the SDK does; a message that asks for a person ends the survey, keeping
        any score in it, and the person is asked for next (rating_handoff)."""
        text = normalise(str(tracker.latest_message.get("text") or ""))
        # A message the NLU read as 转人工 leaves by the rules; one it read as a score (转人工
        # 1分) is caught by its words.
        by_words = _intent(tracker) != "human_handoff" and asks_for_person(text)
        asked = tracker.get_slot("requested_slot")
        if asked in (None, "rating_comment") or not by_words:  # 希望多些人工客服 is a suggestion
            return await super().get_validation_events(dispatcher, tracker, domain)
        ended: dict[str, Any] = {
            "rating_handoff": True,
            "rating_solved": None,
            **self._skip_rest(tracker),
        }
        if asked == "rating_overall":
            score = _score_in(tracker, text)
            ended["rating_overall"] = (
                score if score is not None and is_valid_score(score) else DECLINED
            )
        return [SlotSet(slot, value) for slot, value in ended.items()]

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
        if answer is not None:
            return {"rating_solved": answer, "rating_retries": 0}
        if isinstance(value, str) and _SKIP_REST.search(normalise(value)):
            return {"rating_solved": None, **self._skip_rest(tracker)}
        return self._retry(dispatcher, tracker, "rating_solved")

    async def _validate_optional(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:  # fmt: skip
        """A 1–5 score (a tap, a number, the scale's own words), or 跳过, which ends it."""
        text = normalise(str(value))
        score = _anchor_score(domain, slot, text)
        if score is None:
            found = _score_in(tracker, text)
            score = found if is_valid_score(found) else None
        if score is not None:
            return {slot: score, "rating_retries": 0}
        if _SKIP_REST.search(text) or _intent(tracker) == "cancel":
            return self._skip_rest(tracker)
        return self._retry(dispatcher, tracker, slot)

    # One validator per optional question (the SDK finds them by name): a 1–5 score or 跳过.
    validate_rating_responsiveness = _optional_validator("rating_responsiveness")  # 响应及时性
    validate_rating_resolution = _optional_validator("rating_resolution")  # 问题解决能力
    validate_rating_professionalism = _optional_validator("rating_professionalism")  # 服务专业性
    validate_rating_patience = _optional_validator("rating_patience")  # 沟通耐心度
    validate_rating_proactiveness = _optional_validator("rating_proactiveness")  # 主动服务意识
    validate_rating_recommend = _optional_validator("rating_recommend")  # 推荐意愿

    async def validate_rating_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Any suggestion, or a skip."""
        text = str(value).strip()
        closing = _intent(tracker) in ("thank", "goodbye") and len(text) <= SHORT_SCORE_ANSWER
        payload = text.startswith("/")  # a button's or a forged payload is nobody's suggestion
        if not text or closing or payload or _SKIP_COMMENT.match(normalise(text)):
            return {"rating_comment": SKIP}
        return {"rating_comment": text[:COMMENT_MAX_CHARS]}


def _service(tracker: Tracker) -> RatedService:
    """What the survey rates, from the job that just ended."""
    return RatedService(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        topic=tracker.get_slot("topic") or "other",
        subject=tracker.get_slot("rating_subject"),
        product_category=tracker.get_slot("product_category"),
    )


def _scores(tracker: Tracker) -> dict[Dimension, int | None]:
    """Every dimension's score; a skipped one is None."""
    scores: dict[Dimension, int | None] = {Dimension.OVERALL: _given_score(tracker)}
    for dimension, slot in zip(OPTIONAL, OPTIONAL_SLOTS, strict=True):
        score = _whole_number(tracker.get_slot(slot))
        scores[dimension] = score if is_valid_score(score) else None
    return scores


async def _save(tracker: Tracker) -> None:
    """Store the answers given."""
    comment = tracker.get_slot("rating_comment")
    await asyncio.to_thread(
        save_rating,
        _service(tracker),
        _scores(tracker),
        solved=tracker.get_slot("rating_solved"),
        comment=None if comment in (None, SKIP) else comment,
    )


async def _record(tracker: Tracker) -> None:
    """Save what was answered; a survey with no score stays recorded as declined."""
    if _given_score(tracker) == DECLINED:
        await asyncio.to_thread(decline_survey, _service(tracker))
    else:
        await _save(tracker)


def _given_score(tracker: Tracker) -> int:
    score = _whole_number(tracker.get_slot("rating_overall"))
    return score if score is not None and is_valid_score(score) else DECLINED


LOW_SCORES = (1, 2)  # 非常不满意, 不满意: met with an apology and a person, not thanks


def _thanks(tracker: Tracker) -> str:
    """How the survey ends: thanks; an apology and a person after a low score or an
    unsolved problem; a short goodbye when no score was given."""
    score = _given_score(tracker)
    if score == DECLINED:
        return "utter_rating_skipped"
    if score in LOW_SCORES or tracker.get_slot("rating_solved") is False:
        return "utter_rating_thanks_low"
    return "utter_rating_thanks"


class ActionAskRatingOverall(Action):
    """Ask the overall score; record the survey as offered (declined until answered, so a
    customer who just leaves counts in the response rate) and remember that this
    conversation was offered one (the first policy answer offers one only if nothing has)."""

    def name(self) -> str:
        return "action_ask_rating_overall"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_rating_overall")
        try:
            await asyncio.to_thread(decline_survey, _service(tracker))
        except StoreError as exc:  # the question matters more than the count
            logger.warning("survey offer not recorded: %s", type(exc).__name__)
        return [SlotSet("survey_offered", True)]


# The follow-up intents that leave the survey, and the change each starts.
FOLLOWUP_CHANGES = {
    "ask_status": "status",
    "give_tracking_number": "tracking",
    "change_repair_visit": "reschedule",
    "add_complaint_details": "details",
}


class ActionLeaveRating(GuardedAction):
    """Stop the survey: the customer asked for a person, a complaint, a new job, a policy
    answer, or to stop. Those always win over the survey; what was answered is kept."""

    job = "rating"

    def name(self) -> str:
        return "action_leave_rating"

    def after_failure(self, domain: dict[str, Any]) -> list[EventType]:
        """The survey ends even if the score could not be saved."""
        return [ActiveLoop(None), SlotSet("requested_slot", None), *survey_over(domain)]

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await _record(tracker)
        events = [ActiveLoop(None), SlotSet("requested_slot", None), *survey_over(domain)]
        intent = _intent(tracker)
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

    def after_failure(self, domain: dict[str, Any]) -> list[EventType]:
        """The answers are not asked again, saved or not."""
        return [*survey_over(domain), SlotSet("handoff_wanted", False)]

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await _record(tracker)
        person = bool(tracker.get_slot("rating_handoff"))  # the rules hand over next
        if not person:
            dispatcher.utter_message(response=_thanks(tracker))
        return [*survey_over(domain), SlotSet("handoff_wanted", person)]

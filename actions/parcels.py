"""物流不动了 / 显示签收但没收到: order → ownership → where the parcel is (the policy's
verdict) → what the customer wants if it is lost → a logistics check the team answers."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guard import GuardedAction, show_open_request
from actions.identity import LOCKED, OrderOwnershipValidation, is_verified
from actions.job_slots import form_slots, reset
from actions.presentation import decision_values, local_time, readable
from bot.nlp.normalise import normalise
from bot.policy import ParcelProblem, Verdict
from bot.reasons import classify_parcel_problem, classify_parcel_remedy, looks_first
from bot.services import assess_parcel, open_parcel_check, open_parcel_ticket

FORM = "parcel_form"
NO_CHECK = "-"  # parcel_remedy when there is nothing to check (not shipped, still moving)
# A parcel signed for was not received, whatever the customer first called it.
PROBLEM_OF_VERDICT = {
    Verdict.PARCEL_NOT_RECEIVED: ParcelProblem.NOT_RECEIVED,
    Verdict.PARCEL_STALLED: ParcelProblem.STALLED,
}


class ActionStartParcelCheck(Action):
    """Apologise, and keep what the customer said was wrong for the check."""

    def name(self) -> str:
        return "action_start_parcel_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_parcel_sorry")
        problem = classify_parcel_problem(normalise(str(tracker.latest_message.get("text") or "")))
        return [SlotSet("parcel_problem", problem.value if problem else None)]


class ValidateParcelForm(OrderOwnershipValidation):
    """Ownership, then the verdict on the parcel as soon as the order is proved; the remedy
    is asked only when there is something to check."""

    def name(self) -> str:
        return "validate_parcel_form"

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Validate as the SDK does; once the order is proved, say where its parcel is."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        if not is_verified(tracker) or tracker.get_slot("parcel_checked"):
            return events
        reported = tracker.get_slot("parcel_problem")
        problem = ParcelProblem(reported) if reported else ParcelProblem.STALLED
        decision = await asyncio.to_thread(
            assess_parcel, tracker.get_slot("order_id"), tracker.sender_id, problem
        )
        # An order system without a scan yet still gets a sentence, not a placeholder.
        values = {"last_scan": "—", "last_scan_at": "—", **decision_values(decision)}
        dispatcher.utter_message(response=decision.message_key, **values)
        found = PROBLEM_OF_VERDICT.get(decision.verdict, problem)
        result = [SlotSet("parcel_checked", True), SlotSet("parcel_problem", found.value)]
        order_no, me = tracker.get_slot("order_id"), tracker.sender_id
        already = (
            await asyncio.to_thread(open_parcel_check, order_no, me) if decision.allowed else None
        )
        if already:  # one check per order: the open one is shown, no remedy is asked
            dispatcher.utter_message(response="utter_parcel_already_open", request_id=already)
            await show_open_request(dispatcher, already, me)
        if not decision.allowed or already:
            result.append(SlotSet("parcel_remedy", NO_CHECK))
        return events + result

    async def validate_parcel_remedy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Reship, refund, or wait for the carrier's answer, in the customer's words; 我再找找
        ends the job without a check."""
        text = normalise(str(value))
        if looks_first(text):
            dispatcher.utter_message(response="utter_parcel_look_first")
            return {"parcel_remedy": NO_CHECK}
        remedy = classify_parcel_remedy(text)
        if remedy is None:
            dispatcher.utter_message(response="utter_invalid_parcel_remedy")
            return {"parcel_remedy": None}
        return {"parcel_remedy": remedy.value}


class ActionOpenParcelCheck(GuardedAction):
    """Open the logistics check the customer asked for, or end quietly when the verdict
    (already said) left nothing to check."""

    job = "parcel"
    ends_job = True

    def name(self) -> str:
        return "action_open_parcel_check"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cleared = reset(form_slots(domain, FORM), keep=("order_id",))
        not_done = [*cleared, SlotSet("job_done", False)]
        if not is_verified(tracker):
            if tracker.get_slot("phone") != LOCKED:  # the lock message was already said
                dispatcher.utter_message(response="utter_order_not_verified")
            return not_done
        remedy, problem = tracker.get_slot("parcel_remedy"), tracker.get_slot("parcel_problem")
        if remedy in (None, NO_CHECK) or problem is None:
            return not_done
        receipt = await asyncio.to_thread(
            open_parcel_ticket, tracker.get_slot("order_id"), tracker.sender_id,
            ParcelProblem(problem), remedy,
        )  # fmt: skip
        dispatcher.utter_message(
            response=f"utter_parcel_check_opened_{receipt.remedy}",
            ticket_id=receipt.public_id,
            check_due=local_time(receipt.check_due),
            claim_deadline=readable(receipt.claim_deadline),
        )
        return [
            *cleared,
            SlotSet("topic", "parcel"),
            SlotSet("rating_subject", receipt.public_id),
            SlotSet("job_done", True),
        ]

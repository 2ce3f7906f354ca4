"""Leaving a form midway: cancel drops everything the job collected, so nothing leaks into
the next job (a verified order stays verified for the conversation); switching between return
and exchange keeps the order and asks the reason again under the new job's rules."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from actions import damage
from actions.job_slots import form_slots, job_slots, reset


class ActionCancelJob(Action):
    """Stop the active form without submitting anything."""

    def name(self) -> str:
        return "action_cancel_job"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_form_cancelled")
        return [ActiveLoop(None), *reset(job_slots(domain))]


class ActionLeaveJob(Action):
    """Leave the active form for a person: nothing is submitted and nothing it collected is
    kept for the next job (the proof of ownership stays)."""

    def name(self) -> str:
        return "action_leave_job"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [ActiveLoop(None), *reset(job_slots(domain))]


SWITCHES = {
    "request_exchange": "utter_switched_to_exchange",
    "request_return": "utter_switched_to_return",
}


class ActionSwitchJob(Action):
    """Return ⇄ exchange midway: the order, its proof and the item stay; the reason and the
    confirmation are asked again, since the verdict may differ."""

    def name(self) -> str:
        return "action_switch_job"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(response=SWITCHES.get(intent or "", "utter_switched_to_exchange"))
        answers = [s for s in form_slots(domain, "return_form") if s.startswith("return_")]
        answers.append(damage.SLOT)
        return [ActiveLoop(None), *reset([*answers, "requested_slot"])]

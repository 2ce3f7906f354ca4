"""Leaving a form midway: cancel drops everything the job collected, so nothing leaks into
the next job (a verified order stays verified for the conversation); switching between return
and exchange keeps the order and asks the reason again under the new job's rules."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.job_slots import job_slots, reset


class ActionCancelJob(Action):
    """Stop the active form without submitting anything."""

    def name(self) -> str:
        return "action_cancel_job"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_form_cancelled")
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
        return [
            ActiveLoop(None),
            SlotSet("return_reason", None),
            SlotSet("return_confirm", None),
            SlotSet("requested_slot", None),
        ]

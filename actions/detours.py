"""Leaving a form midway: cancel drops everything the job collected, so nothing leaks into
the next job (a verified order stays verified for the conversation)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

JOB_SLOTS = (
    "order_id", "phone", "return_reason", "return_confirm", "repair_fault", "repair_mode",
    "repair_address", "repair_slot", "complaint_description", "complaint_order",
    "complaint_severity", "requested_slot",
)  # fmt: skip


class ActionCancelJob(Action):
    """Stop the active form without submitting anything."""

    def name(self) -> str:
        return "action_cancel_job"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_form_cancelled")
        return [ActiveLoop(None), *(SlotSet(slot, None) for slot in JOB_SLOTS)]

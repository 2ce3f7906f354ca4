"""退款进度: a verified order's newest refund, in plain words, with its dates."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followup import say_status
from actions.guard import GuardedAction
from actions.identity import LOCKED, OrderOwnershipValidation, is_verified
from actions.job_slots import form_slots, reset
from actions.presentation import readable, route_name
from bot.policy import RefundStage, configured_rules
from bot.services import refund_status, request_status

STAGE_RESPONSES = {
    RefundStage.WAITING_FOR_GOODS: "utter_refund_waiting_for_goods",
    RefundStage.PROCESSING: "utter_refund_processing",
    RefundStage.PAID_OUT: "utter_refund_paid_out",
    RefundStage.CREDITED: "utter_refund_credited",
    RefundStage.OVERDUE: "utter_refund_overdue",
}


class ValidateRefundStatusForm(OrderOwnershipValidation):
    """Order number and ownership for the refund status lookup."""

    def name(self) -> str:
        return "validate_refund_status_form"


def _date(value: Any) -> str:
    return readable(value) if value else "—"


class ActionShowRefundStatus(GuardedAction):
    """Say where the refund stands; a job done only if the customer proved ownership."""

    job = "refund"
    ends_job = True

    def name(self) -> str:
        return "action_show_refund_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        cleared = reset(form_slots(domain, "refund_status_form"))
        if not is_verified(tracker):
            if tracker.get_slot("phone") != LOCKED:  # the lock message was already said
                dispatcher.utter_message(response="utter_order_not_verified")
            return [*cleared, SlotSet("job_done", False)]
        status = await asyncio.to_thread(
            refund_status, tracker.get_slot("order_id"), tracker.sender_id
        )
        if status is None:  # no refund yet: a return may still be on its way to one
            order_no = tracker.get_slot("order_id")
            views = await asyncio.to_thread(request_status, order_no, tracker.sender_id)
            if not views:
                dispatcher.utter_message(response="utter_no_refund_for_order")
                return [*cleared, SlotSet("job_done", False)]
            say_status(dispatcher, order_no, views)
            return [
                *cleared,
                SlotSet("topic", "refund"),
                SlotSet("rating_subject", views[0].public_id),
                SlotSet("job_done", True),
            ]
        rules = configured_rules()
        dispatcher.utter_message(
            response=STAGE_RESPONSES[status.stage],
            refund_id=status.public_id,
            product=status.product,
            amount=readable(status.amount),
            route=route_name(status.route),
            due_on=_date(status.due_on),
            credit_earliest=_date(status.credit_earliest),
            credit_latest=_date(status.credit_latest),
            credited_on=_date(status.credited_on),
            bank_min_days=rules.bank_credit_min_working_days,
            bank_max_days=rules.bank_credit_max_working_days,
        )
        return [
            *cleared,
            SlotSet("topic", "refund"),
            SlotSet("rating_subject", status.public_id),
            SlotSet("product_category", status.category),
            SlotSet("job_done", True),
        ]

"""退款进度: a verified order's newest refund, in plain words, with its dates."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import OrderOwnershipValidation, is_verified
from bot.chinese_dates import format_date, format_money
from bot.policy import RefundStage, configured_rules
from bot.services import refund_status
from bot.store import StoreError

logger = logging.getLogger(__name__)

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
    return format_date(value) if value else "—"


class ActionShowRefundStatus(Action):
    """Say where the refund stands; a job done only if the customer proved ownership."""

    def name(self) -> str:
        return "action_show_refund_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reset = [SlotSet("phone", None), SlotSet("order_id", None)]
        if not is_verified(tracker):
            return [*reset, SlotSet("job_done", False)]  # the lock message was already said
        try:
            status = await asyncio.to_thread(refund_status, tracker.get_slot("order_id"))
        except StoreError as exc:
            logger.error("refund lookup failed: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_handoff_failed")
            return [*reset, SlotSet("job_done", False)]
        if status is None:
            dispatcher.utter_message(response="utter_no_refund_for_order")
            return [*reset, SlotSet("job_done", False)]
        rules = configured_rules()
        dispatcher.utter_message(
            response=STAGE_RESPONSES[status.stage],
            refund_id=status.public_id,
            product=status.product,
            amount=format_money(status.amount),
            route=status.route,
            due_on=_date(status.due_on),
            credit_earliest=_date(status.credit_earliest),
            credit_latest=_date(status.credit_latest),
            credited_on=_date(status.credited_on),
            bank_min_days=rules.bank_credit_min_working_days,
            bank_max_days=rules.bank_credit_max_working_days,
        )
        return [
            *reset,
            SlotSet("topic", "refund"),
            SlotSet("product_category", status.category),
            SlotSet("job_done", True),
        ]

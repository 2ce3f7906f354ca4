"""转人工: queue the conversation for a human agent and say when one will answer."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.guard import GuardedAction
from bot.policy import configured_rules
from bot.services import request_handoff

# The job a customer asked for, as the topic a human agent sees on the handoff ticket.
TOPICS = {
    "request_return": "return",
    "request_exchange": "exchange",
    "ask_refund_status": "refund",
    "book_repair": "repair",
    "complain": "complaint",
}


class ActionRequestHandoff(GuardedAction):
    """File a handoff request (once per conversation) and tell the customer what happens next."""

    job = "handoff"

    def name(self) -> str:
        return "action_request_handoff"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        reason = "asked" if intent == "human_handoff" else "unsupported"
        receipt = await asyncio.to_thread(
            request_handoff, tracker.sender_id, reason, TOPICS.get(intent or "")
        )
        dispatcher.utter_message(
            response="utter_handoff_created_open"
            if receipt.agents_on_duty
            else "utter_handoff_created_closed",
            handoff_id=receipt.public_id,
            **configured_rules().template_values(),
        )
        return []

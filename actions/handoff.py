"""转人工: queue the conversation for a human agent and say when one will answer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.clock import shop_now
from bot.policy import configured_rules
from bot.store import StoreError, open_repository

logger = logging.getLogger(__name__)

# The job a customer asked for, as the topic a human agent sees on the handoff ticket.
TOPICS = {
    "request_return": "return",
    "request_exchange": "exchange",
    "ask_refund_status": "refund",
    "book_repair": "repair",
    "complain": "complaint",
}


def _file_handoff(conversation_id: str, reason: str, topic: str | None) -> str:
    with open_repository() as repo:
        return repo.request_handoff(
            conversation_id=conversation_id, reason=reason, topic=topic, now=shop_now()
        ).public_id


class ActionRequestHandoff(Action):
    """File a handoff request (once per conversation) and tell the customer what happens next."""

    def name(self) -> str:
        return "action_request_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        reason = "asked" if intent == "human_handoff" else "unsupported"
        try:
            handoff_id = await asyncio.to_thread(
                _file_handoff, tracker.sender_id, reason, TOPICS.get(intent or "")
            )
        except StoreError as exc:
            logger.error("could not file a handoff request: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_handoff_failed")
            return []
        rules = configured_rules()
        hour = shop_now().hour
        open_now = rules.agent_service_start_hour <= hour < rules.agent_service_end_hour
        dispatcher.utter_message(
            response="utter_handoff_created_open" if open_now else "utter_handoff_created_closed",
            handoff_id=handoff_id,
            **rules.template_values(),
        )
        return []

"""转人工: queue the conversation for a human agent and say when one will answer."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.guard import GuardedAction
from bot.nlp.normalise import normalise
from bot.policy import configured_rules
from bot.services import request_handoff

# 转人工 / 人工客服 / 找真人 / a bare 客服 in the customer's words, whatever intent the NLU read
# (客服 inside a sentence, 客服态度太差, is about an agent, not a request for one).
_PERSON = re.compile(
    r"转人工|人工客服|找人工|要人工|真人|^人工|人工[吧呢啊]?$"
    r"|^(?:在线)?客服[吧呢啊呀]?$|[找要叫]客服|联系客服"
)


def asks_for_person(text: str) -> bool:
    """Do the (normalised) words ask for a human agent?"""
    return bool(_PERSON.search(text))


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
        words = normalise(str(tracker.latest_message.get("text") or ""))
        asked = intent == "human_handoff" or asks_for_person(words)
        reason = "asked" if asked else "unsupported"
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

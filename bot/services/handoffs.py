"""转人工: queue a conversation for a human agent, and say whether agents are on duty."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import shop_now
from bot.policy import agents_on_duty, configured_rules
from bot.store import open_repository


@dataclass(frozen=True)
class HandoffReceipt:
    """The waiting request, and whether a person can answer now or at the next opening."""

    public_id: str
    agents_on_duty: bool


def request_handoff(conversation_id: str, reason: str, topic: str | None) -> HandoffReceipt:
    """File a handoff request (one waiting request per conversation)."""
    now = shop_now()
    with open_repository() as repo:
        handoff = repo.request_handoff(
            conversation_id=conversation_id, reason=reason, topic=topic, now=now
        )
        return HandoffReceipt(handoff.public_id, agents_on_duty(now, configured_rules()))

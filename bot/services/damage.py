"""What a customer told about how an item's fault happened, kept in the store: an accident
admitted once is not undone by a second try in the same or another conversation."""

from __future__ import annotations

import json

from bot.clock import shop_now
from bot.reasons import DamageCause
from bot.services.verification import require_proof
from bot.store import open_repository

TOLD = "damage_told"  # the event, on the order (its number is the subject)


def settle_damage_cause(
    order_no: str, conversation_id: str, item_id: int | None, cause: DamageCause
) -> DamageCause:
    """Record the answer for the order's item and return the cause the policy should use:
    an accident the customer admitted earlier for that item still counts (proof required)."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        item = repo.item_of(order, item_id)
        admitted = any(
            json.loads(event.detail or "{}") == {"item": item.id, "cause": DamageCause.HUMAN.value}
            for event in repo.events_of(order.order_no)
            if event.event == TOLD
        )
        repo.record_event(
            order.order_no, TOLD, actor="customer", now=shop_now(),
            conversation_id=conversation_id, detail={"item": item.id, "cause": cause.value},
        )  # fmt: skip
        return DamageCause.HUMAN if admitted else cause

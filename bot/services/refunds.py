"""Where is my refund: the newest refund of a verified order, in plain terms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bot.clock import shop_now
from bot.policy import RefundStage, refund_stage
from bot.services.verification import require_proof
from bot.store import open_repository


@dataclass(frozen=True)
class RefundStatus:
    """A refund as the customer should hear about it."""

    public_id: str
    stage: RefundStage
    amount: Decimal
    route: str  # alipay / wechat / card / balance
    product: str
    due_on: dt.date | None
    credit_earliest: dt.date | None
    credit_latest: dt.date | None
    credited_on: dt.date | None
    category: str | None


def refund_status(
    order_no: str, conversation_id: str, today: dt.date | None = None
) -> RefundStatus | None:
    """The newest refund of an order this conversation proved it owns, or None if it has none."""
    today = today or shop_now().date()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        refunds = repo.refunds_for_order(order)
        if not refunds:
            return None
        refund = refunds[0]
        item = refund.request.item if refund.request and refund.request.item else order.items[0]
        stage = refund_stage(
            today,
            goods_received_on=refund.goods_received_on,
            refund_due=refund.due_on,
            paid_out_on=refund.paid_out_on,
            credited_on=refund.credited_on,
            needs_goods=refund.request is not None and refund.request.kind != "refund_only",
        )
        return RefundStatus(
            public_id=refund.public_id,
            stage=stage,
            amount=refund.amount,
            route=refund.route,
            product=item.product_name,
            due_on=refund.due_on,
            credit_earliest=refund.credit_earliest,
            credit_latest=refund.credit_latest,
            credited_on=refund.credited_on,
            category=item.category,
        )

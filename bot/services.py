"""Use cases the conversations call: each opens one unit of work and returns plain data.

Actions stay thin: they read slots, call one of these, and map the result to responses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from bot.clock import shop_now
from bot.policy import Dimension, RefundStage, refund_stage
from bot.store import (
    InvalidPhone,
    MalformedOrderNumber,
    OrderNotFound,
    OwnershipNotVerified,
    open_repository,
)

MAX_VERIFY_ATTEMPTS = 3  # wrong phones before the order is locked for this conversation

ROUTE_NAMES = {"alipay": "支付宝", "wechat": "微信", "card": "银行卡", "balance": "账户余额"}


class OrderCheck(str, Enum):
    """What an order number the customer typed turned out to be."""

    FOUND = "found"
    MALFORMED = "malformed"
    NOT_FOUND = "not_found"


class Verification(str, Enum):
    """The outcome of one ownership check."""

    VERIFIED = "verified"
    MISMATCH = "mismatch"
    INVALID = "invalid"  # not a phone number nor 4 digits


def check_order(order_no: str) -> tuple[OrderCheck, str | None]:
    """Is this an existing order? Returns the normalised number when found."""
    with open_repository() as repo:
        try:
            return OrderCheck.FOUND, repo.find_order(order_no).order_no
        except MalformedOrderNumber:
            return OrderCheck.MALFORMED, None
        except OrderNotFound:
            return OrderCheck.NOT_FOUND, None


def verify_owner(order_no: str, proof: str) -> Verification:
    """Does `proof` (the order's mobile number, or its last 4 digits) match the order?"""
    with open_repository() as repo:
        try:
            repo.verify_owner(order_no, proof)
        except InvalidPhone:
            return Verification.INVALID
        except OwnershipNotVerified:
            return Verification.MISMATCH
    return Verification.VERIFIED


@dataclass(frozen=True)
class RefundStatus:
    """A refund as the customer should hear about it."""

    public_id: str
    stage: RefundStage
    amount: Decimal
    route: str  # in Chinese, e.g. 支付宝
    product: str
    due_on: dt.date | None
    credit_earliest: dt.date | None
    credit_latest: dt.date | None
    credited_on: dt.date | None
    category: str | None


def refund_status(order_no: str, today: dt.date | None = None) -> RefundStatus | None:
    """The newest refund of a (verified) order, or None if it has none."""
    today = today or shop_now().date()
    with open_repository() as repo:
        order = repo.find_order(order_no)
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
            route=ROUTE_NAMES.get(refund.route, refund.route),
            product=item.product_name,
            due_on=refund.due_on,
            credit_earliest=refund.credit_earliest,
            credit_latest=refund.credit_latest,
            credited_on=refund.credited_on,
            category=item.category,
        )


def save_rating(
    *,
    conversation_id: str,
    channel: str,
    topic: str,
    overall: int,
    solved: bool | None,
    comment: str | None,
    product_category: str | None = None,
) -> None:
    """Store the conversation's rating (a second one in the same conversation updates it)."""
    with open_repository() as repo:
        repo.save_rating(
            conversation_id=conversation_id,
            channel=channel,
            topic=topic,
            scores={Dimension.OVERALL: overall},
            solved=solved,
            comment=comment,
            product_category=product_category,
            now=shop_now(),
        )

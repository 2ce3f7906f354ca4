"""Refund paths, amounts and due dates (policy section 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from bot.policy.calendar import WorkCalendar
from bot.policy.facts import OrderFacts, OrderStatus, PolicyInputError
from bot.policy.rules import PolicyRules


class RefundPath(str, Enum):
    """How a refund can be had, by where the order stands."""

    REFUND_ONLY = "refund_only"  # not shipped: refund directly (仅退款)
    REFUND_WITH_RETURN = "refund_with_return"  # shipped, not signed for: refuse or return it
    RETURN_THEN_REFUND = "return_then_refund"  # signed for: return it first
    NONE = "none"  # closed: nothing left to refund


class RefundStage(str, Enum):
    """A refund's progress as the customer should hear it."""

    WAITING_FOR_GOODS = "waiting_for_goods"
    PROCESSING = "processing"  # goods back, merchant has not paid out yet
    PAID_OUT = "paid_out"  # merchant paid out, the bank is crediting it
    CREDITED = "credited"
    OVERDUE = "overdue"  # the merchant's due date has passed without a payout


@dataclass(frozen=True)
class RefundSchedule:
    """When the merchant must pay out and when the money should reach the customer."""

    refund_due: dt.date
    credit_earliest: dt.date
    credit_latest: dt.date
    estimated: bool


def refund_path(order: OrderFacts) -> RefundPath:
    """Which refund path the order's state allows."""
    return {
        OrderStatus.PAID: RefundPath.REFUND_ONLY,
        OrderStatus.SHIPPED: RefundPath.REFUND_WITH_RETURN,
        OrderStatus.DELIVERED: RefundPath.RETURN_THEN_REFUND,
        OrderStatus.CLOSED: RefundPath.NONE,
    }[order.status]


def refund_amount(
    goods_amount: Decimal, shipping_paid: Decimal, *, buyer_reason: bool, shipped: bool = True
) -> Decimal:
    """Goods price plus the shipping paid; a refund for the buyer's own reason keeps the
    shipping back, unless the goods never left (nothing was spent on shipping them)."""
    if goods_amount < 0 or shipping_paid < 0:
        raise PolicyInputError("refund amounts cannot be negative")
    keep_shipping = buyer_reason and shipped
    return (goods_amount + (Decimal(0) if keep_shipping else shipping_paid)).quantize(
        Decimal("0.01")
    )


def refund_schedule(
    start: dt.date, *, quality: bool, rules: PolicyRules, calendar: WorkCalendar
) -> RefundSchedule:
    """Due dates counted from `start`: the day the returned goods arrived back, or the day a
    refund-only request was approved."""
    days = rules.refund_working_days_quality if quality else rules.refund_working_days_no_quality
    due = calendar.add_working_days(start, days)
    earliest = calendar.add_working_days(due.date, rules.bank_credit_min_working_days)
    latest = calendar.add_working_days(due.date, rules.bank_credit_max_working_days)
    return RefundSchedule(
        refund_due=due.date,
        credit_earliest=earliest.date,
        credit_latest=latest.date,
        estimated=due.estimated or earliest.estimated or latest.estimated,
    )


def refund_stage(
    today: dt.date,
    *,
    goods_received_on: dt.date | None,
    refund_due: dt.date | None,
    paid_out_on: dt.date | None,
    credited_on: dt.date | None,
    needs_goods: bool = True,
) -> RefundStage:
    """Where a refund stands today, in the customer's terms."""
    if credited_on is not None:
        return RefundStage.CREDITED
    if paid_out_on is not None:
        return RefundStage.PAID_OUT
    if needs_goods and goods_received_on is None:
        return RefundStage.WAITING_FOR_GOODS
    if refund_due is not None and today > refund_due:
        return RefundStage.OVERDUE
    return RefundStage.PROCESSING

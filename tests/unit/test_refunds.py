"""Refund paths, amounts, due dates and stages (section 3 of the policy)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.policy import (
    OrderStatus,
    PolicyInputError,
    PolicyRules,
    RefundPath,
    RefundStage,
    WorkCalendar,
    refund_amount,
    refund_path,
    refund_schedule,
    refund_stage,
)
from tests.unit.factories import delivered_order

D = dt.date


@pytest.mark.parametrize(
    ("status", "path"),
    [
        (OrderStatus.PAID, RefundPath.REFUND_ONLY),
        (OrderStatus.SHIPPED, RefundPath.REFUND_WITH_RETURN),
        (OrderStatus.DELIVERED, RefundPath.RETURN_THEN_REFUND),
        (OrderStatus.CLOSED, RefundPath.NONE),
    ],
)
def test_refund_path_follows_the_order_state(status: OrderStatus, path: RefundPath) -> None:
    assert refund_path(delivered_order(D(2026, 11, 20), status=status)) == path


def test_merchant_reason_refunds_goods_and_shipping() -> None:
    assert refund_amount(Decimal("129.00"), Decimal("10.00"), buyer_reason=False) == Decimal(
        "139.00"
    )


def test_buyer_reason_keeps_the_shipping_back() -> None:
    assert refund_amount(Decimal("129.00"), Decimal("10.00"), buyer_reason=True) == Decimal(
        "129.00"
    )


def test_unshipped_order_refunds_the_shipping_even_for_a_change_of_mind() -> None:
    amount = refund_amount(Decimal("199.00"), Decimal("8.00"), buyer_reason=True, shipped=False)
    assert amount == Decimal("207.00")


def test_negative_amounts_are_rejected() -> None:
    with pytest.raises(PolicyInputError):
        refund_amount(Decimal("-1"), Decimal("0"), buyer_reason=False)


def test_schedule_across_national_day_lands_on_the_make_up_saturday(
    rules: PolicyRules, calendar: WorkCalendar
) -> None:
    # goods back Wed 30 Sep 2026; 3 working days: Thu 8, Fri 9, Sat 10 Oct (补班)
    schedule = refund_schedule(D(2026, 9, 30), quality=False, rules=rules, calendar=calendar)
    assert schedule.refund_due == D(2026, 10, 10)
    assert (schedule.credit_earliest, schedule.credit_latest) == (D(2026, 10, 12), D(2026, 10, 14))
    assert not schedule.estimated


def test_quality_refund_takes_five_working_days(rules: PolicyRules, calendar: WorkCalendar) -> None:
    schedule = refund_schedule(D(2026, 9, 30), quality=True, rules=rules, calendar=calendar)
    assert schedule.refund_due == D(2026, 10, 13)  # 8, 9, 10 (补班), 12, 13


def test_schedule_across_spring_festival(rules: PolicyRules, calendar: WorkCalendar) -> None:
    # goods back Thu 12 Feb 2026: Fri 13, Sat 14 (补班), 15–23 off, Tue 24
    schedule = refund_schedule(D(2026, 2, 12), quality=False, rules=rules, calendar=calendar)
    assert schedule.refund_due == D(2026, 2, 24)
    assert schedule.credit_latest == D(2026, 2, 27)


def test_schedule_into_an_unannounced_year_is_an_estimate(
    rules: PolicyRules, calendar: WorkCalendar
) -> None:
    schedule = refund_schedule(D(2026, 12, 29), quality=True, rules=rules, calendar=calendar)
    assert schedule.estimated
    assert schedule.refund_due == D(2027, 1, 5)


@pytest.mark.parametrize(
    ("kwargs", "stage"),
    [
        ({"goods_received_on": None}, RefundStage.WAITING_FOR_GOODS),
        (
            {"goods_received_on": D(2026, 11, 20), "refund_due": D(2026, 11, 27)},
            RefundStage.PROCESSING,
        ),
        (
            {"goods_received_on": D(2026, 11, 10), "refund_due": D(2026, 11, 13)},
            RefundStage.OVERDUE,
        ),
        (
            {"goods_received_on": D(2026, 11, 10), "paid_out_on": D(2026, 11, 12)},
            RefundStage.PAID_OUT,
        ),
        ({"paid_out_on": D(2026, 11, 12), "credited_on": D(2026, 11, 14)}, RefundStage.CREDITED),
    ],
)
def test_refund_stage(kwargs: dict, stage: RefundStage) -> None:
    base = {"goods_received_on": None, "refund_due": None, "paid_out_on": None, "credited_on": None}
    assert refund_stage(D(2026, 11, 23), **{**base, **kwargs}) is stage


def test_refund_only_never_waits_for_goods() -> None:
    stage = refund_stage(
        D(2026, 11, 23),
        goods_received_on=None,
        refund_due=D(2026, 11, 26),
        paid_out_on=None,
        credited_on=None,
        needs_goods=False,
    )
    assert stage is RefundStage.PROCESSING

"""Return and exchange eligibility at every boundary of section 2 of the policy."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.policy import (
    OrderStatus,
    Party,
    PolicyInputError,
    PolicyRules,
    ReturnReason,
    Verdict,
    WorkCalendar,
    day_of_receipt_count,
    decide_refund_only,
    decide_return,
)
from tests.unit.factories import delivered_order, item

TODAY = dt.date(2026, 11, 23)  # a Monday


def received(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


def decide(order, reason=ReturnReason.NO_REASON, category="服装", rules=None, calendar=None, **kw):
    return decide_return(
        order,
        item(category),
        reason,
        TODAY,
        rules or PolicyRules(),
        calendar or WorkCalendar(),
        **kw,
    )


def test_day_of_receipt_counts_as_day_one() -> None:
    assert day_of_receipt_count(TODAY, TODAY) == 1
    assert day_of_receipt_count(received(6), TODAY) == 7


@pytest.mark.parametrize(("days_ago", "allowed"), [(0, True), (6, True), (7, False), (14, False)])
def test_no_reason_window_is_seven_days_including_receipt(days_ago: int, allowed: bool) -> None:
    decision = decide(delivered_order(received(days_ago)))
    assert decision.allowed is allowed
    if allowed:
        assert decision.verdict is Verdict.NO_REASON_OK
        assert decision.values.last_day == received(days_ago) + dt.timedelta(days=6)
    else:
        assert decision.verdict is Verdict.NO_REASON_WINDOW_PASSED
        assert decision.values.quality_days == 15


@pytest.mark.parametrize(
    ("days_ago", "verdict"), [(14, Verdict.QUALITY_OK), (15, Verdict.RETURN_WINDOW_PASSED)]
)
def test_quality_window_is_fifteen_days_including_receipt(days_ago: int, verdict: Verdict) -> None:
    decision = decide(delivered_order(received(days_ago)), ReturnReason.QUALITY)
    assert decision.verdict is verdict
    assert decision.values.day == days_ago + 1


@pytest.mark.parametrize("reason", [ReturnReason.WRONG_ITEM, ReturnReason.TRANSIT_DAMAGE])
def test_other_merchant_faults_use_the_quality_window(reason: ReturnReason) -> None:
    decision = decide(delivered_order(received(10)), reason)
    assert decision.verdict is Verdict.QUALITY_OK
    assert decision.values.shipping_payer is Party.MERCHANT


def test_changed_mind_buyer_pays_return_shipping() -> None:
    decision = decide(delivered_order(received(2)))
    assert decision.values.shipping_payer is Party.BUYER


@pytest.mark.parametrize("category", ["食品", "化妆品", "个人护理"])
def test_special_categories_never_qualify_for_no_reason_return(category: str) -> None:
    order = delivered_order(received(1), category=category)
    assert decide(order, category=category).verdict is Verdict.SPECIAL_CATEGORY
    quality = decide(order, ReturnReason.QUALITY, category=category)
    assert quality.allowed and quality.verdict is Verdict.QUALITY_NEEDS_REVIEW


def test_buyer_damage_is_not_covered_even_inside_the_window() -> None:
    decision = decide(delivered_order(received(1)), ReturnReason.QUALITY, buyer_damage=True)
    assert decision.verdict is Verdict.BUYER_DAMAGE and not decision.allowed


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (OrderStatus.PAID, Verdict.NOT_SHIPPED_REFUND_ONLY),
        (OrderStatus.CLOSED, Verdict.ORDER_CLOSED),
    ],
)
def test_orders_not_signed_for_take_another_path(status: OrderStatus, verdict: Verdict) -> None:
    decision = decide(delivered_order(received(1), status=status))
    assert decision.verdict is verdict and not decision.allowed


def test_shipped_but_not_signed_for_is_refunded_once_the_parcel_is_back() -> None:
    """Section 3: refund with return. Nothing to send back, so no return window either;
    the buyer's own reason still pays the way back."""
    decision = decide(delivered_order(received(1), status=OrderStatus.SHIPPED))
    assert decision.verdict is Verdict.SHIPPED_REFUND_WITH_RETURN and decision.allowed
    assert decision.values.shipping_payer is Party.BUYER and decision.values.review_due


def test_review_deadline_counts_working_days_over_a_weekend() -> None:
    friday = dt.date(2026, 11, 20)
    decision = decide_return(
        delivered_order(friday - dt.timedelta(days=1)),
        item(),
        ReturnReason.NO_REASON,
        friday,
        PolicyRules(),
        WorkCalendar(),
    )
    assert decision.values.review_due == dt.date(2026, 11, 24)  # Mon 23 = 1, Tue 24 = 2
    assert decision.values.processing_latest == dt.date(2026, 12, 1)  # 7 working days


def test_delivery_date_in_the_future_is_an_error_not_a_verdict() -> None:
    with pytest.raises(PolicyInputError):
        decide(delivered_order(TODAY + dt.timedelta(days=1)))


def test_operator_can_widen_the_no_reason_window() -> None:
    rules = PolicyRules.from_mapping({"no_reason_return_days": 10})
    assert decide(delivered_order(received(9)), rules=rules).allowed
    assert not decide(delivered_order(received(10)), rules=rules).allowed


def test_refund_only_merchant_pays_and_deadlines_count_working_days() -> None:
    friday = dt.date(2026, 11, 20)
    decision = decide_refund_only(friday, PolicyRules(), WorkCalendar())
    assert decision.verdict is Verdict.NOT_SHIPPED_REFUND_ONLY and decision.allowed
    assert decision.values.shipping_payer is Party.MERCHANT
    assert decision.values.review_due == dt.date(2026, 11, 24)  # Mon 23 = 1, Tue 24 = 2
    assert decision.values.processing_due == dt.date(2026, 11, 25)

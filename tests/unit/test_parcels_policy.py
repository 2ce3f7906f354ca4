"""A parcel on its way: stalled after 48 hours without a scan (not at 47), signed for but
not received, too late to claim from the carrier; and the buyers' words for each."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.nlp.normalise import normalise
from bot.policy import (
    OrderStatus,
    ParcelProblem,
    ParcelRemedy,
    ParcelTracking,
    PolicyRules,
    Verdict,
    decide_parcel,
)
from bot.reasons import classify_parcel_problem, classify_parcel_remedy
from tests.unit.factories import delivered_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
RULES = PolicyRules()


def on_its_way(shipped_days_ago: int, status: OrderStatus = OrderStatus.SHIPPED):
    # delivered_order ships two days before the day it is given
    return delivered_order(NOW.date() - dt.timedelta(days=shipped_days_ago - 2), status=status)


def scanned(hours_ago: float | None) -> ParcelTracking:
    at = None if hours_ago is None else NOW - dt.timedelta(hours=hours_ago)
    return ParcelTracking("中通快递", "ZT7730012345678", "杭州转运中心", at)


def decide(order, hours_ago: float | None, problem=ParcelProblem.STALLED):
    return decide_parcel(order, problem, scanned(hours_ago), NOW, RULES)


def test_a_parcel_scanned_47_hours_ago_is_still_moving() -> None:
    decision = decide(on_its_way(3), 47)
    assert decision.verdict is Verdict.PARCEL_IN_TRANSIT and not decision.allowed
    assert decision.values.stalled_at == NOW + dt.timedelta(hours=1)


def test_48_hours_without_a_scan_is_stalled_with_an_answer_in_24_hours() -> None:
    decision = decide(on_its_way(3), 48)
    assert decision.verdict is Verdict.PARCEL_STALLED and decision.allowed
    assert decision.values.check_due == NOW + dt.timedelta(hours=24)
    assert decision.values.claim_deadline == NOW.date() - dt.timedelta(days=3) + dt.timedelta(
        days=30
    )


def test_a_parcel_never_scanned_counts_from_its_shipping() -> None:
    shipped = ParcelTracking("中通快递", "ZT7730012345678", None, None,
                             shipped_at=NOW - dt.timedelta(hours=10))  # fmt: skip
    moving = decide_parcel(on_its_way(1), ParcelProblem.STALLED, shipped, NOW, RULES)
    assert moving.verdict is Verdict.PARCEL_IN_TRANSIT and moving.values.last_scan == "已发货"
    late = ParcelTracking("中通快递", None, None, None, shipped_at=NOW - dt.timedelta(hours=49))
    stalled = decide_parcel(on_its_way(3), ParcelProblem.STALLED, late, NOW, RULES)
    assert stalled.verdict is Verdict.PARCEL_STALLED and stalled.values.parcel == "中通快递"


def test_shown_signed_for_to_the_customer_but_not_yet_to_us_is_checked() -> None:
    """The order system can lag behind the carrier: 显示签收了 on a parcel we see moving."""
    decision = decide(on_its_way(3), 5, ParcelProblem.NOT_RECEIVED)
    assert decision.verdict is Verdict.PARCEL_STALLED and decision.allowed


def test_signed_for_is_not_received_whatever_the_customer_called_it() -> None:
    decision = decide(on_its_way(3, OrderStatus.DELIVERED), 30, ParcelProblem.STALLED)
    assert decision.verdict is Verdict.PARCEL_NOT_RECEIVED and decision.allowed


def test_the_carrier_claim_window_is_30_days_from_shipping() -> None:
    assert decide(on_its_way(30, OrderStatus.DELIVERED), 1).allowed  # day 30: still claimable
    late = decide(on_its_way(31, OrderStatus.DELIVERED), 1)
    assert late.verdict is Verdict.PARCEL_CLAIM_PASSED and not late.allowed


def test_nothing_to_chase_before_shipping_or_after_closing() -> None:
    assert decide(on_its_way(3, OrderStatus.PAID), None).verdict is Verdict.PARCEL_NOT_SHIPPED
    assert decide(on_its_way(3, OrderStatus.CLOSED), 5).verdict is Verdict.ORDER_CLOSED


@pytest.mark.parametrize(
    ("said", "problem"),
    [
        ("在吗 物流三天没动了", ParcelProblem.STALLED),
        ("wl一直不更新 是不是丢了啊", ParcelProblem.STALLED),
        ("卡在义乌分拨中心好几天了", ParcelProblem.STALLED),
        ("显示签收了 可我压根没收到啊", ParcelProblem.NOT_RECEIVED),
        ("快递员说放丰巢了 我去看了没有", ParcelProblem.NOT_RECEIVED),
        ("不是我签的 谁签的啊", ParcelProblem.NOT_RECEIVED),
        ("亲 包裹呢", None),
    ],
)
def test_what_is_wrong_in_buyers_words(said: str, problem: ParcelProblem | None) -> None:
    assert classify_parcel_problem(normalise(said)) is problem


@pytest.mark.parametrize(
    ("said", "remedy"),
    [("补发", ParcelRemedy.RESHIP), ("给我重新发一个吧", ParcelRemedy.RESHIP),
     ("不要了 退钱吧", ParcelRemedy.REFUND), ("先等核实结果", ParcelRemedy.WAIT),
     ("都行 你们先查", ParcelRemedy.WAIT), ("嗯嗯", None)],
)  # fmt: skip
def test_what_should_happen_in_buyers_words(said: str, remedy: ParcelRemedy | None) -> None:
    assert classify_parcel_remedy(normalise(said)) is remedy

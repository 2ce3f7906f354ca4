"""Repair eligibility, deadlines and on-site slots (section 4 of the policy)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.policy import (
    OrderStatus,
    PolicyRules,
    Verdict,
    WorkCalendar,
    check_onsite_slot,
    clip_to_service_hours,
    decide_paid_repair,
    decide_repair,
    warranty_last_day,
)
from tests.unit.factories import delivered_order, item

D = dt.date
TODAY = D(2026, 11, 23)
TZ = ZoneInfo("Asia/Shanghai")


def repair(delivered_on: dt.date, warranty: int = 12, **kwargs):
    order = delivered_order(delivered_on, category="家电", warranty_months=warranty)
    return decide_repair(
        order, item("家电", "滚筒洗衣机"), TODAY, PolicyRules(), WorkCalendar(), **kwargs
    )


def test_warranty_covers_up_to_the_day_before_the_anniversary() -> None:
    assert warranty_last_day(D(2025, 1, 5), 12) == D(2026, 1, 4)
    assert warranty_last_day(D(2024, 1, 31), 1) == D(2024, 2, 28)  # month ends are clamped


def test_last_covered_day_is_covered_and_the_next_is_not() -> None:
    assert repair(D(2025, 11, 24)).verdict is Verdict.REPAIR_COVERED  # last day is today
    assert repair(D(2025, 11, 23)).verdict is Verdict.REPAIR_OUT_OF_WARRANTY


def test_covered_repair_deadlines_in_working_days() -> None:
    decision = repair(D(2026, 9, 4))
    assert decision.allowed and decision.values.onsite is True
    assert decision.values.respond_due == D(2026, 11, 25)
    assert decision.values.complete_due == D(2026, 11, 30)


def test_a_visit_after_today_moves_the_completion_date_not_the_reply() -> None:
    """A visit booked for next Thursday cannot be finished five working days from today."""
    decision = repair(D(2026, 9, 4), work_starts=D(2026, 12, 3))
    assert decision.values.respond_due == D(2026, 11, 25)
    assert decision.values.complete_due == D(2026, 12, 10)
    assert repair(D(2026, 9, 4), work_starts=TODAY).values.complete_due == D(2026, 11, 30)


def test_human_damage_is_not_covered() -> None:
    assert repair(D(2026, 9, 4), human_damage=True).verdict is Verdict.REPAIR_HUMAN_DAMAGE


def test_goods_without_warranty() -> None:
    assert repair(D(2026, 11, 20), warranty=0).verdict is Verdict.REPAIR_NO_WARRANTY


def test_undelivered_goods_cannot_be_repaired() -> None:
    order = delivered_order(D(2026, 11, 20), status=OrderStatus.SHIPPED, warranty_months=12)
    decision = decide_repair(order, item(), TODAY, PolicyRules(), WorkCalendar())
    assert decision.verdict is Verdict.NOT_DELIVERED


def test_a_paid_repair_is_answered_in_working_days_and_completed_by_quote() -> None:
    friday = D(2026, 11, 20)
    decision = decide_paid_repair(
        Verdict.REPAIR_OUT_OF_WARRANTY, friday, PolicyRules(), WorkCalendar()
    )
    assert decision.verdict is Verdict.REPAIR_OUT_OF_WARRANTY and not decision.allowed
    assert decision.values.respond_due == D(2026, 11, 24)  # Mon 23 = 1, Tue 24 = 2
    assert decision.values.complete_due is None  # the quote says when


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


NOW = at(23, 10)


@pytest.mark.parametrize(
    ("start", "end", "verdict"),
    [
        (at(24, 14), at(24, 18), Verdict.SLOT_OK),
        (at(24, 9), at(24, 12), Verdict.SLOT_OK),
        (at(23, 9), at(23, 12), Verdict.SLOT_IN_PAST),
        (at(24, 8), at(24, 10), Verdict.SLOT_OUTSIDE_HOURS),
        (at(24, 17), at(24, 19), Verdict.SLOT_OUTSIDE_HOURS),
        (at(24, 19), at(24, 21), Verdict.SLOT_OUTSIDE_HOURS),
    ],
)
def test_onsite_slot(start: dt.datetime, end: dt.datetime, verdict: Verdict) -> None:
    assert check_onsite_slot(start, end, NOW, PolicyRules()).verdict is verdict


def test_onsite_slot_too_far_ahead() -> None:
    start = NOW + dt.timedelta(days=31)
    decision = check_onsite_slot(start, start + dt.timedelta(hours=2), NOW, PolicyRules())
    assert decision.verdict is Verdict.SLOT_TOO_FAR


@pytest.mark.parametrize(
    ("start", "end", "clipped"),
    [
        ((24, 12), (24, 18), ((24, 12), (24, 18))),  # 下午 ends when the technicians stop
        ((24, 8), (24, 12), ((24, 9), (24, 12))),
        ((24, 17), (24, 20), ((24, 17), (24, 18))),
        ((24, 19), (24, 21), ((24, 19), (24, 20))),  # wholly outside: kept, an hour long
    ],
)
def test_a_visit_is_clipped_to_service_hours(start, end, clipped) -> None:
    got = clip_to_service_hours(at(*start), at(*end), PolicyRules())
    assert got == (at(*clipped[0]), at(*clipped[1]))

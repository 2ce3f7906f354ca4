"""Complaint service levels and escalation; rating checks (sections 5 and 6)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.policy import (
    Dimension,
    PolicyRules,
    Severity,
    WorkCalendar,
    complaint_deadlines,
    is_extreme,
    is_valid_score,
    needs_human,
)

TZ = ZoneInfo("Asia/Shanghai")


def test_complaint_deadlines_hours_round_the_clock_and_result_in_working_days(
    rules: PolicyRules, calendar: WorkCalendar
) -> None:
    opened = dt.datetime(2026, 9, 30, 20, 30, tzinfo=TZ)  # eve of National Day
    deadlines = complaint_deadlines(opened, rules, calendar)
    assert deadlines.reply_due == dt.datetime(2026, 10, 1, 20, 30, tzinfo=TZ)
    assert deadlines.solution_due == dt.datetime(2026, 10, 2, 20, 30, tzinfo=TZ)
    assert deadlines.dispute_start_due == dt.date(2026, 10, 9)
    # 8, 9, 10 (补班), 12–16, 19–23, 26, 27 → the 15th working day
    assert deadlines.dispute_result_due == dt.date(2026, 10, 27)
    assert not deadlines.estimated


def test_mid_december_complaint_result_crosses_into_2027_as_an_estimate(
    rules: PolicyRules, calendar: WorkCalendar
) -> None:
    deadlines = complaint_deadlines(dt.datetime(2026, 12, 15, 9, tzinfo=TZ), rules, calendar)
    assert deadlines.dispute_result_due.year == 2027 and deadlines.estimated


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, False),
        ({"asked": True}, True),
        ({"angry": True}, True),
        ({"earlier_complaints": 1}, True),
        ({"severity": Severity.HIGH}, True),
    ],
)
def test_who_goes_to_a_human(rules: PolicyRules, kwargs: dict, expected: bool) -> None:
    args = {"severity": Severity.LOW, "angry": False, "earlier_complaints": 0, "asked": False}
    assert needs_human(rules, **{**args, **kwargs}) is expected


@pytest.mark.parametrize(
    ("value", "valid"), [(1, True), (5, True), (0, False), (6, False), (True, False), ("5", False)]
)
def test_valid_scores(value: object, valid: bool) -> None:
    assert is_valid_score(value) is valid


def test_extreme_patterns_are_flagged() -> None:
    assert is_extreme({Dimension.OVERALL: 5, Dimension.RECOMMEND: 5})
    assert is_extreme({Dimension.OVERALL: 1, Dimension.RESOLUTION: 1, Dimension.PATIENCE: None})
    assert not is_extreme({Dimension.OVERALL: 5, Dimension.RECOMMEND: 4})
    assert not is_extreme({Dimension.OVERALL: 3, Dimension.RECOMMEND: 3})
    assert not is_extreme({Dimension.OVERALL: 5})  # one answer is no pattern

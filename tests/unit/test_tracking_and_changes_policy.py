"""Tracking numbers as buyers type them, and the policy of changes after applying."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.policy import (
    PolicyRules,
    WorkCalendar,
    repair_is_late,
    reply_due_soon,
    visit_changeable,
    working_hours_between,
)
from bot.tracking import parse_tracking

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "courier", "number"),
    [
        ("顺丰 SF1409876543210", "SF", "SF1409876543210"),
        ("单号sf 1409 8765 43210 麻烦查收", "SF", "SF1409876543210"),
        ("寄回去了哈 中通的 75312345678901", "ZTO", "75312345678901"),
        ("圓通YT4321987654321", "YTO", "YT4321987654321"),
        ("jdv012345678901", "JD", "JDV012345678901"),
        ("极兔JT5566778899001～", "JT", "JT5566778899001"),
        ("ems EA123456789CN", "EMS", "EA123456789CN"),
    ],
)
def test_tracking_numbers_as_typed(text: str, courier: str, number: str) -> None:
    found = parse_tracking(text)
    assert found is not None and (found.courier.code, found.number) == (courier, number)


@pytest.mark.parametrize(
    "text",
    [
        "75312345678901",  # plain digits, no courier named
        "顺丰 13800138000",  # a phone number, not a waybill
        "SF12345",  # too short
        "韵达 4312345678901 和 4312345678902",  # two numbers: which one?
        "圆通 SF1409876543210 顺丰",  # two couriers named, prefix decides: still one number
        "",
    ],
)
def test_not_a_tracking_number(text: str) -> None:
    found = parse_tracking(text)
    assert found is None or found.number == "SF1409876543210"


def test_working_hours_skip_nights_and_weekends() -> None:
    rules, calendar = PolicyRules(), WorkCalendar()
    friday_five = dt.datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI)
    monday_ten = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    assert working_hours_between(friday_five, monday_ten, rules, calendar) == 2.0


def test_a_visit_needs_notice_to_be_moved() -> None:
    rules, calendar = PolicyRules(), WorkCalendar()
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # Monday
    tomorrow_afternoon = dt.datetime(2026, 11, 24, 14, 0, tzinfo=SHANGHAI)
    this_afternoon = dt.datetime(2026, 11, 23, 14, 0, tzinfo=SHANGHAI)
    assert visit_changeable(now, tomorrow_afternoon, rules, calendar)  # 8 + 5 working hours
    assert not visit_changeable(now, this_afternoon, rules, calendar)  # 4 hours
    assert visit_changeable(now, None, rules, calendar)  # a send-in repair has no visit


def test_late_repairs_and_complaints_due() -> None:
    rules = PolicyRules()
    today = dt.date(2026, 11, 23)
    assert repair_is_late(today, "booked", dt.date(2026, 11, 20))
    assert not repair_is_late(today, "booked", today)
    assert not repair_is_late(today, "done", dt.date(2026, 11, 20))
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    assert reply_due_soon(now, "open", now + dt.timedelta(hours=1), rules)
    assert not reply_due_soon(now, "open", now + dt.timedelta(hours=3), rules)
    assert not reply_due_soon(now, "replied", now, rules)

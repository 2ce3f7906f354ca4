"""`python -m bot sla` and the console's list: every open promise with its time left, the
broken ones first, on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.config import get_settings
from bot.policy import PolicyRules, Severity, WorkCalendar, complaint_deadlines
from bot.services.deadlines import due_text, handoff_due, open_deadlines, time_left
from bot.store import open_repository
from tests.conftest import use_demo_store

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def seeded(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    use_demo_store(database_url, monkeypatch)
    yield database_url
    get_settings.cache_clear()


def _complaint(opened: dt.datetime) -> str:
    with open_repository() as repo:
        complaint = repo.open_complaint(
            category="service", severity=Severity.MEDIUM, description="客服一直不回",
            deadlines=complaint_deadlines(opened, PolicyRules(), WorkCalendar()), now=opened,
        )  # fmt: skip
        return str(complaint.public_id)


def test_an_unanswered_complaint_past_its_24_hours_is_overdue_and_fails_the_check(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    late = _complaint(dt.datetime.now(TZ) - dt.timedelta(hours=30))
    found = {(d.public_id, d.what): d for d in open_deadlines(dt.timedelta(hours=24))}
    reply = found[(late, "complaint_reply")]
    assert reply.overdue and reply.left < -dt.timedelta(hours=5)
    assert found[(late, "complaint_solution")].overdue is False  # 48 hours: 18 left
    assert main(["sla", "--within", "24"]) == 1
    out = capsys.readouterr().out
    assert "已超时 6小时" in out.split(late)[0].splitlines()[-1] and "投诉答复" in out


def test_what_is_not_due_soon_is_left_out_and_the_check_passes(seeded: str) -> None:
    fresh = _complaint(dt.datetime.now(TZ))
    soon = {d.public_id for d in open_deadlines(dt.timedelta(hours=1))}
    everything = open_deadlines()
    assert fresh not in soon and fresh in {d.public_id for d in everything}
    assert everything == sorted(everything, key=lambda d: d.due)
    assert not any(d.overdue for d in open_deadlines(dt.timedelta(hours=1)))
    assert main(["sla", "--within", "1"]) == 0


def test_a_person_is_due_within_the_hour_counted_from_the_agents_opening() -> None:
    rules = PolicyRules()  # agents 9:00–21:00, answer within 1 hour
    assert handoff_due(dt.datetime(2026, 11, 27, 14, 30, tzinfo=TZ), rules) == dt.datetime(
        2026, 11, 27, 15, 30, tzinfo=TZ
    )
    assert handoff_due(dt.datetime(2026, 11, 27, 23, 5, tzinfo=TZ), rules).hour == 10
    assert handoff_due(dt.datetime(2026, 11, 27, 23, 5, tzinfo=TZ), rules).day == 28
    assert handoff_due(dt.datetime(2026, 11, 28, 6, 0, tzinfo=TZ), rules).hour == 10


def test_time_left_and_due_read_as_the_team_says_them() -> None:
    assert time_left(dt.timedelta(hours=3, minutes=5)) == "还剩 3小时05分"
    assert time_left(-dt.timedelta(days=2, hours=4)) == "已超时 2天4小时"
    assert due_text(dt.datetime(2026, 12, 2, tzinfo=TZ)).startswith("12月1日（周二）当天")

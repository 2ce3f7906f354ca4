"""`python -m bot report` on a real store (SQLite and PostgreSQL): the demo year of ratings,
the ratings the bot collects, and a customer's comment that must not become markup."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import shop_now
from bot.config import get_settings
from bot.insights.report import write_report
from bot.policy import Dimension
from bot.services import RatedService, save_rating
from tests.conftest import use_demo_store


@pytest.fixture
def seeded(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    use_demo_store(database_url, monkeypatch)
    yield database_url
    get_settings.cache_clear()


def _report(folder: Path, **period: dt.date) -> dict:
    html, data = write_report(folder, period.get("since"), period.get("until"))
    assert html.read_text(encoding="utf-8").startswith("<!doctype html>")
    return json.loads(data.read_text(encoding="utf-8"))


def test_the_demo_year_is_reported_with_every_section(seeded: str, tmp_path: Path) -> None:
    data = _report(tmp_path)
    assert data["summary"]["answered"] > 100  # the seed's year of ratings
    assert len(data["monthly"]) >= 12 and data["comparison"]["year_before"] is not None
    assert {"topic", "product_line", "channel", "team"} == set(data["groups"])
    assert data["keywords_dissatisfied"] and data["complaints_in_period"] > 0
    assert [t["name"] for t in data["targets"]] == ["satisfaction", "recommend", "complaint_reply"]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "<script" not in page


def test_a_rating_the_bot_collects_today_is_in_it_and_its_comment_is_text(
    seeded: str, tmp_path: Path
) -> None:
    today = shop_now().date()
    before = _report(tmp_path, since=today, until=today + dt.timedelta(days=1))
    save_rating(
        RatedService("conv-report", "web", "repair", "RP20261128-0001", "家电"),
        {Dimension.OVERALL: 1, Dimension.RECOMMEND: 1},
        solved=False,
        comment='<span></span><script>alert(1)</script><img src=x onerror="alert(1)"> 师傅没来，'
        "电话13812345678也打不通",
    )
    after = _report(tmp_path, since=today, until=today + dt.timedelta(days=1))
    assert after["summary"]["answered"] == before["summary"]["answered"] + 1
    flagged = [r for r in after["extreme_ratings"] if r["subject"] == "RP20261128-0001"]
    assert flagged and "13812345678" not in flagged[0]["comment"]  # masked when it was saved
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "<script>" not in page and "<span></span>" not in page  # not even behind a <span


def test_a_period_without_ratings_is_a_report_not_an_error(seeded: str, tmp_path: Path) -> None:
    data = _report(tmp_path, since=dt.date(2001, 1, 1), until=dt.date(2001, 1, 31))
    assert data["summary"]["answered"] == 0 and data["comparison"] is None
    assert {t["met"] for t in data["targets"]} == {None}


def test_the_command_refuses_a_period_that_ends_before_it_starts(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["report", "--since", "2026-11-20", "--until", "2026-11-01", "--out", str(tmp_path)]
    )
    assert code == 1 and "after" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()
    assert main(["report", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.json").exists()


def test_the_bots_own_figures_come_from_the_conversations_kept(
    seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = sqlite3.connect(tmp_path / "conversations.db")
    database.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
        " timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
    )
    at = shop_now().timestamp() - 3600
    for n, (kind, data) in enumerate(
        [
            ("user", {"parse_data": {"intent": {"name": "nlu_fallback"},
                                     "intent_ranking": [{"name": "complain"}]}}),
            ("user", {"parse_data": {"intent": {"name": "human_handoff"}}}),
            ("action", {"name": "action_request_handoff"}),
            ("bot", {"text": "not read"}),
        ]
    ):  # fmt: skip
        database.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            ("conv-quality", kind, at + n, json.dumps(data)),
        )
    database.commit()
    database.close()
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "conversations.db"))
    get_settings.cache_clear()
    bot = _report(tmp_path / "out")["bot_quality"]
    assert (bot["conversations"], bot["messages"], bot["fallback_rate"]) == (1, 2, 0.5)
    assert bot["fallback_guesses"] == [["complain", 1]] and bot["handoff_rate"] == 1.0

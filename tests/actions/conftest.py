"""Action tests run against the real domain and a real, migrated, temporary SQLite store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk import Tracker
from sqlalchemy import create_engine

from bot.config import PROJECT_ROOT, get_settings
from bot.policy import WorkCalendar, configured_calendar, configured_rules
from bot.services.verification import verify_owner
from bot.store import open_repository
from bot.store.db import make_engine, unit_of_work
from bot.store.migrate import upgrade
from bot.store.seed import seed

DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def render(message: dict[str, Any]) -> str:
    """The customer-facing text, as Rasa fills the response's template from the message."""
    return DOMAIN["responses"][message["response"]][0]["text"].format(**message)


def tracker(sender: str = "test-user", intent: str = "greet", **latest: Any) -> Tracker:
    """A tracker whose latest message has `intent` and any other parse data given."""
    message = {"intent": {"name": intent, "confidence": 1.0}, "entities": [], **latest}
    return Tracker(sender, {}, message, [], False, None, {}, "")


def fetch_rows(url: str, statement: Any) -> list[tuple]:
    """Run one SELECT against the test store and return plain tuples."""
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(statement).all()]
    engine.dispose()
    return rows


def _clear_caches() -> None:
    for cached in (get_settings, configured_rules, configured_calendar):
        cached.cache_clear()


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the actions at a fresh migrated SQLite file for each test."""
    url = f"sqlite:///{tmp_path / 'actions.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    _clear_caches()
    upgrade(url)
    yield url
    _clear_caches()


@pytest.fixture
def demo_store(store: str) -> str:
    """The store with the demo orders, seeded as of now in the shop's time zone."""
    shanghai = ZoneInfo("Asia/Shanghai")
    engine = make_engine(store)
    with unit_of_work(engine) as session:
        seed(session, dt.datetime.now(shanghai), shanghai, WorkCalendar())
    engine.dispose()
    return store


def prove(order_no: str, conversation_id: str) -> None:
    """Record in the store that `conversation_id` proved it owns `order_no` (as a correct
    phone would), so the services show that order's details to it."""
    with open_repository() as repo:
        phone = repo.find_order(order_no).buyer_phone
    assert verify_owner(order_no, phone, conversation_id).outcome.value == "verified"

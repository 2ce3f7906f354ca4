"""Action tests run against the real domain and a real, migrated, temporary SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker

from bot.config import PROJECT_ROOT, get_settings
from bot.policy import configured_calendar, configured_rules
from bot.store.migrate import upgrade

DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def render(message: dict[str, Any]) -> str:
    """The customer-facing text, as Rasa fills the response's template from the message."""
    return DOMAIN["responses"][message["response"]][0]["text"].format(**message)


def tracker(sender: str = "test-user", intent: str = "greet", **latest: Any) -> Tracker:
    """A tracker whose latest message has `intent` and any other parse data given."""
    message = {"intent": {"name": intent, "confidence": 1.0}, "entities": [], **latest}
    return Tracker(sender, {}, message, [], False, None, {}, "")


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

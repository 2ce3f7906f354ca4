"""The servers' start-up hides third-party deprecation warnings and shows ours."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from bot.cli import rasa_entry
from bot.config import PROJECT_ROOT


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    monkeypatch.setattr(
        warnings, "showwarning", lambda message, *_a, **_k: seen.append(str(message))
    )
    rasa_entry.quiet_third_party_deprecations()
    yield seen


def test_third_party_deprecations_are_not_shown(shown: list[str]) -> None:
    site = "/venv/lib/python3.10/site-packages/sanic_cors/extension.py"
    warnings.showwarning(DeprecationWarning("distutils"), DeprecationWarning, site, 39)
    assert shown == []


def test_ours_and_other_warnings_still_are(shown: list[str]) -> None:
    ours = str(PROJECT_ROOT / "bot" / "store" / "db.py")
    warnings.showwarning(DeprecationWarning("ours"), DeprecationWarning, ours, 1)
    site = "/venv/lib/python3.10/site-packages/rasa/x.py"
    warnings.showwarning(UserWarning("a real problem"), UserWarning, site, 1)
    assert shown == ["ours", "a real problem"]

"""The policy answer action, with the real domain and the configured rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.policy_faq import ActionExplainReturnPolicy
from bot.config import PROJECT_ROOT, get_settings
from bot.policy import configured_rules

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def tracker() -> Tracker:
    return Tracker(
        "test-user", {}, {"intent": {"name": "ask_return_policy"}}, [], False, None, {}, ""
    )


def render(message: dict) -> str:
    """The customer-facing text, as Rasa fills the response's template from the message."""
    return DOMAIN["responses"][message["response"]][0]["text"].format(**message)


@pytest.fixture(autouse=True)
def fresh_config():
    for cached in (get_settings, configured_rules):
        cached.cache_clear()
    yield
    for cached in (get_settings, configured_rules):
        cached.cache_clear()


async def test_explains_the_default_windows() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionExplainReturnPolicy().run(dispatcher, tracker(), DOMAIN)
    assert events == []
    text = render(dispatcher.messages[0])
    assert "7天内" in text and "15天内" in text and "个人护理、化妆品、食品" in text


async def test_follows_the_operators_policy_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("no_reason_return_days: 10\n", encoding="utf-8")
    monkeypatch.setenv("POLICY_FILE", str(policy))
    dispatcher = CollectingDispatcher()
    await ActionExplainReturnPolicy().run(dispatcher, tracker(), DOMAIN)
    assert dispatcher.messages[0]["no_reason_days"] == 10

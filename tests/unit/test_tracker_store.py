"""The redacting tracker store: nothing personal is stored, and a turn costs the same whether it is
the conversation's 4th or its 400th, on the in-memory and on the SQL inner store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

import bot.privacy.tracker_store as tracker_store
from bot.privacy.tracker_store import RedactingTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [inform]
entities: [phone]
slots:
  order_id: {type: text, mappings: [{type: custom}]}
  repair_address: {type: text, mappings: [{type: custom}]}
responses:
  utter_ok: [{text: "好的"}]
"""
)
PHONE = "13800138000"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
ORDER = "202411150003"


def turn(n: int) -> list[Event]:
    """One customer turn: a message with a phone in it and a token, two slots, an answer."""
    message = UserUttered(
        f"第{n}次: 我的手机 138-0013-8000",
        {"name": "inform", "confidence": 1.0},
        [{"entity": "phone", "value": PHONE, "start": 8, "end": 21}],
        metadata={"customer_token": TOKEN},
    )
    return [
        message,
        SlotSet("repair_address", f"上门前打{PHONE}"),
        SlotSet("order_id", ORDER),
        ActionExecuted("utter_ok"),
        BotUttered("好的"),
        ActionExecuted("action_listen"),
    ]


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RedactingTrackerStore:
    """The store on the in-memory default and on `type: sql` (a SQLite file), as serve sets it."""
    inner = None
    if request.param == "sql":
        inner = {"type": "sql", "dialect": "sqlite", "db": str(tmp_path / "conversations.db")}
    return RedactingTrackerStore(DOMAIN, inner=inner)


@pytest.fixture
def redactions(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every event the store redacts, in order (a spy on redact_event)."""
    seen: list[dict[str, Any]] = []
    real: Callable[[dict[str, Any]], dict[str, Any]] = tracker_store.redact_event

    def spy(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        return real(event)

    monkeypatch.setattr(tracker_store, "redact_event", spy)
    return seen


async def talk(
    store: RedactingTrackerStore, sender: str, turns: int, retrieve_every: int = 1
) -> DialogueStateTracker:
    """`turns` turns as Rasa's processor runs them: retrieve, append the turn, save. Retrieving
    costs a read of the whole conversation, so long runs may keep the live tracker between."""
    tracker = await store.get_or_create_tracker(sender)
    for n in range(turns):
        if n % retrieve_every == 0:
            tracker = await store.retrieve(sender)
        for event in turn(n):
            tracker.update(event)
        await store.save(tracker)
    return tracker


async def stored(store: RedactingTrackerStore, sender: str) -> list[dict[str, Any]]:
    """The events the inner store holds for `sender`, all sessions."""
    tracker = await store._inner.retrieve_full_tracker(sender)
    return [event.as_dict() for event in tracker.events]


def assert_private(events: list[dict[str, Any]]) -> None:
    text = json.dumps(events, ensure_ascii=False)
    assert PHONE not in text and "138-0013-8000" not in text and TOKEN not in text
    assert "138****8000" in text and ORDER in text


async def test_a_conversation_of_400_turns_keeps_no_phone(store: RedactingTrackerStore) -> None:
    live = await talk(store, "long", 400, retrieve_every=50)
    events = await stored(store, "long")
    assert len(events) == len(live.events) == 1 + 400 * len(turn(0))
    assert_private(events)
    assert PHONE in live.latest_message.text.replace("-", ""), "the live turn keeps the text"


@pytest.mark.parametrize("earlier_turns", [2, 150])
async def test_a_save_redacts_only_the_events_added_since_retrieve(
    store: RedactingTrackerStore, redactions: list[dict[str, Any]], earlier_turns: int
) -> None:
    await talk(store, "me", earlier_turns, retrieve_every=25)
    tracker = await store.retrieve("me")
    new = turn(earlier_turns)
    for event in new:
        tracker.update(event)
    redactions.clear()
    await store.save(tracker)
    assert len(redactions) == len(new), "the same number at turn 3 and at turn 151"
    assert_private(await stored(store, "me"))


async def test_incremental_saves_store_what_redacting_everything_would(
    store: RedactingTrackerStore,
) -> None:
    live = await talk(store, "me", 3)
    tracker = await store.retrieve("me")
    for event in turn(3):  # two saves in one turn, a new session in the middle
        tracker.update(event)
    await store.save(tracker)
    for event in [ActionExecuted("action_session_start"), SessionStarted(), *turn(4)]:
        tracker.update(event)
    await store.save(tracker)
    everything = [*live.events, *turn(3)]
    assert len(await stored(store, "me")) == len(everything) + 2 + len(turn(4))
    from_scratch = store.redacted(tracker)
    assert await stored(store, "me") == [event.as_dict() for event in from_scratch.events]


async def test_the_tracker_handed_to_the_inner_store_has_no_phone_in_its_state(
    store: RedactingTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stores such as Mongo keep the tracker's state (slots, latest message) too."""
    await talk(store, "me", 2)
    handed: list[DialogueStateTracker] = []
    inner_save = store._inner.save

    async def keep(tracker: DialogueStateTracker) -> None:
        handed.append(tracker)
        await inner_save(tracker)

    monkeypatch.setattr(store._inner, "save", keep)
    tracker = await store.retrieve("me")
    for event in turn(2):
        tracker.update(event)
    await store.save(tracker)
    state = json.dumps(handed[0].current_state(EventVerbosity.ALL), ensure_ascii=False)
    assert PHONE not in state and TOKEN not in state
    assert handed[0].get_slot("repair_address") == "上门前打138****8000"
    assert handed[0].get_slot("order_id") == ORDER


async def test_the_live_tracker_is_not_changed(store: RedactingTrackerStore) -> None:
    tracker = await store.get_or_create_tracker("me")
    for event in turn(0):
        tracker.update(event)
    before = [event.as_dict() for event in tracker.events]
    await store.save(tracker)
    assert [event.as_dict() for event in tracker.events] == before
    assert tracker.get_slot("repair_address") == f"上门前打{PHONE}"
    assert tracker.latest_message.metadata["customer_token"] == TOKEN


async def test_a_tracker_the_store_did_not_hand_out_is_redacted_whole(
    store: RedactingTrackerStore, redactions: list[dict[str, Any]]
) -> None:
    tracker = DialogueStateTracker.from_events("other", turn(0), DOMAIN.slots)
    await store.save(tracker)
    assert len(redactions) == len(turn(0))
    assert_private(await stored(store, "other"))

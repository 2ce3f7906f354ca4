"""`python -m bot nlu-review`: the messages the bot understood least come out of the stored
conversations grouped and ready to label, and a labelled file goes into data/nlu only when
every label is an intent the bot has."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.cli.nlu_review import (
    ReviewError,
    evaluation_texts,
    import_review,
    known_intents,
    uncertain_messages,
)
from bot.config import PROJECT_ROOT
from bot.privacy.tracker_store import RedactingTrackerStore


def user(
    text: str,
    intent: str,
    confidence: float,
    stamp: float = 1_764_000_000.0,
    ranking: list | None = None,
) -> dict:
    parse = {"intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking or []}
    return {"event": "user", "text": text, "timestamp": stamp, "parse_data": parse}


def test_uncertain_messages_are_grouped_by_normalised_text_most_frequent_first() -> None:
    events = [
        user("亲 东西都寄回去了咋还没动静", "ask_refund_status", 0.31),
        user("親 東西都寄回去了咋還沒動靜", "ask_refund_status", 0.28),  # the same, traditional
        user("服了", "nlu_fallback", 0.2, ranking=[{"name": "nlu_fallback"}, {"name": "affirm"}]),
        user("我要退货", "request_return", 0.97),  # sure of it: not listed
        user("/affirm", "affirm", 0.1),  # a button's payload: not the customer's words
    ]
    items = uncertain_messages(events, since=None, threshold=0.5)
    assert [(i.text, i.count) for i in items] == [("亲 东西都寄回去了咋还没动静", 2), ("服了", 1)]
    assert items[0].as_yaml()["bot_guessed"] == "ask_refund_status ×2"
    assert items[1].as_yaml()["bot_guessed"] == "affirm ×1"  # what it would have said
    assert items[0].as_yaml()["intent"] == "" and items[0].as_yaml()["lowest_confidence"] == 0.28


def test_only_messages_since_the_date_are_listed() -> None:
    since = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    events = [
        user("在吗在吗", "greet", 0.3, stamp=since.timestamp() - 1),
        user("有人吗", "greet", 0.3, stamp=since.timestamp() + 1),
    ]
    assert [i.text for i in uncertain_messages(events, since, 0.5)] == ["有人吗"]


def review_file(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "review.yml"
    path.write_text(yaml.safe_dump({"messages": entries}, allow_unicode=True), encoding="utf-8")
    return path


def test_labelled_messages_are_added_once_and_unlabelled_ones_skipped(tmp_path: Path) -> None:
    known = known_intents(PROJECT_ROOT / "domain.yml", PROJECT_ROOT / "data" / "nlu")
    assert {"complain", "faq/refund_time"} <= known and "nlu_fallback" not in known
    target = tmp_path / "reviewed.yml"
    entries = [{"text": "我真的会谢哈哈", "intent": "complain"}, {"text": "钱退回去大概要等多少天呀", "intent": "faq/refund_time"},
               {"text": "嗯嗯嗯", "intent": ""}]  # fmt: skip
    test_line = {"text": "請給我退貨", "intent": "request_return"}  # 请给我退货 is in a test split
    assert "请给我退货" in evaluation_texts()
    withheld = evaluation_texts()
    assert import_review(review_file(tmp_path, [*entries, test_line]), known, target, withheld) == 2
    assert import_review(review_file(tmp_path, entries), known, target, withheld) == 0  # known
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(target))
    assert {(m.get("text"), m.get("intent")) for m in data.intent_examples} == {
        ("钱退回去大概要等多少天呀", "faq"), ("我真的会谢哈哈", "complain")}  # fmt: skip


@pytest.mark.parametrize(
    "entry",
    [
        {"text": "服了", "intent": "complian"},
        {"text": "看[这里](order_id)", "intent": "inform"},
        {"text": "", "intent": "greet"},
    ],
)
def test_a_wrong_label_imports_nothing(tmp_path: Path, entry: dict) -> None:
    known = known_intents(PROJECT_ROOT / "domain.yml", PROJECT_ROOT / "data" / "nlu")
    target = tmp_path / "reviewed.yml"
    entries = [{"text": "好的呢", "intent": "affirm"}, entry]
    with pytest.raises(ReviewError):
        import_review(review_file(tmp_path, entries), known, target)
    assert not target.exists()


def test_the_command_reads_a_stored_conversation(tmp_path: Path) -> None:
    """A conversation stored as the bot stores it (redacted, in TRACKER_DB) comes out in the
    review file; the phone in it stays masked."""
    conversations = tmp_path / "conversations.db"
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = RedactingTrackerStore(
        domain, inner={"type": "sql", "dialect": "sqlite", "db": str(conversations)}
    )
    tracker = DialogueStateTracker.from_events("web-review-1", [], domain.slots)
    for text, confidence in [("我手机13800138000 咋还不处理", 0.22), ("转人工", 0.99)]:
        parse = {"intent": {"name": "ask_refund_status", "confidence": confidence}, "entities": []}
        tracker.update(UserUttered(text, parse_data=parse))
    asyncio.run(store.save(tracker))
    out = tmp_path / "to-label.yml"
    env = {**os.environ, "TRACKER_DB": str(conversations), "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "nlu-review", "--out", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [entry] = yaml.safe_load(out.read_text(encoding="utf-8"))["messages"]
    assert (
        entry["text"] == "我手机138****8000 咋还不处理"
        and entry["bot_guessed"] == "ask_refund_status ×1"
    )
    assert "13800138000" not in out.read_text(encoding="utf-8")

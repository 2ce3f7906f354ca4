"""The messaging channels' shared parts without a server: the access-token cache, the
per-conversation queue, and how a Feishu event or a WeCom setting is read."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.channels import feishu, messaging, wecom
from bot.channels.feishu import Incoming


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_reused_until_shortly_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(messaging.time, "monotonic", clock)
    fetched: list[str] = []

    def fetch() -> tuple[str, int]:
        fetched.append(f"t-{len(fetched) + 1}")
        return fetched[-1], 7200

    token = messaging.AccessToken(fetch)
    assert token.get() == token.get() == "t-1"
    clock.now += 7200 - messaging.TOKEN_REFRESH_MARGIN_S - 1
    assert token.get() == "t-1"
    clock.now += 2
    assert token.get() == "t-2"
    token.forget("t-1")  # an old token the platform rejected: the new one stays
    assert token.get() == "t-2"
    token.forget("t-2")
    assert token.get() == "t-3"


def test_a_failed_fetch_is_retried_next_time() -> None:
    answers: list[tuple[str, int] | Exception] = [OSError("down"), ("t-1", 7200)]

    def fetch() -> tuple[str, int]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    token = messaging.AccessToken(fetch)
    with pytest.raises(OSError):
        token.get()
    assert token.get() == "t-1"


async def test_one_conversations_turns_run_in_order_and_others_alongside() -> None:
    queue = messaging.ConversationQueue()
    log: list[str] = []

    def turn(name: str, pause: float):
        async def run() -> None:
            log.append(f"{name} starts")
            await asyncio.sleep(pause)
            log.append(f"{name} ends")

        return run

    queue.submit("a", turn("a1", 0.05))
    queue.submit("a", turn("a2", 0))
    queue.submit("b", turn("b1", 0))
    await queue.drain()
    assert log.index("a1 ends") < log.index("a2 starts")
    assert log.index("b1 ends") < log.index("a1 ends")  # b did not wait for a
    assert queue._locks == {} and queue._waiting == {}  # nothing kept for idle conversations


async def test_a_failing_turn_does_not_stop_the_next() -> None:
    queue = messaging.ConversationQueue()
    done: list[str] = []

    async def fails() -> None:
        raise RuntimeError("boom")

    async def works() -> None:
        done.append("second")

    queue.submit("a", fails)
    queue.submit("a", works)
    await queue.drain()
    assert done == ["second"]


def message_event(**changes: object) -> dict:
    message = {
        "chat_type": "p2p",
        "chat_id": "oc_1",
        "message_type": "text",
        "content": json.dumps({"text": "我要退货"}),
    }
    message.update(changes)
    return {"sender": {"sender_type": "user", "sender_id": {"open_id": "ou_1"}}, "message": message}


@pytest.mark.parametrize(
    ("event_type", "event", "expected"),
    [
        ("im.message.receive_v1", message_event(), Incoming("ou_1", "我要退货")),
        ("im.message.receive_v1", message_event(message_type="image"), Incoming("ou_1", None)),
        ("im.message.receive_v1", message_event(chat_type="group"), Incoming("ou_1", None, "oc_1")),
        ("im.message.receive_v1",
         message_event(message_type="post", content=json.dumps(
             {"title": "退货", "content": [[{"tag": "text", "text": "订单"}, {"tag": "a", "text": "202411150003"}],
                                         [{"tag": "img", "image_key": "img_1"}]]})),
         Incoming("ou_1", "退货\n订单202411150003")),
        ("im.message.receive_v1",
         message_event(message_type="post", content=json.dumps({"content": [[{"tag": "img"}]]})),
         Incoming("ou_1", None)),
        ("card.action.trigger",
         {"operator": {"open_id": "ou_1"}, "action": {"value": {"payload": "/affirm"}}},
         Incoming("ou_1", "/affirm", clicked=True)),
        ("im.chat.member.bot.added_v1", {}, None),
        ("im.message.receive_v1", {**message_event(), "sender": {"sender_type": "app"}}, None),
    ],
)  # fmt: skip
def test_feishu_events_are_read(event_type: str, event: dict, expected: Incoming | None) -> None:
    assert feishu._incoming(event_type, event) == expected


@pytest.mark.parametrize(
    "event",
    [
        None,
        {},
        message_event(content="not json"),
        message_event(content=json.dumps({"text": 42})),
        message_event(chat_type="topic"),
        {**message_event(), "sender": {"sender_type": "user", "sender_id": {"open_id": 7}}},
    ],
)
def test_malformed_feishu_messages_are_errors(event: object) -> None:
    with pytest.raises(ValueError):
        feishu._incoming("im.message.receive_v1", event)


def test_a_card_click_without_our_payload_is_an_error() -> None:
    with pytest.raises(ValueError):
        feishu._incoming("card.action.trigger", {"operator": {"open_id": "ou_1"}, "action": {}})


def test_feishu_buttons_become_a_card() -> None:
    messages = [{"text": "请选择", "buttons": [{"title": "5分", "payload": '/rate{"score": 5}'}]}]
    card = feishu.card(messages)
    assert card["elements"][0]["text"]["content"] == "请选择"
    [button] = card["elements"][1]["actions"]
    assert button["text"]["content"] == "5分" and button["value"] == {
        "payload": '/rate{"score": 5}'
    }


FEISHU_ENV = {
    "FEISHU_APP_ID": "cli_1",
    "FEISHU_APP_SECRET": "secret",
    "FEISHU_VERIFICATION_TOKEN": "token",
    "FEISHU_ENCRYPT_KEY": "key",
}
WECOM_ENV = {
    "WECOM_CORP_ID": "ww1",
    "WECOM_AGENT_ID": "1000002",
    "WECOM_SECRET": "secret",
    "WECOM_TOKEN": "token",
    "WECOM_ENCODING_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}


@pytest.mark.parametrize("missing", [*FEISHU_ENV, None])
def test_feishu_is_off_unless_every_credential_is_set(
    monkeypatch: pytest.MonkeyPatch, missing: str | None
) -> None:
    for name, value in FEISHU_ENV.items():
        monkeypatch.setenv(name, "" if name == missing else value)
    settings = feishu.FeishuSettings.from_env()
    assert (settings is None) == (missing is not None)


@pytest.mark.parametrize(
    "changes",
    [{"WECOM_TOKEN": ""}, {"WECOM_AGENT_ID": "abc"}, {"WECOM_ENCODING_AES_KEY": "too-short"}, {}],
)
def test_wecom_is_off_unless_every_credential_is_usable(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, str]
) -> None:
    for name, value in {**WECOM_ENV, **changes}.items():
        monkeypatch.setenv(name, value)
    assert (wecom.WeComSettings.from_env() is None) == bool(changes)


def test_conversation_ids_are_keyed_per_channel_and_secret() -> None:
    one = messaging.keyed_conversation("feishu", "secret", "ou_1")
    assert one.startswith("feishu:") and "ou_1" not in one
    assert one != messaging.keyed_conversation("feishu", "other secret", "ou_1")
    assert one.startswith(messaging.CONVERSATION_PREFIXES)


async def test_a_turn_keeps_its_place_while_the_store_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first message's slower store check does not let the second overtake it, and a
    repeat is refused without running."""
    seen: set[str] = set()

    def first_delivery(channel: str, delivery_id: str) -> bool:
        time.sleep(0.05 if delivery_id == "m1" else 0)
        new = delivery_id not in seen
        seen.add(delivery_id)
        return new

    monkeypatch.setattr(messaging, "first_delivery", first_delivery)
    queue = messaging.ConversationQueue()
    ran: list[str] = []

    def turn(name: str):
        async def run() -> None:
            ran.append(name)

        return run

    answers = await asyncio.gather(
        queue.submit_once("a", "wecom", ["m1"], turn("m1")),
        queue.submit_once("a", "wecom", ["m2"], turn("m2")),
    )
    repeat = await queue.submit_once("a", "wecom", ["m1"], turn("m1 again"))
    await queue.drain()
    assert answers == [None, None] and ran == ["m1", "m2"]
    assert repeat is not None and repeat.status == 409


@pytest.mark.parametrize(
    ("stamp", "fresh"),
    [("now", True), ("an hour ago", False), ("1" * 400, False), ("1" * 5000, False),
     ("１７００００００００", False), ("-1", False), ("", False), ("17e8", False)],
)  # fmt: skip
def test_only_a_plain_recent_timestamp_is_fresh(stamp: str, fresh: bool) -> None:
    now = int(messaging.now_s())
    text = {"now": str(now), "an hour ago": str(now - 3700)}.get(stamp, stamp)
    assert messaging.fresh_stamp(text) is fresh

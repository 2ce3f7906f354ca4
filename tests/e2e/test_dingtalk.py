"""The DingTalk robot callback against the real servers and a fake DingTalk on 127.0.0.1:
a signed message gets the bot's reply through the session webhook (buttons as numbered
options, and "1" chooses the first); a bad, stale, replayed or malformed request gets 4xx
and nothing is posted."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from bot.channels.dingtalk import signature
from tests.e2e.conftest import DINGTALK_SECRET, BotServer, FakePlatform

pytestmark = pytest.mark.e2e


def now_ms() -> int:
    return int(time.time() * 1000)


def callback(platform: FakePlatform, text: str, changes: dict | None = None) -> dict:
    """A one-to-one text message as DingTalk delivers it, with a fresh message id."""
    body = {
        "msgtype": "text",
        "text": {"content": text},
        "msgId": uuid.uuid4().hex,
        "createAt": now_ms(),
        "conversationType": "1",
        "senderStaffId": "staff-4711",
        "sessionWebhook": f"{platform.url}/robot/sendBySession?session=abc",
        "sessionWebhookExpiredTime": now_ms() + 3600 * 1000,
    }
    return {**body, **(changes or {})}


def post(server: BotServer, body: dict, stamp: str | None = None, sign: str | None = None) -> int:
    stamp = stamp or str(int(time.time() * 1000))
    headers = {"timestamp": stamp, "sign": sign or signature(stamp, DINGTALK_SECRET)}
    reply = requests.post(
        f"{server.rasa_url}/webhooks/dingtalk/webhook", json=body, headers=headers, timeout=60
    )
    return reply.status_code


def replies(platform: FakePlatform, since: int) -> list[str]:
    """What the bot posted to DingTalk's session webhook since the `since`-th post, waiting
    (up to a minute) for the first: the reply follows the callback's answer."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [
            body["text"]["content"]
            for path, body in platform.posts[since:]
            if path.startswith("/robot/")
        ]
        if found:
            return found
        time.sleep(0.1)
    pytest.fail("no reply through the session webhook within 60 s")


def test_a_signed_message_is_answered_through_the_session_webhook(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    before = len(fake_platform.posts)
    assert post(bot_server, callback(fake_platform, "你好")) == 200
    [greeting] = replies(fake_platform, before)
    assert "售后小助手" in greeting and "1. 退换货" in greeting
    before = len(fake_platform.posts)
    assert post(bot_server, callback(fake_platform, "1")) == 200  # option 1
    assert "订单号" in replies(fake_platform, before)[0]


@pytest.mark.parametrize("tamper", ["bad signature", "stale", "future", "not a number"])
def test_an_unsigned_or_stale_request_is_refused_and_touches_nothing(
    bot_server: BotServer, fake_platform: FakePlatform, tamper: str
) -> None:
    now = int(time.time() * 1000)
    stamp = {"stale": now - 2 * 3600 * 1000, "future": now + 2 * 3600 * 1000}.get(tamper, now)
    stamp_text = "yesterday" if tamper == "not a number" else str(stamp)
    sign = "AAAA" if tamper == "bad signature" else signature(stamp_text, DINGTALK_SECRET)
    before = len(fake_platform.posts)
    status = post(bot_server, callback(fake_platform, "你好"), stamp_text, sign)
    assert status == 401 and len(fake_platform.posts) == before


def test_a_replayed_message_is_refused(bot_server: BotServer, fake_platform: FakePlatform) -> None:
    body = callback(fake_platform, "你好")
    before = len(fake_platform.posts)
    assert post(bot_server, body) == 200
    replies(fake_platform, before)
    before = len(fake_platform.posts)
    assert post(bot_server, body) == 409 and len(fake_platform.posts) == before


def test_a_signature_cannot_carry_a_second_body(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    stamp = str(now_ms())
    sign = signature(stamp, DINGTALK_SECRET)
    before = len(fake_platform.posts)
    assert post(bot_server, callback(fake_platform, "你好"), stamp, sign) == 200
    replies(fake_platform, before)
    before = len(fake_platform.posts)
    forged = callback(fake_platform, "查退款", {"senderStaffId": "someone-else"})
    assert post(bot_server, forged, stamp, sign) == 409 and len(fake_platform.posts) == before


def test_a_group_chat_is_asked_to_message_privately(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    before = len(fake_platform.posts)
    body = callback(fake_platform, "查一下202411020007的退款", {"conversationType": "2"})
    assert post(bot_server, body) == 200
    assert replies(fake_platform, before) == ["为了保护您的订单信息，请私聊我办理售后。"]


@pytest.mark.parametrize(
    "body",
    [{"text": {"content": 42}}, {"text": "hi"}, {"senderStaffId": None, "senderId": None},
     {"msgId": None}, {"createAt": 0},
     {"sessionWebhook": "http://attacker.example/robot/sendBySession?session=abc"},
     {"sessionWebhook": "http://127.0.0.1:1/robot/send?access_token=attacker"},
     {"sessionWebhook": "http://["},  # once a ValueError in urlsplit, a 500
     {"sessionWebhookExpiredTime": 1}],
)  # fmt: skip
def test_a_malformed_message_or_foreign_reply_url_is_refused(
    bot_server: BotServer, fake_platform: FakePlatform, body: dict
) -> None:
    if "127.0.0.1:1" in str(body.get("sessionWebhook")):  # right host, wrong endpoint
        body = {"sessionWebhook": f"{fake_platform.url}/robot/send?access_token=attacker"}
    before = len(fake_platform.posts)
    status = post(bot_server, callback(fake_platform, "你好", body))
    assert status == 400 and len(fake_platform.posts) == before


def test_any_sender_id_is_answered_not_a_crash(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    before = len(fake_platform.posts)
    assert post(bot_server, callback(fake_platform, "你好", {"senderStaffId": "\udc00x"})) == 200
    assert "售后小助手" in replies(fake_platform, before)[0]


def test_a_body_too_large_for_any_callback_is_refused(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    before = len(fake_platform.posts)
    assert post(bot_server, callback(fake_platform, "退" * 40_000)) == 413
    assert len(fake_platform.posts) == before

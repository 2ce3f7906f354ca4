"""The REST channel refuses what it cannot trust with 400, and keeps serving everyone else:
a missing, shared, over-long or unencodable sender, another channel's conversation, a message
that is not text. The web widget's channel takes messages only from the page's server."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.e2e.conftest import WEB_CHANNEL_KEY, BotServer, texts

pytestmark = pytest.mark.e2e


def post(server: BotServer, body: object) -> requests.Response:
    # json.dumps keeps a lone surrogate as the escape \ud800, as a careless client sends it.
    return requests.post(
        f"{server.rasa_url}/webhooks/rest/webhook",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


@pytest.mark.parametrize(
    "body",
    [{"message": "查一下202411020007的退款"},  # no sender: would share the conversation "default"
     {"sender": "", "message": "你好"},
     {"sender": "default", "message": "你好"},
     {"sender": "dingtalk:0123abcd", "message": "你好"},  # a DingTalk user's conversation
     {"sender": "feishu:0123abcd", "message": "你好"},
     {"sender": "wecom:0123abcd", "message": "你好"},
     {"sender": "web-0f8fad5b-d9cb-469f-a165-70867728950e", "message": "你好"},  # the widget's
     {"sender": "\ud800", "message": "你好"},  # once stopped both servers
     {"sender": "x" * 129, "message": "你好"},
     {"sender": ["a"], "message": "你好"},
     {"sender": "e2e-refusal", "message": None},
     {"sender": "e2e-refusal", "message": 42},
     ["not", "an", "object"]],
)  # fmt: skip
def test_untrusted_requests_get_400_and_the_bot_keeps_serving(
    bot_server: BotServer, body: object
) -> None:
    assert post(bot_server, body).status_code == 400
    assert "您好" in texts(bot_server.say("e2e-refusal-after", "你好"))


def test_odd_metadata_is_ignored_not_a_failure(bot_server: BotServer) -> None:
    reply = post(bot_server, {"sender": "e2e-odd-meta", "message": "你好", "metadata": "x"})
    assert reply.status_code == 200 and reply.json()


def test_the_client_cannot_name_the_channel(bot_server: BotServer) -> None:
    me = "e2e-channel-name"
    body = {"sender": me, "message": "你好", "input_channel": "wecom"}
    assert post(bot_server, body).status_code == 200
    assert any('"input_channel": "rest"' in e for e in bot_server.stored_events(me))


def widget_chat() -> str:
    """A fresh widget conversation id, as widget.js makes one."""
    return f"web-{uuid.uuid4()}"


@pytest.mark.parametrize(
    ("key", "sender", "status"),
    [(None, "widget", 403), ("guess", "widget", 403), (WEB_CHANNEL_KEY[:-1], "widget", 403),
     (WEB_CHANNEL_KEY, "e2e-not-a-widget", 400), (WEB_CHANNEL_KEY, "dingtalk:0123abcd", 400)],
)  # fmt: skip
def test_only_the_pages_server_may_post_as_the_widget(
    bot_server: BotServer, key: str | None, sender: str, status: int
) -> None:
    sender = widget_chat() if sender == "widget" else sender
    headers = {"X-Web-Channel-Key": key} if key is not None else {}
    reply = requests.post(
        f"{bot_server.rasa_url}/webhooks/web/webhook",
        json={"sender": sender, "message": "查一下202411020007的退款"},
        headers=headers,
        timeout=60,
    )
    assert reply.status_code == status
    assert bot_server.stored_events(sender) == []


def test_the_widgets_messages_are_recorded_as_the_web_channel(bot_server: BotServer) -> None:
    chat = widget_chat()
    reply = requests.post(
        f"{bot_server.web_url}/api/chat",
        json={"sender": chat, "message": "你好"},
        timeout=60,
    )
    assert reply.status_code == 200 and "您好" in texts(reply.json())
    assert any('"input_channel": "web"' in e for e in bot_server.stored_events(chat))


def test_metadata_too_deep_to_redact_is_refused(bot_server: BotServer) -> None:
    deep: dict = {}
    for _ in range(900):
        deep = {"x": deep}
    assert (
        post(bot_server, {"sender": "e2e-deep", "message": "你好", "metadata": deep}).status_code
        == 400
    )
    assert "您好" in texts(bot_server.say("e2e-deep", "你好"))  # and the conversation goes on


def test_a_body_larger_than_any_message_is_refused_unread(bot_server: BotServer) -> None:
    huge = {"sender": "e2e-huge", "message": "退" * 600_000}  # about 1.8 MB
    assert post(bot_server, huge).status_code == 413


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"[" * 15_000, {}),
        (b'{"sender": "x"}', {"Content-Type": "application/json; charset=bogus"}),
    ],
)
def test_the_page_refuses_odd_bodies_with_400(
    bot_server: BotServer, body: bytes, headers: dict
) -> None:
    reply = requests.post(f"{bot_server.web_url}/api/chat", data=body, headers=headers, timeout=30)
    assert reply.status_code == 400


def test_a_lone_surrogate_in_a_complaint_does_not_lose_it(bot_server: BotServer) -> None:
    """JSON carries "\\ud800", the database cannot store it: it is dropped at the door, and
    the complaint is filed instead of an apology for the system."""
    me = "e2e-surrogate-complaint"
    bot_server.say(me, "我要投诉 快递员\ud800态度很差还骂人")
    bot_server.say(me, "没有订单号")
    filed = texts(bot_server.say(me, "一般"))
    assert "出了点问题" not in filed
    rows = bot_server.rows("select description from complaints where conversation_id = ?", me)
    assert rows and "\ud800" not in rows[0][0] and "骂人" in rows[0][0]


def test_rasas_own_control_payloads_are_only_words(bot_server: BotServer) -> None:
    """/back would rewind a form mid-way; typed by a customer it is answered, not obeyed."""
    me = "e2e-control-payloads"
    bot_server.say(me, "我要退货")
    for typed in ("/back", "/session_start", " /back", "\u3000/back", "\n/session_start",
                  "/ back", "/ session_start"):  # fmt: skip
        assert texts(bot_server.say(me, typed)), typed  # never an empty reply

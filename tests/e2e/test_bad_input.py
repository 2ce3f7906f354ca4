"""Whatever a client sends the REST channel gets a clear 4xx or a reply, never a 500, silence
or a damaged conversation: fixed cases a careless or hostile client sends, then Hypothesis."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.messaging import MAX_MESSAGE_CHARS
from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e

ANSWERED_OR_REFUSED = (200, 400)


def _post(server: BotServer, data: bytes) -> requests.Response:
    return requests.post(
        f"{server.rasa_url}/webhooks/rest/webhook",
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def _say(server: BotServer, sender: str, message: object) -> requests.Response:
    return _post(server, json.dumps({"sender": sender, "message": message}).encode())


def _stored_intact(server: BotServer, sender: str) -> None:
    for row in server.stored_events(sender):
        event = json.loads(row)  # every stored event still reads
        assert len(event.get("text") or "") <= MAX_MESSAGE_CHARS  # a 50,000-character one cut


@pytest.mark.parametrize(
    "message",
    ["", "   \n\t ", "\u3000\u3000", "😡" * 1000, "<script>alert('x')</script>退货",
     "' OR 1=1; --", "202411020007'; DROP TABLE orders; --", "\x00\x01\x1b[31m退款\x7f",
     "\u202e货退要我\u202c", "a\u0301" * 500, "退" * MAX_MESSAGE_CHARS, "我要投诉" * 12_500],
)  # fmt: skip
def test_odd_messages_are_answered(bot_server: BotServer, message: str) -> None:
    me = "e2e-odd-messages"
    reply = _say(bot_server, me, message)
    assert reply.status_code == 200, reply.text
    assert reply.json() and all(isinstance(r.get("text", ""), str) for r in reply.json())
    _stored_intact(bot_server, me)


def test_an_order_number_that_looks_like_sql_is_just_not_found(bot_server: BotServer) -> None:
    me = "e2e-sql-order"
    bot_server.say(me, "查退款")
    answer = texts(bot_server.say(me, "202411020007' OR '1'='1"))
    assert "299" not in answer and "耳机" not in answer  # nothing of the real order shown
    assert bot_server.rows("select count(*) from orders")[0][0] > 0


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"\xff\xfe\x00{", 400), (b'{"sender": "e2e-bytes", "message": "\xe9\x80"}', 400),
     (b"", 400), (b"null", 400), (b"123", 400), (b'"text"', 400),
     (json.dumps({"sender": "e2e-types", "message": ["退货"]}).encode(), 400),
     (json.dumps({"sender": "e2e-types", "message": {"text": "退货"}}).encode(), 400),
     (json.dumps({"sender": "e2e-meta", "message": "hi", "metadata": [1] * 50_000}).encode(), 200)],
)  # fmt: skip
def test_bodies_that_are_not_a_message_get_400(
    bot_server: BotServer, data: bytes, status: int
) -> None:
    assert _post(bot_server, data).status_code == status
    assert "您好" in texts(bot_server.say("e2e-after-bad-body", "你好"))


@settings(
    max_examples=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(
    message=st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
    | st.text(alphabet="退款货订单号0123456789😀 !?。，\n\u200b\ufeff", max_size=80)
)
def test_any_text_gets_a_reply_or_a_clear_refusal(bot_server: BotServer, message: str) -> None:
    me = "e2e-fuzz"
    reply = _say(bot_server, me, message)
    assert reply.status_code in ANSWERED_OR_REFUSED, (message, reply.status_code, reply.text)
    if reply.status_code == 200:
        assert reply.json(), f"silence for {message!r}"
    _stored_intact(bot_server, me)

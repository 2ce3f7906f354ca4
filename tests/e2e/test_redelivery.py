"""The same message delivered twice with one X-Request-Id (what nginx does when a replica dies
before answering) is handled once: the second delivery gets the first one's replies."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def _post(server: BotServer, body: dict, request_id: str | None) -> list[dict]:
    headers = {"X-Request-Id": request_id} if request_id else {}
    response = requests.post(
        f"{server.rasa_url}/webhooks/rest/webhook", json=body, headers=headers, timeout=60
    )
    response.raise_for_status()
    return response.json()


def _user_texts(server: BotServer, sender: str) -> list[str]:
    return [
        json.loads(data)["text"]
        for data in server.stored_events(sender)
        if json.loads(data)["event"] == "user"
    ]


def test_a_redelivered_message_is_answered_not_handled_again(bot_server: BotServer) -> None:
    me = "e2e-redelivery"
    body = {"sender": me, "message": "我退的耳机钱到哪了"}
    first = _post(bot_server, body, "0f" * 16)
    again = _post(bot_server, body, "0f" * 16)
    assert "订单号" in texts(first) and again == first
    assert _user_texts(bot_server, me) == ["我退的耳机钱到哪了"]
    # Without the id, or with a new one, the same words are a new message.
    assert "手机号" in texts(_post(bot_server, {"sender": me, "message": "202411020007"}, None))
    _post(bot_server, {"sender": me, "message": "202411020007"}, "1e" * 16)
    assert _user_texts(bot_server, me).count("202411020007") == 2


def test_a_client_cannot_plant_a_delivery_id_in_the_metadata(bot_server: BotServer) -> None:
    me = "e2e-redelivery-planted"
    planted = {"sender": me, "message": "你好", "metadata": {"delivery_id": "2d" * 16}}
    _post(bot_server, planted, None)
    second = _post(bot_server, {**planted, "message": "查退款"}, None)
    assert "订单号" in texts(second)  # handled, not answered with the greeting's replies
    assert _user_texts(bot_server, me) == ["你好", "查退款"]

"""Whole conversations over the REST channel, against the real servers."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import BotServer

pytestmark = pytest.mark.e2e


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_greeting_lists_what_the_bot_does(bot_server: BotServer) -> None:
    reply = texts(bot_server.say("e2e-greet", "你好"))
    assert "退换货" in reply and "维修" in reply


def test_policy_answer_comes_from_the_action_server_with_policy_numbers(
    bot_server: BotServer,
) -> None:
    reply = texts(bot_server.say("e2e-policy", "收到货几天之内能退货呀"))
    assert "7天内" in reply and "15天内" in reply and "2个工作日" in reply


def test_a_question_in_traditional_characters_is_understood(bot_server: BotServer) -> None:
    assert "7天内" in texts(bot_server.say("e2e-trad", "請問退貨規定是什麼"))


@pytest.mark.parametrize(
    "message", ["", "🙂🙂🙂", "asdfgh qwerty", "退" * 5000, "<script>alert(1)</script>"]
)
def test_odd_input_gets_a_polite_reply_not_an_error(bot_server: BotServer, message: str) -> None:
    replies = bot_server.say("e2e-odd", message)
    assert isinstance(replies, list)
    assert all("Traceback" not in r.get("text", "") for r in replies)


def test_malformed_request_is_a_client_error(bot_server: BotServer) -> None:
    response = requests.post(
        f"{bot_server.rasa_url}/webhooks/rest/webhook", data="not json", timeout=30
    )
    assert 400 <= response.status_code < 500


def test_cors_allows_the_local_web_page(bot_server: BotServer) -> None:
    response = requests.options(
        f"{bot_server.rasa_url}/webhooks/rest/webhook",
        headers={"Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert response.headers.get("Access-Control-Allow-Origin") == "http://localhost:8000"

"""Whole conversations over the REST channel, against the real servers."""

from __future__ import annotations

import re
import sqlite3

import pytest
import requests

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_greeting_lists_what_the_bot_does(bot_server: BotServer) -> None:
    reply = texts(bot_server.say("e2e-greet", "你好"))
    assert "退换货" in reply and "维修" in reply


def test_policy_answer_comes_from_the_action_server_with_policy_numbers(
    bot_server: BotServer,
) -> None:
    reply = texts(bot_server.say("e2e-policy", "收到货几天之内能退货呀"))
    assert "7天内" in reply and "15天内" in reply


def test_a_question_in_traditional_characters_is_understood(bot_server: BotServer) -> None:
    assert "个工作日内为您退款" in texts(bot_server.say("e2e-trad", "請問退款一般多久到帳"))


def test_handoff_files_a_ticket_once(bot_server: BotServer) -> None:
    first = texts(bot_server.say("e2e-handoff", "转人工"))
    second = texts(bot_server.say("e2e-handoff", "我要人工客服"))
    ticket = re.search(r"HO\d{8}-\d{4}", first)
    assert ticket and ticket.group() in second
    with sqlite3.connect(bot_server.database) as conn:
        rows = conn.execute(
            "select public_id from handoff_requests where conversation_id = 'e2e-handoff'"
        ).fetchall()
    assert rows == [(ticket.group(),)]


def test_greeting_offers_the_four_jobs_as_buttons(bot_server: BotServer) -> None:
    replies = bot_server.say("e2e-buttons", "您好")
    payloads = {b["payload"] for r in replies for b in r.get("buttons", [])}
    assert payloads == {"/request_return", "/ask_refund_status", "/book_repair", "/complain"}


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


def test_second_misunderstanding_offers_a_person(bot_server: BotServer) -> None:
    first = texts(bot_server.say("e2e-fallback", "🙂🙂🙂"))
    second = texts(bot_server.say("e2e-fallback", "🙃🙃"))
    assert "换个说法" in first and "转人工" in second

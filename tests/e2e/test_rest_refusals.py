"""The REST channel refuses what it cannot trust with 400, and keeps serving everyone else:
a missing, shared, over-long or unencodable sender, a message that is not text."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.conftest import BotServer, texts

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

"""One address cannot open conversations without end (each could file a handoff): past its
hour's share it gets 429, while its conversations already open go on and other addresses are
not affected."""

from __future__ import annotations

import uuid

import pytest
import requests

from bot.identifiers import CLIENT_ADDRESS_HEADER, WIDGET_KEY_HEADER
from tests.e2e.conftest import CHATS_PER_ADDRESS, WEB_CHANNEL_KEY, BotServer

pytestmark = pytest.mark.e2e


def _widget_says(server: BotServer, chat: str, address: str, message: str) -> int:
    response = requests.post(
        f"{server.rasa_url}/webhooks/web/webhook",
        json={"sender": chat, "message": message},
        headers={WIDGET_KEY_HEADER: WEB_CHANNEL_KEY, CLIENT_ADDRESS_HEADER: address},
        timeout=60,
    )
    return response.status_code


def test_one_address_opening_chat_after_chat_is_stopped(bot_server: BotServer) -> None:
    flooder, neighbour = "198.51.100.23", "198.51.100.24"
    chats = [f"web-{uuid.uuid4()}" for _ in range(CHATS_PER_ADDRESS + 1)]
    statuses = [_widget_says(bot_server, chat, flooder, "你好") for chat in chats]
    assert statuses[:CHATS_PER_ADDRESS] == [200] * CHATS_PER_ADDRESS
    assert statuses[-1] == 429
    assert bot_server.stored_events(chats[-1]) == []  # nothing of it reached the bot
    assert _widget_says(bot_server, chats[0], flooder, "好的") == 200  # an open one goes on
    assert _widget_says(bot_server, f"web-{uuid.uuid4()}", neighbour, "你好") == 200

"""A complaint over REST, what happened said in the first message; the ticket afterwards."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_complaint_said_up_front(bot_server: BotServer) -> None:
    me = "e2e-complaint"
    assert "订单" in texts(bot_server.say(me, "快递员把我的东西扔在门口就走了,我要投诉"))
    assert "影响大吗" in texts(bot_server.say(me, "没有"))
    ticket = texts(bot_server.say(me, "影响较大"))  # the middle button
    found = re.search(r"CP\d{8}-\d{4}", ticket)
    assert found and "整体满意度" in ticket
    with sqlite3.connect(bot_server.database) as conn:
        rows = conn.execute(
            "select public_id, category, severity, description from complaints "
            "where conversation_id = ?",
            (me,),
        ).fetchall()
    assert rows == [
        (found.group(), "delivery", "medium", "快递员把我的东西扔在门口就走了,我要投诉")
    ]

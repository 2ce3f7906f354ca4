"""Leaving a form midway, over REST: a policy question resumes it, 算了 cancels it cleanly."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_policy_question_inside_a_return_then_carry_on(bot_server: BotServer) -> None:
    me = "e2e-detour-faq"
    bot_server.say(me, "我要退货")
    bot_server.say(me, "202411150003")
    answer = texts(bot_server.say(me, "退货运费谁出啊"))
    assert "运费由您承担" in answer and "手机号" in answer  # answered, then asked again
    assert "原因" in texts(bot_server.say(me, "8000"))


def test_cancel_inside_a_return_opens_nothing_and_leaves_nothing_behind(
    bot_server: BotServer,
) -> None:
    me = "e2e-detour-cancel"
    bot_server.say(me, "订单202411150003我要退货")
    bot_server.say(me, "8000")
    assert "取消" in texts(bot_server.say(me, "算了不退了"))
    # a new return starts from the beginning: the old reason and confirmation are gone
    assert "原因" in texts(bot_server.say(me, "订单202411150003我要退货"))
    with sqlite3.connect(bot_server.database) as conn:
        count = conn.execute(
            "select count(*) from after_sales_requests where conversation_id = ?", (me,)
        ).fetchone()[0]
    assert count == 0

"""A whole refund-status conversation over REST, ending in the rating form; the rating row
is checked in the database afterwards."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_refund_status_verified_then_rated(bot_server: BotServer) -> None:
    me = "e2e-refund"
    assert "订单号" in texts(bot_server.say(me, "我退的耳机钱到哪了"))
    assert "手机号" in texts(bot_server.say(me, "202411020007"))
    status = texts(bot_server.say(me, "后四位9000"))
    assert "299.00元" in status and "微信" in status and "整体满意度" in status
    assert "解决了吗" in texts(bot_server.say(me, "5"))
    # The whole survey, every optional question answered the way a buyer would.
    assert "回复得快" in texts(bot_server.say(me, "已解决"))
    assert "解决情况" in texts(bot_server.say(me, "5"))
    assert "专业" in texts(bot_server.say(me, "顺利解决"))
    assert "耐心" in texts(bot_server.say(me, "4分"))
    assert "主动" in texts(bot_server.say(me, "非常耐心"))
    assert "推荐" in texts(bot_server.say(me, "3"))
    assert "建议" in texts(bot_server.say(me, "一定会"))
    assert "感谢您的评价" in texts(bot_server.say(me, "退款挺快的"))
    with sqlite3.connect(bot_server.database) as conn:
        rows = conn.execute(
            "select overall, solved, responsiveness, resolution, professionalism, patience, "
            "proactiveness, recommend, comment, topic, channel, subject, declined "
            "from ratings where conversation_id = ?",
            (me,),
        ).fetchall()
    [(*scores, comment, topic, channel, subject, declined)] = rows
    assert scores == [5, 1, 5, 4, 4, 5, 3, 5] and comment == "退款挺快的"
    assert (topic, channel, declined) == ("refund", "rest", 0) and subject.startswith("RF")


def test_wrong_phones_lock_the_order_without_revealing_anything(bot_server: BotServer) -> None:
    me = "e2e-lock"
    bot_server.say(me, "查一下退款进度")
    bot_server.say(me, "订单号202411100008")  # 李娜's cup: no other e2e test uses it
    guesses = ("1111", "2222", "3333", "13900001111", "13900002222", "13900003333")
    replies = [texts(bot_server.say(me, guess)) for guess in guesses]
    assert "还可以尝试2次" in replies[0] and "还可以尝试1次" in replies[1]
    assert "完整11位手机号" in replies[2]
    assert "多次验证未通过" in replies[5]
    assert all("89.00" not in r and "保温杯" not in r for r in replies)
    # The lock is the order's, not the conversation's: a new sender with the right phone waits.
    other = "e2e-lock-other"
    bot_server.say(other, "查一下退款进度")
    assert "多次验证未通过" in texts(bot_server.say(other, "202411100008"))

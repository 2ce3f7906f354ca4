"""Over REST against the real servers: which item of a two-item order, a signed-in customer,
switching job midway, paid repair, what the tracker store keeps, and session expiry."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from bot.customer_tokens import issue_token
from tests.e2e.conftest import TOKEN_SECRET, BotServer, texts

pytestmark = pytest.mark.e2e


def test_one_item_of_two_is_returned_and_the_phone_is_not_stored(bot_server: BotServer) -> None:
    me = "e2e-two-items"
    assert "订单号" in texts(bot_server.say(me, "我想退货"))
    assert "手机号" in texts(bot_server.say(me, "订单号202411170012"))
    asked = bot_server.say(me, "手机13800138000")
    assert "2件商品" in texts(asked)
    assert [b["title"] for b in asked[-1]["buttons"]] == ["1. 羽绒服", "2. 羊毛围巾"]
    assert "原因" in texts(bot_server.say(me, "围巾"))
    assert "提交吗" in texts(bot_server.say(me, "不想要了"))
    created = texts(bot_server.say(me, "确认"))
    assert "羊毛围巾" in created and "99.00元" in created
    assert bot_server.rows(
        "select r.kind, i.product_name from after_sales_requests r "
        "join order_items i on i.id = r.item_id where r.conversation_id = ?",
        me,
    ) == [("return", "羊毛围巾")]
    events = "\n".join(bot_server.stored_events(me))
    assert "13800138000" not in events and "138****8000" in events


def test_a_signed_in_customer_picks_an_order_and_skips_the_phone(bot_server: BotServer) -> None:
    me = "e2e-signed-in"
    li_na = bot_server.rows("select id from customers where phone = '13900139000'")[0][0]
    signed_in = {"customer_token": issue_token(str(li_na), TOKEN_SECRET)}
    asked = bot_server.say(me, "帮我查下退款到哪了", metadata=signed_in)
    payloads = [b["payload"] for b in asked[-1].get("buttons", [])]
    assert any("202411020007" in p for p in payloads)
    status = texts(bot_server.say(me, '/inform{"order_id":"202411020007"}', metadata=signed_in))
    assert "手机号" not in status and "299.00" in status
    events = "\n".join(bot_server.stored_events(me))
    assert signed_in["customer_token"] not in events and "[redacted]" in events


def test_someone_elses_token_does_not_open_an_order(bot_server: BotServer) -> None:
    me = "e2e-other-token"
    zhang = bot_server.rows("select id from customers where phone = '13800138000'")[0][0]
    token = {"customer_token": issue_token(str(zhang), TOKEN_SECRET)}
    bot_server.say(me, "查退款进度", metadata=token)
    reply = texts(bot_server.say(me, "202411020007", metadata=token))  # 李娜's order
    assert "手机号" in reply and "299.00" not in reply


def test_switching_from_return_to_exchange_midway(bot_server: BotServer) -> None:
    me = "e2e-switch"
    bot_server.settle("202411150003")
    bot_server.say(me, "我要退货")
    bot_server.say(me, "202411150003")
    assert "原因" in texts(bot_server.say(me, "8000"))
    switched = texts(bot_server.say(me, "我还是换货吧"))
    assert "换货" in switched and "原因" in switched
    bot_server.say(me, "颜色不喜欢")
    created = texts(bot_server.say(me, "确认"))
    assert re.search(r"EX\d{8}-\d{4}", created)
    kinds = bot_server.rows("select kind from after_sales_requests where conversation_id = ?", me)
    assert kinds == [("exchange",)]


def test_out_of_warranty_tv_gets_a_paid_repair(bot_server: BotServer) -> None:
    me = "e2e-paid-repair"
    bot_server.settle("202201050009")
    bot_server.say(me, "电视坏了想修一下")
    bot_server.say(me, "202201050009")
    bot_server.say(me, "7000")
    offer = texts(bot_server.say(me, "开机就黑屏"))
    assert "保修期已于" in offer and "付费维修" in offer
    assert "上门" in texts(bot_server.say(me, "需要"))
    booked = texts(bot_server.say(me, "寄回维修"))
    assert "付费寄修" in booked and "报价" in booked
    rows = bot_server.rows("select covered from repair_bookings where conversation_id = ?", me)
    assert rows == [(0,)]


def _age_conversation(server: BotServer, sender: str, seconds: int) -> None:
    """Move every stored event of a conversation `seconds` into the past."""
    with sqlite3.connect(server.conversations) as conn:
        for row_id, data in conn.execute(
            "select id, data from events where sender_id = ?", (sender,)
        ).fetchall():
            event = json.loads(data)
            event["timestamp"] -= seconds
            conn.execute(
                "update events set data = ?, timestamp = timestamp - ? where id = ?",
                (json.dumps(event, ensure_ascii=False), seconds, row_id),
            )


def test_a_conversation_silent_for_over_30_minutes_starts_clean(bot_server: BotServer) -> None:
    me = "e2e-expiry"
    bot_server.say(me, "我要退货")
    assert "手机号" in texts(bot_server.say(me, "202411150003"))
    _age_conversation(bot_server, me, 31 * 60)
    fresh = texts(bot_server.say(me, "查一下退款进度"))
    assert "订单号" in fresh and "手机号" not in fresh  # no form, no order carried over
    sessions = sum('"session_started"' in e for e in bot_server.stored_events(me))
    assert sessions == 2

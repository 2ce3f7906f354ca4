"""A return over REST with the order number given up front; the application row afterwards."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_return_with_order_number_up_front(bot_server: BotServer) -> None:
    me = "e2e-return"
    bot_server.settle("202411150003")
    assert "手机号" in texts(bot_server.say(me, "订单202411150003我要退货"))
    assert "原因" in texts(bot_server.say(me, "8000"))
    verdict = texts(bot_server.say(me, "尺码不合适"))
    assert "无理由退换期内" in verdict and "提交吗" in verdict
    created = texts(bot_server.say(me, "确认"))
    request_id = re.search(r"RT\d{8}-\d{4}", created)
    assert request_id and "退回运费：由您承担" in created and "整体满意度" in created
    with sqlite3.connect(bot_server.database) as conn:
        found = conn.execute(
            "select public_id, kind, reason, shipping_payer from after_sales_requests "
            "where conversation_id = ?",
            (me,),
        ).fetchall()
    assert found == [(request_id.group(), "return", "no_reason", "buyer")]


def test_food_is_refused_without_opening_anything(bot_server: BotServer) -> None:
    me = "e2e-food"
    bot_server.say(me, "我要退货")
    bot_server.say(me, "202411180005")
    bot_server.say(me, "9000")
    refused = texts(bot_server.say(me, "不想要了"))
    assert "不支持无理由退货" in refused
    with sqlite3.connect(bot_server.database) as conn:
        count = conn.execute(
            "select count(*) from after_sales_requests where conversation_id = ?", (me,)
        ).fetchone()[0]
    assert count == 0


def test_a_parcel_not_yet_signed_for_is_refused_and_refunded(bot_server: BotServer) -> None:
    me = "e2e-return-in-transit"
    bot_server.settle("202411260042")
    bot_server.say(me, "保暖内衣不想要了 我要退货")
    bot_server.say(me, "202411260042")
    asked = texts(bot_server.say(me, "5000"))
    verdict = asked if "拒收" in asked else texts(bot_server.say(me, "不想要了"))
    assert "拒收" in verdict and "寄回：" not in verdict
    created = texts(bot_server.say(me, "确认"))
    request_id = re.search(r"RT\d{8}-\d{4}", created)
    assert request_id and "159.00元" in created and "拒收" in created
    assert bot_server.rows(
        "select kind, return_address from after_sales_requests where public_id = ?",
        request_id.group(),
    ) == [("return", None)]

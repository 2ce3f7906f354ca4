"""The jobs real marketplace buyers come with, as they write them, over REST: a wrong item
sent (a return the shop pays for, the reason not asked again), a request for compensation
(a complaint a person settles, with the amount asked), and being hurried along (an apology,
then the refund looked up)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_a_wrong_item_becomes_a_return_the_shop_pays_for(bot_server: BotServer) -> None:
    me = "e2e-wrong-item"
    bot_server.settle("202411150003")
    opened = texts(bot_server.say(me, "亲 你们发错货了吧 我拍的白色T恤收到个黑的"))
    assert "发错" in opened and "订单号" in opened
    assert "手机号" in texts(bot_server.say(me, "202411150003"))
    verdict = texts(bot_server.say(me, "尾号8000"))
    assert "原因" not in verdict and "提交吗" in verdict  # the reason was already given
    created = texts(bot_server.say(me, "确认"))
    assert re.search(r"RT\d{8}-\d{4}", created) and "商家" in created
    rows = bot_server.rows(
        "select reason, shipping_payer from after_sales_requests where conversation_id = ?", me
    )
    assert rows == [("wrong_item", "merchant")]


def test_a_request_for_compensation_goes_to_a_person(bot_server: BotServer) -> None:
    me = "e2e-compensation"
    asked = texts(bot_server.say(me, "快递拖了一个礼拜才到 耽误事了 你们得赔我30块吧"))
    assert "订单" in asked
    assert "影响大吗" in texts(bot_server.say(me, "没有订单号 就是跟你们说一声"))
    done = texts(bot_server.say(me, "一般吧"))
    assert "专员" in done and "30.00元" in done
    rows = bot_server.rows(
        "select category, amount_asked from complaints where conversation_id = ?", me
    )
    assert rows == [("compensation", 3000)]  # fen


def test_being_hurried_gets_an_apology_and_the_refund_looked_up(bot_server: BotServer) -> None:
    me = "e2e-urge"
    first = texts(bot_server.say(me, "东西都寄回去三天了 怎么还没人处理啊 快点行不"))
    assert "抱歉让您久等" in first and "订单号" in first
    assert "手机号" in texts(bot_server.say(me, "202411020007"))
    assert "299.00元" in texts(bot_server.say(me, "9000"))

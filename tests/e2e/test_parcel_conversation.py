"""Over REST, 陈静's three parcels: one stalled (a logistics check with a refund if lost),
one still moving (nothing to chase yet), one signed for by someone else; the check in the
store with its event, in her order's status, and a second one refused with the first shown."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e

STALLED, MOVING, SIGNED = "202411230041", "202411260042", "202411240043"


def test_a_stalled_parcel_gets_a_logistics_check(bot_server: BotServer) -> None:
    me = "e2e-parcel-stalled"
    bot_server.settle(STALLED)
    asked = texts(bot_server.say(me, "亲 我买的音箱物流四五天没动了 是不是丢了啊"))
    assert "订单号" in asked
    assert "手机号" in texts(bot_server.say(me, STALLED))
    verdict = texts(bot_server.say(me, "5000"))
    assert "杭州转运中心" in verdict and "物流核查" in verdict and "丢了" in verdict
    opened = texts(bot_server.say(me, "退款"))
    check = re.search(r"LG\d{8}-\d{4}", opened)
    assert check and "退款" in opened and "整体满意度" in opened
    rows = bot_server.rows(
        "select problem, remedy, status from parcel_tickets where public_id = ?", check.group()
    )
    assert rows == [("stalled", "refund", "open")]
    assert bot_server.rows(
        "select event, actor from request_events where subject = ?", check.group()
    ) == [("opened", "customer")]
    bot_server.say(me, "跳过")
    status = texts(bot_server.say(me, "我那个物流核查到哪一步了"))
    assert check.group() in status and "核实" in status
    again = "e2e-parcel-stalled-again"
    bot_server.say(again, "快递还是不动啊")
    bot_server.say(again, STALLED)
    refused = texts(bot_server.say(again, "13500135000"))  # shown before any question
    assert check.group() in refused and "重复" in refused and "怎么处理" not in refused


def test_a_parcel_still_moving_is_not_chased_yet(bot_server: BotServer) -> None:
    me = "e2e-parcel-moving"
    bot_server.say(me, "我的保暖内衣怎么还没到")
    bot_server.say(me, MOVING)
    answer = texts(bot_server.say(me, "尾号5000"))
    assert "武汉转运中心" in answer and "正常运输" in answer and "补发" not in answer
    assert bot_server.rows("select count(*) from parcel_tickets where conversation_id = ?", me) == [
        (0,)
    ]


def test_signed_for_but_never_received(bot_server: BotServer) -> None:
    me = "e2e-parcel-signed"
    bot_server.say(me, "显示签收了 可我根本没收到啊 台灯呢")
    bot_server.say(me, SIGNED)
    answer = texts(bot_server.say(me, "13500135000"))
    assert "已经签收" in answer and "快递柜" in answer
    opened = texts(bot_server.say(me, "先等你们核实吧"))
    assert re.search(r"LG\d{8}-\d{4}", opened) and "核实结果" in opened
    assert bot_server.rows(
        "select problem, remedy from parcel_tickets where conversation_id = ?", me
    ) == [("not_received", "wait")]


def test_the_parcel_is_not_shown_without_the_proof(bot_server: BotServer) -> None:
    me = "e2e-parcel-stranger"
    bot_server.say(me, "物流一直不更新")
    bot_server.say(me, STALLED)
    answer = texts(bot_server.say(me, "13800138000"))  # someone else's phone
    assert "杭州" not in answer and "ZT7730012345678" not in answer

"""Coming back after applying, over REST, on 赵敏's demo orders (one request per stage):
status, a duplicate refused with the open one shown, withdrawing before and after the goods
are back, a tracking number, a visit moved, a complaint's progress; the store keeps an event
for each change."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e

PHONE_LAST4 = "6000"  # 13600136000, 赵敏


def events(bot_server: BotServer, order_no: str) -> list[tuple[str, str]]:
    return bot_server.rows(
        "select e.event, e.actor from request_events e join after_sales_requests r"
        " on e.subject = r.public_id join orders o on r.order_id = o.id"
        " where o.order_no = ? order by e.id",
        order_no,
    )


def test_status_of_an_exchange_with_its_parcel_on_the_way(bot_server: BotServer) -> None:
    me = "e2e-after-status"
    assert "订单号" in texts(bot_server.say(me, "亲 我那个换货到哪一步了呀"))
    assert "手机号" in texts(bot_server.say(me, "202411140033"))
    status = texts(bot_server.say(me, PHONE_LAST4))
    assert "运动外套" in status and "SF1409876543210" in status and "签收" in status


def test_complaint_progress(bot_server: BotServer) -> None:
    me = "e2e-after-complaint"
    bot_server.say(me, "我前两天投诉的事有结果了没")
    bot_server.say(me, "202411080035")
    status = texts(bot_server.say(me, PHONE_LAST4))
    assert "投诉" in status and "前答复您" in status


def test_a_second_return_is_refused_then_the_first_withdrawn(bot_server: BotServer) -> None:
    me = "e2e-after-withdraw"
    bot_server.say(me, "连衣裙我要退货")
    bot_server.say(me, "202411210031")
    # refused as soon as the order is proved: no reason or confirmation asked for nothing
    refused = texts(bot_server.say(me, PHONE_LAST4))
    assert "无需重复提交" in refused and "审核" in refused  # and where the first one stands
    assert "原因" not in refused
    assert "确认要撤销" in texts(bot_server.say(me, "算了 我不想退了 申请撤了吧"))
    assert "已为您撤销" in texts(bot_server.say(me, "确认撤销"))
    statuses = bot_server.rows(
        "select r.status from after_sales_requests r join orders o on r.order_id = o.id"
        " where o.order_no = ?",
        "202411210031",
    )
    assert statuses == [("cancelled",)]
    assert ("withdrawn", "customer") in events(bot_server, "202411210031")


def test_no_withdrawal_once_the_goods_are_back(bot_server: BotServer) -> None:
    me = "e2e-after-too-late"
    bot_server.say(me, "耳机的退货我不退了 帮我撤销")
    bot_server.say(me, "202411020007")
    reply = bot_server.say(me, "9000")
    if "确认要撤销" in texts(reply):
        reply = bot_server.say(me, "确认撤销")
    assert "仓库已经签收" in texts(reply) and "转人工" in texts(reply)
    assert ("withdrawn", "customer") not in events(bot_server, "202411020007")


def test_a_tracking_number_for_the_return(bot_server: BotServer) -> None:
    me = "e2e-after-tracking"
    bot_server.say(me, "裤子寄回去了 单号给你 中通75312345678901")
    bot_server.say(me, "202411160032")
    reply = bot_server.say(me, PHONE_LAST4)
    if "快递公司和单号" in texts(reply):  # the number in the first message was not kept
        reply = bot_server.say(me, "中通 75312345678901")
    assert "75312345678901" in texts(reply) and "已记下" in texts(reply)
    assert ("tracking_added", "customer") in events(bot_server, "202411160032")


def test_a_repair_visit_moved(bot_server: BotServer) -> None:
    me = "e2e-after-reschedule"
    bot_server.say(me, "空调上门维修的时间能改一下吗 那天家里没人")
    bot_server.say(me, "202410200034")
    assert "改到什么时间" in texts(bot_server.say(me, PHONE_LAST4))
    moved = texts(bot_server.say(me, "下周三上午"))
    assert "已为您把" in moved and "上门时间改到" in moved
    rows = bot_server.rows(
        "select e.event from request_events e join repair_bookings b on e.subject = b.public_id"
        " join orders o on b.order_id = o.id where o.order_no = ?",
        "202410200034",
    )
    assert ("rescheduled",) in rows

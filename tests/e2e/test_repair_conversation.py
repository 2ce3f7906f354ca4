"""An on-site repair booked over REST with a time said in Chinese and another contact phone;
the booking afterwards, and no full phone in the stored conversation."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_onsite_repair_for_tomorrow_afternoon(bot_server: BotServer) -> None:
    me = "e2e-repair"
    bot_server.settle("202409010033")
    assert "订单号" in texts(bot_server.say(me, "洗衣机坏了,想约师傅上门修"))
    assert "手机号" in texts(bot_server.say(me, "202409010033"))
    assert "故障" in texts(bot_server.say(me, "7000"))
    assert "怎么出现" in texts(bot_server.say(me, "不脱水,还有异响"))
    covered = texts(bot_server.say(me, "没摔没磕的 用着用着就这样了"))
    assert "保修期内" in covered and "上门" in covered
    assert "地址" in texts(bot_server.say(me, "上门维修"))
    assert "时间" in texts(bot_server.say(me, "广州市天河区天河路385号8栋1203"))
    assert "手机号" in texts(bot_server.say(me, "明天下午"))
    booked = texts(bot_server.say(me, "别打下单那个,打我老婆的 139-1234-5678"))
    booking = re.search(r"RP\d{8}-\d{4}", booked)
    assert booking and "139****5678" in booked and "整体满意度" in booked
    rows = bot_server.rows(
        "select public_id, mode, covered, address, contact_phone, damage_cause "
        "from repair_bookings where conversation_id = ?",
        me,
    )
    assert rows == [
        (booking.group(), "onsite", 1, "广州市天河区天河路385号8栋1203", "13912345678", "normal")
    ]
    stored = bot_server.stored_events(me)
    assert not any("13912345678" in e or "139-1234-5678" in e for e in stored)

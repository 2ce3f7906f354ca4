"""Over REST against the real servers: the attacks probing found (another customer's order
named mid-form, last-4 guessing from many sender ids), the survey that trapped customers,
a cancelled repair leaking into the next one, and short answers outside any form."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_naming_someone_elses_order_midway_shows_nothing_of_it(bot_server: BotServer) -> None:
    me = "e2e-switch-order"
    bot_server.say(me, "我要退货")
    bot_server.say(me, "202411150003")
    assert "原因" in texts(bot_server.say(me, "8000"))
    switched = texts(bot_server.say(me, "订单号是202411180005"))
    assert "手机号" in switched
    assert "坚果礼盒" not in switched and "168" not in switched and "天" not in switched
    still_hidden = texts(bot_server.say(me, "不想要了"))  # a reason, before any proof
    assert "坚果礼盒" not in still_hidden and "签收" not in still_hidden
    rows = bot_server.rows(
        "select count(*) from after_sales_requests where conversation_id = ?", me
    )
    assert rows == [(0,)]


def test_the_warranty_of_someone_elses_washer_stays_hidden(bot_server: BotServer) -> None:
    me = "e2e-switch-repair"
    bot_server.say(me, "T恤破了个洞想修")
    bot_server.say(me, "202411150003")
    bot_server.say(me, "8000")
    switched = texts(bot_server.say(me, "不对，是这个订单202409010033"))
    assert "手机号" in switched and "保修" not in switched and "洗衣机" not in switched
    fault = texts(bot_server.say(me, "不脱水"))
    assert "保修" not in fault and "年" not in fault


def test_last4_guesses_from_new_sender_ids_are_counted_per_order(bot_server: BotServer) -> None:
    order = "202410010002"  # 张伟's running shoes: no other e2e test proves it by last-4
    for n, guess in enumerate(("1111", "2222", "3333")):
        sender = f"e2e-guess-{n}"
        bot_server.say(sender, "查退款")
        bot_server.say(sender, order)
        assert "不一致" in texts(bot_server.say(sender, guess))
    fresh = "e2e-guess-fresh"
    bot_server.say(fresh, "查退款")
    bot_server.say(fresh, order)
    right_last4 = texts(bot_server.say(fresh, "8000"))
    assert "完整11位手机号" in right_last4 and "跑步鞋" not in right_last4
    assert "退款" in texts(bot_server.say(fresh, "13800138000"))  # the owner still gets in


def refund_shown_then_survey(bot_server: BotServer, me: str) -> None:
    """李娜 checks her earphones' refund; the survey starts right after the answer."""
    bot_server.say(me, "查一下耳机退款")
    bot_server.say(me, "202411020007")
    assert "整体满意度" in texts(bot_server.say(me, "13900139000"))


def test_a_person_wins_over_the_survey(bot_server: BotServer) -> None:
    me = "e2e-survey-person"
    refund_shown_then_survey(bot_server, me)
    answer = texts(bot_server.say(me, "转人工"))
    assert "人工" in answer and "1到5" not in answer and "分数" not in answer
    assert bot_server.rows(
        "select count(*) from handoff_requests where conversation_id = ?", me
    ) == [(1,)]
    # Offered and left before a score: counted as declined, for the response rate.
    assert bot_server.rows(
        "select declined, overall from ratings where conversation_id = ?", me
    ) == [(1, None)]


def test_a_complaint_wins_over_the_survey(bot_server: BotServer) -> None:
    me = "e2e-survey-complaint"
    refund_shown_then_survey(bot_server, me)
    answer = texts(bot_server.say(me, "我要投诉，退款拖了这么久"))
    assert "订单" in answer and "1到5" not in answer  # the complaint form asks its next question


def test_the_complaint_button_during_the_survey_asks_what_happened(bot_server: BotServer) -> None:
    me = "e2e-survey-complaint-button"
    refund_shown_then_survey(bot_server, me)
    asked = texts(bot_server.say(me, "/complain"))
    assert "发生了什么" in asked and "1到5" not in asked
    bot_server.say(me, "退款拖了两个星期了还没到账")
    bot_server.say(me, "没有")
    bot_server.say(me, "比较严重")
    rows = bot_server.rows("select description from complaints where conversation_id = ?", me)
    assert rows == [("退款拖了两个星期了还没到账",)]


def test_a_lukewarm_score_is_a_score_not_a_new_job(bot_server: BotServer) -> None:
    me = "e2e-survey-lukewarm"
    refund_shown_then_survey(bot_server, me)
    assert "解决了吗" in texts(bot_server.say(me, "还行吧"))


def test_not_bad_solved_is_counted_as_solved(bot_server: BotServer) -> None:
    me = "e2e-survey-solved"
    refund_shown_then_survey(bot_server, me)
    assert "解决了吗" in texts(bot_server.say(me, "4"))
    assert "跳过" in texts(bot_server.say(me, "不错，解决了"))  # the optional questions
    assert "感谢您的评价" in texts(bot_server.say(me, "跳过"))
    assert bot_server.rows("select overall, solved from ratings where conversation_id = ?", me) == [
        (4, 1)
    ]


def test_a_cancelled_covered_repair_leaks_nothing_into_the_next(bot_server: BotServer) -> None:
    me = "e2e-cancel-then-repair"
    bot_server.settle("202201050009")
    bot_server.say(me, "洗衣机坏了要修")
    bot_server.say(me, "202409010033")
    bot_server.say(me, "7000")
    assert "怎么出现" in texts(bot_server.say(me, "不脱水"))
    assert "保修期内" in texts(bot_server.say(me, "正常用着就这样了"))
    assert "取消" in texts(bot_server.say(me, "算了不修了"))
    assert "订单号" in texts(bot_server.say(me, "电视也坏了想修"))
    bot_server.say(me, "202201050009")
    bot_server.say(me, "7000")
    offer = texts(bot_server.say(me, "开机黑屏"))
    assert "付费维修" in offer  # the paid-repair question is asked, not skipped
    bot_server.say(me, "需要")
    booked = texts(bot_server.say(me, "寄回维修"))
    assert re.search(r"RP\d{8}-\d{4}", booked) and "付费寄修" in booked
    rows = bot_server.rows(
        "select covered, mode from repair_bookings where conversation_id = ?", me
    )
    assert rows == [(0, "send_in")]


def test_yes_and_no_after_anything_else(bot_server: BotServer) -> None:
    me = "e2e-anything-else"
    bot_server.say(me, "我要退货")
    assert "还有其他需要帮忙的吗" in texts(bot_server.say(me, "算了"))
    more = bot_server.say(me, "是的")
    assert "还需要办理什么" in texts(more) and more[-1].get("buttons")
    assert "再见" in texts(bot_server.say(me, "没有了"))

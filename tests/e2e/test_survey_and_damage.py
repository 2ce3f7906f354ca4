"""Over REST: the survey after a policy answer (once, never eating the next question), the
long survey left with one tap, and a human-damage answer turning a free repair into a paid
one."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotServer, texts

pytestmark = pytest.mark.e2e


def test_a_policy_answer_offers_the_survey_once_and_never_eats_a_question(
    bot_server: BotServer,
) -> None:
    me = "e2e-faq-survey"
    first = texts(bot_server.say(me, "亲 七天无理由是从哪天开始算的"))
    assert "7天" in first and "整体满意度" in first
    second = texts(bot_server.say(me, "那退货运费谁出啊"))  # a question, not a score
    assert "运费" in second and "1到5" not in second and "整体满意度" not in second
    third = texts(bot_server.say(me, "保修多久啊"))
    assert "整体满意度" not in third  # offered once per conversation
    assert bot_server.rows("select topic, declined from ratings where conversation_id = ?", me) == [
        ("faq", 1)
    ]


def test_the_optional_questions_end_with_one_tap(bot_server: BotServer) -> None:
    me = "e2e-faq-survey-skip"
    assert "整体满意度" in texts(bot_server.say(me, "退款一般几天到账"))
    assert "解决了吗" in texts(bot_server.say(me, "4"))
    assert "回复得快" in texts(bot_server.say(me, "解决了"))
    assert "感谢您的评价" in texts(bot_server.say(me, "跳过"))
    assert bot_server.rows(
        "select overall, solved, responsiveness, comment, declined from ratings "
        "where conversation_id = ?",
        me,
    ) == [(4, 1, None, None, 0)]


def test_a_person_asked_for_in_the_optional_questions_is_handed_over(
    bot_server: BotServer,
) -> None:
    me = "e2e-survey-person-late"
    bot_server.say(me, "退款多久能到")
    bot_server.say(me, "5")
    bot_server.say(me, "解决了")
    answer = texts(bot_server.say(me, "我还有别的问题 帮我转人工"))
    assert "人工" in answer and "跳过" not in answer
    assert bot_server.rows(
        "select count(*) from handoff_requests where conversation_id = ?", me
    ) == [(1,)]
    assert bot_server.rows("select overall, solved from ratings where conversation_id = ?", me) == [
        (5, 1)
    ]


def test_damage_the_customer_caused_makes_the_repair_a_paid_one(bot_server: BotServer) -> None:
    me = "e2e-repair-dropped"
    bot_server.settle("202409010033")
    bot_server.say(me, "洗衣机坏了 要修")
    bot_server.say(me, "202409010033")
    assert "故障" in texts(bot_server.say(me, "7000"))
    assert "怎么出现" in texts(bot_server.say(me, "滚筒不转了"))
    verdict = texts(bot_server.say(me, "搬家的时候磕了一下，之后就不转了"))
    assert "人为损坏" in verdict and "付费维修" in verdict and "可以免费维修" not in verdict


def test_a_person_asked_for_with_a_score_is_handed_over(bot_server: BotServer) -> None:
    me = "e2e-survey-person-with-score"
    assert "整体满意度" in texts(bot_server.say(me, "保修期多长时间"))
    answer = texts(bot_server.say(me, "转人工 1分"))
    assert "人工" in answer and "解决了吗" not in answer and "回复得快" not in answer
    assert bot_server.rows(
        "select count(*) from handoff_requests where conversation_id = ?", me
    ) == [(1,)]

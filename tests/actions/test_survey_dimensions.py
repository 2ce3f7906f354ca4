"""The survey the service standard defines: the optional dimensions one tap each, 跳过 ending
it at any point, "solved?" only where the outcome is known, the row naming what it rates,
a declined survey counted, the outcome written back when the rated request closes, and one
offer after the first policy answer."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.faq import ActionOfferSurvey
from actions.rating import (
    OPTIONAL_SLOTS,
    SKIP,
    SKIPPED,
    ActionAskRatingOverall,
    ActionLeaveRating,
    ActionSaveRating,
    ValidateRatingForm,
)
from bot.services.handling import apply_step
from bot.store.models import AfterSalesRequest, Order, Rating
from tests.actions.conftest import DOMAIN, fetch_rows

ME = "conv-survey"
RATING_SLOTS = DOMAIN["forms"]["rating_form"]["required_slots"]


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def survey(
    text: str = "", intent: str = "inform", entities: list | None = None, **slots: Any
) -> Tracker:
    message = {"intent": {"name": intent}, "entities": entities or [], "text": text}
    return Tracker(ME, slots, message, [], False, None, {"name": "rating_form"}, "")


async def asked(**slots: Any) -> list[str]:
    return await ValidateRatingForm().required_slots(
        RATING_SLOTS, CollectingDispatcher(), survey(**slots), DOMAIN
    )


async def test_solved_is_not_asked_before_a_return_has_an_outcome() -> None:
    for topic in ("return", "repair", "complaint"):
        slots = await asked(topic=topic)
        assert "rating_solved" not in slots and "rating_resolution" not in slots
        assert slots[0] == "rating_overall" and "rating_recommend" in slots
    for topic in ("faq", "refund", "status"):
        assert {"rating_solved", "rating_resolution"} <= set(await asked(topic=topic))


async def optional(slot: str, text: str, intent: str = "inform", **slots: Any) -> tuple[dict, list]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateRatingForm(), f"validate_{slot}")
    tracker = survey(text, intent, requested_slot=slot, **slots)
    result = await method(text, dispatcher, tracker, DOMAIN)
    return result, [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize(
    ("slot", "typed", "score"),
    [
        ("rating_responsiveness", "4", 4),  # a tap
        ("rating_responsiveness", "有点慢 比较慢", 2),  # the scale's own words
        ("rating_patience", "非常耐心", 5),
        ("rating_professionalism", "不太专业", 2),  # not read as 专业
        ("rating_recommend", "一定会", 5),
        ("rating_proactiveness", "3分吧", 3),
    ],
)
async def test_an_optional_question_takes_a_tap_a_number_or_its_words(
    slot: str, typed: str, score: int
) -> None:
    result, said = await optional(slot, typed)
    assert result == {slot: score, "rating_retries": 0} and said == []


async def test_skip_ends_the_survey_and_keeps_what_was_answered() -> None:
    result, said = await optional(
        "rating_professionalism", "跳过", rating_responsiveness=4.0, rating_overall=5.0
    )
    assert said == [] and result["rating_comment"] == SKIP
    assert "rating_responsiveness" not in result  # the answer given stays
    rest = [s for s in OPTIONAL_SLOTS if s != "rating_responsiveness"]
    assert all(result[s] == SKIPPED for s in rest)
    assert "rating_solved" not in await asked(topic="faq", rating_comment=SKIP)


async def test_nonsense_is_asked_again_then_the_rest_is_skipped() -> None:
    result, said = await optional("rating_patience", "啥意思")
    assert result["rating_patience"] is None and said == ["utter_invalid_rating_patience"]
    result, said = await optional("rating_patience", "啥意思", rating_retries=2)
    assert result["rating_patience"] == SKIPPED and said == []


async def extracted(text: str, intent: str, entities: list | None = None) -> dict:
    tracker = survey(text, intent, entities, requested_slot="rating_patience")
    events = await ValidateRatingForm().get_extraction_events(
        CollectingDispatcher(), tracker, DOMAIN
    )
    return {e["name"]: e["value"] for e in events}


async def test_a_tap_is_an_answer_whatever_the_nlu_guessed() -> None:
    assert await extracted("跳过", "cancel") == {"rating_patience": "跳过"}
    assert await extracted("5", "affirm", [{"entity": "rating", "value": 5}]) == {
        "rating_patience": "5"
    }


async def test_asking_for_something_else_leaves_the_optional_questions() -> None:
    assert await extracted("退款到底什么时候到账啊 等好几天了", "ask_refund_status") == {}
    assert await extracted("运费险怎么理赔", "faq") == {}
    assert await extracted("谢谢", "thank") == {}


def rows(store: str) -> list[tuple]:
    return fetch_rows(
        store,
        select(
            Rating.overall, Rating.responsiveness, Rating.patience, Rating.recommend,
            Rating.subject, Rating.topic, Rating.declined, Rating.solved, Rating.flagged_extreme,
        ).where(Rating.conversation_id == ME),
    )  # fmt: skip


async def test_the_row_records_every_dimension_and_what_it_rates(demo_store: str) -> None:
    tracker = survey(
        rating_overall=4.0, rating_responsiveness=3.0, rating_resolution=SKIPPED,
        rating_professionalism=SKIPPED, rating_patience=5.0, rating_proactiveness=SKIPPED,
        rating_recommend=4.0, rating_comment=SKIP, topic="return",
        rating_subject="RT20261128-0001",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionSaveRating().run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_rating_thanks"]
    assert rows(demo_store) == [(4, 3, 5, 4, "RT20261128-0001", "return", False, None, False)]


async def test_every_answer_five_is_flagged_for_review_not_dropped(demo_store: str) -> None:
    fives = {slot: 5.0 for slot in OPTIONAL_SLOTS}
    tracker = survey(rating_overall=5.0, rating_comment=SKIP, topic="faq", **fives)
    await ActionSaveRating().run(CollectingDispatcher(), tracker, DOMAIN)
    assert rows(demo_store)[0][-1] is True


async def test_a_declined_survey_is_counted_and_never_replaces_a_rating(demo_store: str) -> None:
    declined = survey(rating_overall=0.0, topic="repair", rating_subject="RP1")
    dispatcher = CollectingDispatcher()
    await ActionSaveRating().run(dispatcher, declined, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_rating_skipped"]
    assert rows(demo_store) == [(None, None, None, None, "RP1", "repair", True, None, False)]
    answered = survey(rating_overall=3.0, topic="repair", rating_subject="RP1")
    await ActionSaveRating().run(CollectingDispatcher(), answered, DOMAIN)
    assert rows(demo_store)[0][0] == 3 and rows(demo_store)[0][6] is False  # the score wins
    leave = survey("转人工", "human_handoff", topic="repair", rating_subject="RP1")
    await ActionLeaveRating().run(CollectingDispatcher(), leave, DOMAIN)  # offered again, left
    assert len(rows(demo_store)) == 1 and rows(demo_store)[0][0] == 3


async def test_each_service_rated_in_a_conversation_keeps_its_own_row(demo_store: str) -> None:
    """A policy answer rated first, then a repair: the second survey does not overwrite the
    first, and asking records the survey as offered before any answer."""
    await ActionAskRatingOverall().run(
        CollectingDispatcher(), survey(topic="faq", rating_subject="warranty"), DOMAIN
    )
    assert [r[4:7] for r in rows(demo_store)] == [("warranty", "faq", True)]
    for subject, topic, score in (("warranty", "faq", 5.0), ("RP2", "repair", 2.0)):
        tracker = survey(rating_overall=score, topic=topic, rating_subject=subject)
        await ActionSaveRating().run(CollectingDispatcher(), tracker, DOMAIN)
    found = sorted((r[4], r[0], r[6]) for r in rows(demo_store))
    assert found == [("RP2", 2, False), ("warranty", 5, False)]


async def test_leaving_for_a_person_before_any_score_is_a_decline(demo_store: str) -> None:
    await ActionLeaveRating().run(CollectingDispatcher(), survey("转人工", "human_handoff"), DOMAIN)
    assert rows(demo_store)[0][6] is True


async def test_the_outcome_reaches_the_rating_when_the_request_closes(demo_store: str) -> None:
    order = select(Order.id).where(Order.order_no == "202411160032")
    [(public_id,)] = fetch_rows(
        demo_store, select(AfterSalesRequest.public_id).where(AfterSalesRequest.order_id.in_(order))
    )
    tracker = survey(rating_overall=4.0, topic="return", rating_subject=public_id)
    await ActionSaveRating().run(CollectingDispatcher(), tracker, DOMAIN)
    assert rows(demo_store)[0][7] is None  # not asked: the return had no outcome yet
    apply_step("receive", public_id)
    apply_step("pay", public_id)
    assert rows(demo_store)[0][7] is True


def faq_tracker(**slots: Any) -> Tracker:
    selector = {"faq": {"response": {"utter_action": "utter_faq/return_window"}}}
    message = {"intent": {"name": "faq"}, "entities": [], "text": "几天能退",
               "response_selector": selector}  # fmt: skip
    return Tracker(ME, slots, message, [], False, None, {}, "")


async def slots_after_answer(tracker: Tracker) -> dict[str, Any]:
    events = await ActionOfferSurvey().run(CollectingDispatcher(), tracker, DOMAIN)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_the_first_policy_answer_offers_the_survey_once() -> None:
    first = await slots_after_answer(faq_tracker())
    assert first["job_done"] is True and first["topic"] == "faq"
    assert first["rating_subject"] == "return_window"
    assert await slots_after_answer(faq_tracker(survey_offered=True)) == {"job_done": False}
    events = await ActionAskRatingOverall().run(CollectingDispatcher(), survey(), DOMAIN)
    assert {"event": "slot", "name": "survey_offered", "value": True, "timestamp": None} in events


async def test_a_negated_anchor_is_not_its_opposite() -> None:
    result, said = await optional("rating_recommend", "不一定会")
    assert result["rating_recommend"] is None and said == ["utter_invalid_rating_recommend"]


@pytest.mark.parametrize(("said", "solved"), [("没解决，算了", False), ("解决了，结束吧", True)])
async def test_solved_is_read_before_a_wish_to_stop(said: str, solved: bool) -> None:
    dispatcher = CollectingDispatcher()
    tracker = survey(said, requested_slot="rating_solved")
    result = await ValidateRatingForm().validate_rating_solved(said, dispatcher, tracker, DOMAIN)
    assert result["rating_solved"] is solved


async def test_a_person_asked_for_with_a_score_keeps_the_score_and_hands_over() -> None:
    """转人工 1分, read by the NLU as a score: the words win over the intent."""
    entities = [{"entity": "rating", "value": 1}]
    tracker = survey("转人工 1分", "inform", entities, requested_slot="rating_overall")
    events = await ValidateRatingForm().get_validation_events(
        CollectingDispatcher(), tracker, DOMAIN
    )
    slots = {e["name"]: e["value"] for e in events}
    assert slots["rating_handoff"] is True and slots["rating_overall"] == 1
    assert all(slots[s] == SKIPPED for s in OPTIONAL_SLOTS)
    saved = survey(rating_overall=1.0, rating_handoff=True, rating_comment=SKIP, topic="faq")
    dispatcher = CollectingDispatcher()
    after = await ActionSaveRating().run(dispatcher, saved, DOMAIN)
    assert dispatcher.messages == []  # no thanks: the person comes next
    assert {"event": "slot", "name": "handoff_wanted", "value": True, "timestamp": None} in after


async def test_a_suggestion_about_agents_is_a_suggestion() -> None:
    tracker = survey("希望多一些人工客服", "inform", requested_slot="rating_comment")
    events = await ValidateRatingForm().get_validation_events(
        CollectingDispatcher(), tracker, DOMAIN
    )
    assert not any(e.get("name") == "rating_handoff" for e in events)


@pytest.mark.parametrize("said", ["客服", "找客服", "在线客服呢"])
async def test_a_bare_call_for_an_agent_at_the_score_question_hands_over(said: str) -> None:
    """客服 alone, whatever the NLU read for two characters, asks for a person."""
    tracker = survey(said, "inform", requested_slot="rating_overall")
    events = await ValidateRatingForm().get_validation_events(
        CollectingDispatcher(), tracker, DOMAIN
    )
    slots = {e["name"]: e["value"] for e in events}
    assert slots.get("rating_handoff") is True


def test_an_agent_named_in_a_sentence_is_not_a_call_for_one() -> None:
    from actions.handoff import asks_for_person

    assert not asks_for_person("客服态度太差了")
    assert not asks_for_person("你们客服回复太慢")


@pytest.mark.parametrize(
    ("overall", "solved", "ending"),
    [(1.0, None, "utter_rating_thanks_low"), (2.0, True, "utter_rating_thanks_low"),
     (4.0, False, "utter_rating_thanks_low"), (3.0, True, "utter_rating_thanks"),
     (5.0, None, "utter_rating_thanks")],
)  # fmt: skip
async def test_a_low_score_or_an_unsolved_problem_is_met_with_an_apology_and_a_person(
    demo_store: str, overall: float, solved: bool | None, ending: str
) -> None:
    tracker = survey(rating_overall=overall, rating_solved=solved, rating_comment=SKIP,
                     topic="faq")  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionSaveRating().run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == [ending]
    if ending == "utter_rating_thanks_low":
        buttons = DOMAIN["responses"][ending][0]["buttons"]
        assert [b["payload"] for b in buttons] == ["/human_handoff"]

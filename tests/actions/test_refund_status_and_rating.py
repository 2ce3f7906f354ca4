"""Refund status behind identity verification, and the rating form, on the demo store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.identity import LOCKED
from actions.rating import ActionLeaveRating, ActionSaveRating, ValidateRatingForm
from actions.refunds import ActionShowRefundStatus, ValidateRefundStatusForm
from bot.store.models import Rating
from tests.actions.conftest import DOMAIN, prove, render

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def form_tracker(slots: dict[str, Any], text: str = "", entities: list | None = None) -> Tracker:
    message = {"intent": {"name": "inform"}, "entities": entities or [], "text": text}
    return Tracker("conv-1", slots, message, [], False, None, {"name": "refund_status_form"}, "")


async def validate(validator, slot: str, value: Any, tracker: Tracker) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    result = await getattr(validator, f"validate_{slot}")(value, dispatcher, tracker, DOMAIN)
    return result, [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize(
    ("typed", "response"),
    [("12345", "utter_invalid_order_id"), ("209901010001", "utter_order_not_found")],
)
async def test_bad_order_numbers_are_asked_again(typed: str, response: str) -> None:
    result, said = await validate(ValidateRefundStatusForm(), "order_id", typed, form_tracker({}))
    assert result == {"order_id": None} and said == [response]


async def test_order_number_is_normalised() -> None:
    result, said = await validate(
        ValidateRefundStatusForm(), "order_id", "2024 1102 0007", form_tracker({})
    )
    assert result == {"order_id": "202411020007", "phone": None} and said == []


@pytest.mark.parametrize("proof", ["9000", "尾号是9000", "13900139000"])
async def test_owner_verified_and_the_phone_not_kept(proof: str) -> None:
    entities = [{"entity": "phone", "value": proof}] if len(proof) == 11 else []
    tracker = form_tracker({"order_id": "202411020007"}, proof, entities)
    result, said = await validate(ValidateRefundStatusForm(), "phone", proof, tracker)
    assert result["verified_order"] == "202411020007" and said == []
    assert "0013" not in result["phone"] and result["phone"].endswith("9000")


async def test_wrong_phones_lock_the_order() -> None:
    """Three wrong last-4 guesses leave only the full phone; three more lock the order."""
    validator, slots = ValidateRefundStatusForm(), {"order_id": "202411020007"}
    expected = [
        ("1111", None, "utter_phone_mismatch", 2),
        ("1111", None, "utter_phone_mismatch", 1),
        ("1111", None, "utter_phone_mismatch_full_only", 3),
        ("9000", None, "utter_full_phone_needed", 3),  # the right last 4, no longer enough
        ("13700137000", None, "utter_phone_mismatch_full_only", 2),
        ("13700137000", None, "utter_phone_mismatch_full_only", 1),
        ("13700137000", LOCKED, "utter_verification_locked", None),
    ]
    for proof, phone, response, attempts_left in expected:
        dispatcher = CollectingDispatcher()
        result = await validator.validate_phone(
            proof, dispatcher, form_tracker(slots, proof), DOMAIN
        )
        slots.update(result)
        assert result == {"phone": phone}
        assert [m["response"] for m in dispatcher.messages] == [response]
        assert dispatcher.messages[0].get("attempts_left") == attempts_left
        assert "{" not in render(dispatcher.messages[0])  # every placeholder filled
    right, said = await validate(validator, "phone", "13900139000", form_tracker(slots))
    assert right == {"phone": LOCKED} and said == ["utter_verification_locked"]
    again, said = await validate(validator, "order_id", "202411020007", form_tracker(slots))
    assert again["phone"] == LOCKED and said == ["utter_verification_locked"]
    other = Tracker("conv-2", {}, {"intent": {}, "entities": [], "text": ""}, [], False, None,
                    {"name": "refund_status_form"}, "")  # fmt: skip
    fresh, said = await validate(validator, "order_id", "202411020007", other)
    assert fresh["phone"] == LOCKED and said == ["utter_verification_locked"]


async def test_switching_orders_does_not_reset_the_failure_budget() -> None:
    validator, slots = ValidateRefundStatusForm(), {"order_id": "202411100008"}
    for _ in range(2):
        slots.update((await validate(validator, "phone", "1111", form_tracker(slots, "1111")))[0])
    for order_no in ("202411020007", "202411100008"):  # another order, then back
        result, said = await validate(validator, "order_id", order_no, form_tracker(slots))
        slots.update(result)
        assert result["phone"] is None and said == []
    result, said = await validate(validator, "phone", "1111", form_tracker(slots, "1111"))
    assert result == {"phone": None} and said == ["utter_phone_mismatch_full_only"]
    other = Tracker("conv-2", slots, {"intent": {}, "entities": [], "text": "1111"}, [], False,
                    None, {"name": "refund_status_form"}, "")  # fmt: skip
    result, said = await validate(validator, "phone", "1111", other)  # a new sender id
    assert result == {"phone": None} and said == ["utter_full_phone_needed"]


async def show(slots: dict[str, Any]) -> tuple[list[dict], dict[str, Any]]:
    if slots.get("verified_order"):
        prove(slots["verified_order"], "conv-1")
    dispatcher = CollectingDispatcher()
    events = await ActionShowRefundStatus().run(dispatcher, form_tracker(slots), DOMAIN)
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_refund_in_progress_is_explained_with_dates() -> None:
    messages, slots = await show({"order_id": "202411020007", "verified_order": "202411020007"})
    text = render(messages[0])
    assert messages[0]["response"] == "utter_refund_processing"
    assert "299.00元" in text and "微信" in text and "蓝牙耳机" in text and "RF" in text
    assert slots["job_done"] is True and slots["topic"] == "refund" and slots["phone"] is None


async def test_credited_refund() -> None:
    messages, _ = await show({"order_id": "202411100008", "verified_order": "202411100008"})
    assert messages[0]["response"] == "utter_refund_credited"
    assert "89.00元" in render(messages[0])


async def test_order_without_refund() -> None:
    messages, slots = await show({"order_id": "202411150003", "verified_order": "202411150003"})
    assert messages[0]["response"] == "utter_no_refund_for_order" and slots["job_done"] is False


async def test_nothing_is_shown_without_verification() -> None:
    messages, slots = await show({"order_id": "202411020007", "verified_order": None})
    assert [m["response"] for m in messages] == ["utter_order_not_verified"]
    assert slots["job_done"] is False


async def test_a_verified_slot_without_proof_in_the_store_shows_nothing() -> None:
    slots = {"order_id": "202411020007", "verified_order": "202411020007"}
    dispatcher = CollectingDispatcher()
    events = await ActionShowRefundStatus().run(dispatcher, form_tracker(slots), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_not_verified"]
    assert not any(e.get("name") == "job_done" and e.get("value") for e in events)
    assert {"event": "slot", "name": "verified_order", "value": None, "timestamp": None} in events


def rating_tracker(text: str, entities: list | None = None, **slots: Any) -> Tracker:
    message = {"intent": {"name": "inform"}, "entities": entities or [], "text": text}
    return Tracker("conv-9", slots, message, [], False, None, {"name": "rating_form"}, "")


@pytest.mark.parametrize(
    ("answer", "score"),
    [("5", 5), ("五分", 5), ("⭐⭐⭐⭐", 4), ("非常满意", 5), ("一般", 3), ("给1分", 1)],
)
async def test_rating_accepts_how_people_score(answer: str, score: int) -> None:
    result, said = await validate(
        ValidateRatingForm(), "rating_overall", answer, rating_tracker(answer)
    )
    assert result["rating_overall"] == score and said == []


@pytest.mark.parametrize("answer", ["0", "6", "10分", "啊这"])
async def test_invalid_scores_are_re_asked_with_the_range(answer: str) -> None:
    result, said = await validate(
        ValidateRatingForm(), "rating_overall", answer, rating_tracker(answer)
    )
    assert result["rating_overall"] is None and said == ["utter_invalid_rating_overall"]


async def test_after_two_retries_the_form_lets_go() -> None:
    tracker = rating_tracker("7", rating_retries=2)
    result, said = await validate(ValidateRatingForm(), "rating_overall", "7", tracker)
    assert result["rating_overall"] == 0 and said == []


@pytest.mark.parametrize(
    ("answer", "solved"), [("已解决", True), ("解决了", True), ("未解决", False), ("没有", False)]
)
async def test_solved(answer: str, solved: bool) -> None:
    result, _ = await validate(
        ValidateRatingForm(), "rating_solved", answer, rating_tracker(answer)
    )
    assert result["rating_solved"] is solved


@pytest.mark.parametrize(
    ("answer", "stored"), [("跳过", "-"), ("没有", "-"), ("等待时间长", "等待时间长")]
)
async def test_comment(answer: str, stored: str) -> None:
    result, _ = await validate(
        ValidateRatingForm(), "rating_comment", answer, rating_tracker(answer)
    )
    assert result["rating_comment"] == stored


async def test_rating_saved_once_per_conversation(store: str) -> None:
    for overall in (4, 5):
        tracker = rating_tracker(
            "", rating_overall=overall, rating_solved=True, rating_comment="-", topic="refund",
            product_category="数码",
        )  # fmt: skip
        dispatcher = CollectingDispatcher()
        await ActionSaveRating().run(dispatcher, tracker, DOMAIN)
        assert dispatcher.messages[0]["response"] == "utter_rating_thanks"
    engine = create_engine(store, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Rating.overall, Rating.topic, Rating.comment).where(
                Rating.conversation_id == "conv-9"
            )
        ).all()
    engine.dispose()
    assert rows == [(5, "refund", None)]


def scored(text: str, intent: str, score: int | None) -> Tracker:
    entities = [] if score is None else [{"entity": "rating", "value": score}]
    message = {"intent": {"name": intent}, "entities": entities, "text": text}
    slots = {"requested_slot": "rating_overall"}
    return Tracker("conv-9", slots, message, [], False, None, {"name": "rating_form"}, "")


@pytest.mark.parametrize(
    ("text", "intent", "score", "taken"),
    [("还行吧", "complain", 3, 3),  # short: a score, whatever the intent
     ("不满意", "complain", 2, 2),
     ("我很不满意你们的处理方式 我要投诉", "complain", 2, None),  # a complaint leaves
     ("算了不评了", "cancel", 3, None),
     ("还行 转人工吧", "human_handoff", 3, None)],
)  # fmt: skip
async def test_a_short_answer_with_a_score_is_the_score(
    text: str, intent: str, score: int, taken: int | None
) -> None:
    found = await ValidateRatingForm().extract_rating_overall(
        CollectingDispatcher(), scored(text, intent, score), DOMAIN
    )
    assert found.get("rating_overall") == taken


async def test_asking_for_compensation_during_the_survey_starts_that_complaint() -> None:
    said = "等了半个月 得赔我50块"
    message = {"intent": {"name": "request_compensation"}, "entities": [], "text": said}
    tracker = Tracker("conv-9", {}, message, [], False, None, {"name": "rating_form"}, "")
    events = await ActionLeaveRating().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["complaint_description"] == said and slots["complaint_kind"] == "compensation"

"""Leaving the survey keeps a score already given; a proof that expired mid-conversation asks
for the proof again instead of apologising for the system; yes/no read from the words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.rating import ActionLeaveRating, ValidateRatingForm
from actions.refunds import ActionShowRefundStatus
from bot.policy import ownership
from bot.services import verification
from bot.store.models import Rating
from tests.actions.conftest import DOMAIN, fetch_rows, prove

ORDER = "202411020007"


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def tracker(slots: dict[str, Any], intent: str = "inform", text: str = "") -> Tracker:
    message = {"intent": {"name": intent}, "entities": [], "text": text}
    return Tracker("conv-s", slots, message, [], False, None, {}, "")


async def test_leaving_the_survey_for_a_person_keeps_the_score(store: str) -> None:
    slots = {"rating_overall": 2.0, "topic": "refund", "job_done": True}
    events = await ActionLeaveRating().run(
        CollectingDispatcher(), tracker(slots, "human_handoff", "转人工"), DOMAIN
    )
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    rows = fetch_rows(store, select(Rating.overall, Rating.solved).where(
        Rating.conversation_id == "conv-s"))  # fmt: skip
    assert rows == [(2, None)]


async def test_a_complaint_button_is_not_taken_for_its_description() -> None:
    events = await ActionLeaveRating().run(
        CollectingDispatcher(), tracker({}, "complain", "/complain"), DOMAIN
    )
    assert not any(e.get("name") == "complaint_description" for e in events)
    said = await ActionLeaveRating().run(
        CollectingDispatcher(), tracker({}, "complain", "退款拖了两周没人管"), DOMAIN
    )
    assert {"event": "slot", "name": "complaint_description", "value": "退款拖了两周没人管",
            "timestamp": None} in said  # fmt: skip


async def test_a_made_up_rating_entity_is_asked_again_not_a_crash() -> None:
    message = {"intent": {"name": "inform"}, "text": "abc",
               "entities": [{"entity": "rating", "value": "abc"}]}  # fmt: skip
    track = Tracker("conv-s", {}, message, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    result = await ValidateRatingForm().validate_rating_overall("abc", dispatcher, track, DOMAIN)
    assert result["rating_overall"] is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_invalid_rating_overall"]


@pytest.mark.parametrize(
    ("text", "intent", "value", "solved"),
    [("不错，解决了", "deny", False, True),  # the words win over a misread intent
     ("👌", "affirm", True, True),  # no words: the intent that filled the slot
     ("还没有", "inform", "还没有", False)],
)  # fmt: skip
async def test_solved_is_read_from_the_words_then_the_intent(
    text: str, intent: str, value: Any, solved: bool
) -> None:
    result = await ValidateRatingForm().validate_rating_solved(
        value, CollectingDispatcher(), tracker({}, intent, text), DOMAIN
    )
    assert result["rating_solved"] is solved


async def test_an_expired_proof_asks_for_the_proof_again(monkeypatch: pytest.MonkeyPatch) -> None:
    prove(ORDER, "conv-s")
    later = dt.datetime.now(dt.timezone.utc) + ownership.PROOF_VALID_FOR + dt.timedelta(minutes=5)
    monkeypatch.setattr(verification, "shop_now", lambda: later)
    slots = {"order_id": ORDER, "verified_order": ORDER, "phone": "****9000"}
    dispatcher = CollectingDispatcher()
    events = await ActionShowRefundStatus().run(dispatcher, tracker(slots), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_not_verified"]
    values = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert values["verified_order"] is None and values["job_done"] is False

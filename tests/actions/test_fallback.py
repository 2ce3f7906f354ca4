"""Two misunderstandings in a row offer a person."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionHandleFallback
from tests.actions.conftest import DOMAIN


def user(intent: str) -> dict:
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent}}}


async def said(*intents: str) -> str:
    events = [user(i) for i in intents]
    tracker = Tracker("f", {}, events[-1]["parse_data"], events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages[0]["response"]


async def test_first_misunderstanding_asks_to_rephrase() -> None:
    assert await said("greet", "nlu_fallback") == "utter_please_rephrase"
    assert await said("nlu_fallback") == "utter_please_rephrase"


async def test_second_in_a_row_offers_a_person() -> None:
    assert await said("nlu_fallback", "nlu_fallback") == "utter_offer_human"


async def ask(ranking: list[tuple[str, float]], before: tuple[str, ...] = ()) -> dict:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }
    events = [*(user(i) for i in before), {"event": "user", "text": "x", "parse_data": parse}]
    tracker = Tracker("f", {}, parse, events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    return message


async def test_two_likely_jobs_are_offered_as_buttons_with_a_person() -> None:
    ranking = [
        ("nlu_fallback", 0.3),
        ("request_return", 0.24),
        ("greet", 0.2),
        ("request_exchange", 0.19),
    ]
    message = await ask(ranking)
    assert message["response"] == "utter_did_you_mean"
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("退货退款", "/request_return"), ("换货", "/request_exchange"), ("转人工", "/human_handoff")]  # fmt: skip


@pytest.mark.parametrize(
    "ranking",
    [[("nlu_fallback", 0.3), ("request_return", 0.24), ("greet", 0.2)],  # one job only
     [("nlu_fallback", 0.3), ("request_return", 0.08), ("book_repair", 0.05)]],  # no real candidates
)  # fmt: skip
async def test_without_two_likely_jobs_it_asks_to_rephrase(ranking: list) -> None:
    assert (await ask(ranking))["response"] == "utter_please_rephrase"


async def test_a_second_misunderstanding_still_offers_a_person() -> None:
    ranking = [("nlu_fallback", 0.3), ("request_return", 0.24), ("request_exchange", 0.2)]
    assert (await ask(ranking, before=("nlu_fallback",)))["response"] == "utter_offer_human"


async def test_a_person_among_the_likely_jobs_is_offered_once() -> None:
    ranking = [("nlu_fallback", 0.3), ("human_handoff", 0.24), ("complain", 0.2)]
    titles = [b["title"] for b in (await ask(ranking))["buttons"]]
    assert titles == ["转人工", "投诉"]

"""Two misunderstandings in a row offer a person."""

from __future__ import annotations

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

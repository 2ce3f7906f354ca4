"""Proof of ownership by sign-in token, the item question on multi-item orders, and switching
between return and exchange, on the demo store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.detours import ActionSwitchJob
from actions.identity import SIGNED_IN, ActionAskOrderId, ActionAskOrderItem, match_item
from actions.returns import YES, ActionSubmitReturn, ValidateReturnForm
from bot.config import get_settings
from bot.customer_tokens import issue_token
from bot.services import OrderLine, order_lines
from bot.store.models import AfterSalesRequest, Customer
from tests.actions.conftest import DOMAIN, fetch_rows, prove, render

SECRET = "test-secret-" + "x" * 24
TWO_ITEMS = "202411170012"  # 羽绒服 599.00 + 羊毛围巾 99.00, shipping 12.00, 张伟
ZHANG_WEI_ORDER = "202411150003"
LI_NA_ORDER = "202411180005"


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo orders, with sign-in tokens enabled."""
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)
    get_settings.cache_clear()


def customer_id(store: str, phone: str) -> str:
    [(found,)] = fetch_rows(store, select(Customer.id).where(Customer.phone == phone))
    return str(found)


def form_tracker(
    slots: dict[str, Any], *, metadata: dict | None = None, intent: str = "inform",
    entities: list | None = None, form: str = "return_form",
) -> Tracker:  # fmt: skip
    message = {"intent": {"name": intent}, "entities": entities or [], "text": "",
               "metadata": metadata or {}}  # fmt: skip
    events = [{"event": "active_loop", "name": form}]
    return Tracker("conv-i", slots, message, events, False, None, {"name": form}, "")


async def validate(slot: str, value: Any, tracker: Tracker) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateReturnForm(), f"validate_{slot}")
    return await method(value, dispatcher, tracker, DOMAIN), dispatcher.messages


async def test_a_signed_in_customer_needs_no_phone_for_their_own_order(demo_store: str) -> None:
    token = issue_token(customer_id(demo_store, "13800138000"), SECRET)
    tracker = form_tracker({}, metadata={"customer_token": token})
    result, said = await validate("order_id", ZHANG_WEI_ORDER, tracker)
    assert result["phone"] == SIGNED_IN and result["verified_order"] == ZHANG_WEI_ORDER
    assert said == []
    assert order_lines(ZHANG_WEI_ORDER, "conv-i")  # the store holds the proof, too


@pytest.mark.parametrize("token_kind", ["someone else's", "forged", "expired"])
async def test_any_other_token_still_needs_the_phone(demo_store: str, token_kind: str) -> None:
    zhang = customer_id(demo_store, "13800138000")
    token = {
        "someone else's": issue_token(customer_id(demo_store, "13900139000"), SECRET),
        "forged": issue_token(zhang, "another-secret-" + "y" * 20),
        "expired": issue_token(zhang, SECRET, ttl=-dt.timedelta(minutes=1)),
    }[token_kind]
    tracker = form_tracker({}, metadata={"customer_token": token})
    result, _ = await validate("order_id", ZHANG_WEI_ORDER, tracker)
    # No proof: the form starts again after the order number, phone first.
    assert result == {
        "order_id": ZHANG_WEI_ORDER, "phone": None, "order_item": None,
        "return_reason": None, "damage_cause": None, "return_confirm": None,
        "return_description": None, "already_open": None,
    }  # fmt: skip


async def test_a_signed_in_customer_is_offered_their_recent_orders(demo_store: str) -> None:
    token = issue_token(customer_id(demo_store, "13800138000"), SECRET)
    dispatcher = CollectingDispatcher()
    await ActionAskOrderId().run(
        dispatcher, form_tracker({}, metadata={"customer_token": token}), DOMAIN
    )
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert dispatcher.messages[0]["response"] == "utter_ask_order_id_signed_in"
    assert any(TWO_ITEMS in p for p in payloads) and not any(LI_NA_ORDER in p for p in payloads)


async def test_without_a_token_the_order_number_is_asked_plainly() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskOrderId().run(dispatcher, form_tracker({}), DOMAIN)
    assert dispatcher.messages == [
        {
            "response": "utter_ask_order_id",
            **{k: v for k, v in dispatcher.messages[0].items() if k != "response"},
        }  # fmt: skip
    ]
    assert not dispatcher.messages[0]["buttons"]


async def test_the_item_is_asked_only_for_orders_with_several() -> None:
    prove(TWO_ITEMS, "conv-i")
    prove(ZHANG_WEI_ORDER, "conv-i")
    verified = {"order_id": TWO_ITEMS, "verified_order": TWO_ITEMS, "phone": "138****8000"}
    slots = await ValidateReturnForm().required_slots(
        DOMAIN["forms"]["return_form"]["required_slots"], CollectingDispatcher(),
        form_tracker(verified), DOMAIN,
    )  # fmt: skip
    assert slots == ["order_id", "order_item", "return_reason", "return_confirm"]
    single = {"order_id": ZHANG_WEI_ORDER, "verified_order": ZHANG_WEI_ORDER}
    slots = await ValidateReturnForm().required_slots(
        DOMAIN["forms"]["return_form"]["required_slots"], CollectingDispatcher(),
        form_tracker(single), DOMAIN,
    )  # fmt: skip
    assert "order_item" not in slots


async def test_the_item_question_lists_each_item() -> None:
    prove(TWO_ITEMS, "conv-i")
    dispatcher = CollectingDispatcher()
    slots = {"order_id": TWO_ITEMS, "verified_order": TWO_ITEMS}
    await ActionAskOrderItem().run(dispatcher, form_tracker(slots), DOMAIN)
    message = dispatcher.messages[0]
    assert "2件商品" in render(message)
    assert [b["title"] for b in message["buttons"]] == ["1. 羽绒服", "2. 羊毛围巾"]


LINES = [OrderLine(7, "羽绒服", "服装", 1), OrderLine(8, "羊毛围巾", "服装", 1)]


@pytest.mark.parametrize(
    ("text", "products", "item_id"),
    [("2", [], 8), ("第一件", [], 7), ("围巾", ["羊毛围巾"], 8), ("那件羽绒服", [], 7),
     ("3", [], None), ("裤子", [], None), ("都要退", [], None)],
)  # fmt: skip
def test_match_item(text: str, products: list[str], item_id: int | None) -> None:
    found = match_item(text, LINES, products)
    assert (found.item_id if found else None) == item_id


async def test_returning_one_item_of_two_refunds_that_item_only(store: str) -> None:
    prove(TWO_ITEMS, "conv-i")
    tracker = form_tracker({"order_id": TWO_ITEMS, "verified_order": TWO_ITEMS})
    result, _ = await validate("order_item", "围巾", tracker)
    slots = {
        "order_id": TWO_ITEMS, "verified_order": TWO_ITEMS, "order_item": result["order_item"],
        "return_reason": "no_reason", "return_confirm": YES,
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionSubmitReturn().run(dispatcher, form_tracker(slots), DOMAIN)
    text = render(dispatcher.messages[0])
    assert "羊毛围巾" in text and "99.00元" in text  # the scarf, no share of the shipping
    kinds = fetch_rows(
        store,
        select(AfterSalesRequest.kind, AfterSalesRequest.item_id).where(
            AfterSalesRequest.conversation_id == "conv-i"
        ),
    )
    assert kinds == [("return", int(result["order_item"]))]


@pytest.mark.parametrize(
    ("intent", "response"),
    [("request_exchange", "utter_switched_to_exchange"),
     ("request_return", "utter_switched_to_return")],
)  # fmt: skip
async def test_switching_keeps_the_order_and_asks_the_reason_again(
    intent: str, response: str
) -> None:
    slots = {"order_id": ZHANG_WEI_ORDER, "verified_order": ZHANG_WEI_ORDER,
             "return_reason": "no_reason"}  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionSwitchJob().run(dispatcher, form_tracker(slots, intent=intent), DOMAIN)
    assert dispatcher.messages[0]["response"] == response
    cleared = {e["name"] for e in events if e["event"] == "slot"}
    assert {"return_reason", "return_confirm"} <= cleared and "order_id" not in cleared
    assert {"event": "active_loop", "name": None, "timestamp": None} in events

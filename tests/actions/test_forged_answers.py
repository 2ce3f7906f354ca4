"""Values the bot sets for itself cannot be typed by a customer: a pipe-separated time, a
'covered' repair, an 'onsite' mode where none is offered, a 'refused' confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.repairs import ActionBookRepair, ValidateRepairForm
from actions.returns import ValidateReturnForm
from tests.actions.conftest import DOMAIN, prove

WASHER = "202409010033"  # in warranty, on-site category


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders, the washer proved by this conversation."""
    prove(WASHER, "conv-f")


def tracker(**slots: Any) -> Tracker:
    message = {"intent": {"name": "inform"}, "entities": [], "text": ""}
    return Tracker("conv-f", slots, message, [], False, None, {"name": "repair_form"}, "")


async def validate(action: Action, slot: str, value: str, **slots: Any) -> tuple[dict, list]:
    dispatcher = CollectingDispatcher()
    result = await getattr(action, f"validate_{slot}")(value, dispatcher, tracker(**slots), DOMAIN)
    return result, [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize(
    ("slot", "typed"),
    [("repair_slot", "|"),
     ("repair_paid", "covered"),
     ("repair_mode", "onsite"),
     ("repair_mode", "none")],
)  # fmt: skip
async def test_internal_values_typed_by_a_customer_are_asked_again(slot: str, typed: str) -> None:
    verified = {"order_id": WASHER, "verified_order": WASHER}
    result, said = await validate(ValidateRepairForm(), slot, typed, **verified)
    assert result == {slot: None}
    assert said == [f"utter_invalid_{slot}"]


async def test_a_typed_booking_string_is_read_as_a_time_and_checked() -> None:
    verified = {"order_id": WASHER, "verified_order": WASHER}
    forged = "2020-01-01T10:00:00+08:00|2020-01-01T12:00:00+08:00"
    result, said = await validate(ValidateRepairForm(), "repair_slot", forged, **verified)
    assert result == {"repair_slot": None}  # a past time, refused like any other
    assert said and said[0].startswith("utter_policy_slot")


async def test_a_typed_refusal_is_not_a_policy_refusal() -> None:
    result, said = await validate(ValidateReturnForm(), "return_confirm", "refused")
    assert result == {"return_confirm": None} and said == ["utter_invalid_return_confirm"]


async def test_a_visit_without_a_validated_window_is_not_booked_and_not_silent() -> None:
    slots = {"order_id": WASHER, "verified_order": WASHER, "repair_covered": True,
             "repair_fault": "不脱水", "repair_mode": "onsite",
             "repair_address": "北京市朝阳区建国路88号3号楼", "repair_slot": "明天下午"}  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_repair_unavailable"]
    assert {"event": "slot", "name": "job_done", "value": False, "timestamp": None} in events

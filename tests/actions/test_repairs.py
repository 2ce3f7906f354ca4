"""Repair booking on the demo orders: warranty verdicts, paid repair, mode, visiting time,
booking."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.repairs import (
    COVERED,
    DECLINED,
    NO_REPAIR,
    ONSITE,
    ORDER_PHONE,
    PAID,
    SEND_IN,
    ActionBookRepair,
    ValidateRepairForm,
)
from bot.store.models import RepairBooking
from tests.actions.conftest import DOMAIN, fetch_rows, render

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def tracker(**slots: Any) -> Tracker:
    message = {"intent": {"name": "inform"}, "entities": [], "text": ""}
    return Tracker("conv-p", slots, message, [], False, None, {"name": "repair_form"}, "")


async def validate(slot: str, value: str, **slots: Any) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateRepairForm(), f"validate_{slot}")
    return await method(value, dispatcher, tracker(**slots), DOMAIN), dispatcher.messages


async def test_washer_in_warranty_is_covered_and_can_be_visited() -> None:
    result, messages = await validate("repair_fault", "不脱水", order_id="202409010033")
    assert result == {"repair_fault": "不脱水", "repair_paid": COVERED}
    assert messages[0]["response"] == "utter_policy_repair_covered"
    assert "{" not in render(messages[0])


async def test_tv_out_of_warranty_is_said_and_a_paid_repair_is_asked_about() -> None:
    result, messages = await validate("repair_fault", "黑屏", order_id="202201050009")
    assert result == {"repair_fault": "黑屏"}  # repair_paid is asked next
    assert [m["response"] for m in messages] == ["utter_policy_repair_out_of_warranty"]


async def test_an_item_not_yet_delivered_cannot_be_repaired_at_all() -> None:
    result, messages = await validate("repair_fault", "开不了机", order_id="202411190010")
    assert result["repair_paid"] == DECLINED and result["repair_mode"] == NO_REPAIR
    assert messages[0]["response"] == "utter_policy_not_delivered"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("需要", {"repair_paid": PAID}),
        ("好的安排一下", {"repair_paid": PAID}),
        ("不用了", {"repair_paid": DECLINED, "repair_mode": NO_REPAIR}),
        ("不需要", {"repair_paid": DECLINED, "repair_mode": NO_REPAIR}),
        ("多少钱", {"repair_paid": None}),
    ],
)
async def test_paid_repair_answer(answer: str, expected: dict) -> None:
    result, _ = await validate("repair_paid", answer)
    assert result == expected


async def test_small_items_are_sent_in() -> None:
    result, _ = await validate("repair_fault", "左耳没声音", order_id="202411020007")
    assert result["repair_mode"] == SEND_IN


@pytest.mark.parametrize(
    ("answer", "mode"), [("上门维修", ONSITE), ("让师傅来家里", ONSITE), ("我寄过去", SEND_IN)]
)
async def test_mode(answer: str, mode: str) -> None:
    result, _ = await validate("repair_mode", answer)
    assert result["repair_mode"] == mode


async def test_a_time_tomorrow_afternoon_is_booked_inside_service_hours() -> None:
    result, messages = await validate("repair_slot", "明天下午")
    start, end = (dt.datetime.fromisoformat(t) for t in result["repair_slot"].split("|"))
    assert messages == [] and start.hour == 13 and end.hour in (17, 18)
    assert start.date() == dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("answer", "response"),
    [("明天晚上9点", "utter_policy_slot_outside_hours"), ("随便", "utter_invalid_repair_slot")],
)
async def test_unusable_times_are_asked_again(answer: str, response: str) -> None:
    result, messages = await validate("repair_slot", answer)
    assert result == {"repair_slot": None} and messages[0]["response"] == response


async def test_onsite_booking_is_stored_with_masked_contact(store: str) -> None:
    start = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    slots = {
        "order_id": "202409010033", "verified_order": "202409010033", "repair_fault": "不脱水",
        "repair_paid": COVERED, "repair_mode": ONSITE, "repair_address": "广州市天河区天河路385号8栋1203",
        "repair_slot": f"{start.isoformat()}|{(start + dt.timedelta(hours=4)).isoformat()}",
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    text = render(dispatcher.messages[0])
    assert dispatcher.messages[0]["response"] == "utter_repair_onsite_booked"
    assert "137****7000" in text and "14:00–18:00" in text and "RP" in text
    assert [row[:2] for row in _bookings(store)] == [("onsite", True)]


def _bookings(store: str) -> list[tuple]:
    return fetch_rows(
        store,
        select(RepairBooking.mode, RepairBooking.covered, RepairBooking.complete_due).where(
            RepairBooking.conversation_id == "conv-p"
        ),
    )


async def test_paid_send_in_repair_is_booked_uncovered_without_a_completion_date(
    store: str,
) -> None:
    slots = {
        "order_id": "202201050009", "verified_order": "202201050009", "repair_fault": "黑屏",
        "repair_paid": PAID, "repair_mode": SEND_IN,
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_repair_paid_send_in_booked"
    assert "报价" in render(dispatcher.messages[0]) and "{" not in render(dispatcher.messages[0])
    assert {"event": "slot", "name": "job_done", "value": True, "timestamp": None} in events
    assert _bookings(store) == [("send_in", False, None)]


async def test_a_paid_repair_is_never_booked_for_a_covered_verdict_slot_mixup(store: str) -> None:
    """repair_paid missing (e.g. a confused form): nothing is booked, nothing is charged."""
    slots = {
        "order_id": "202201050009", "verified_order": "202201050009", "repair_fault": "黑屏",
        "repair_mode": SEND_IN,
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_repair_not_covered_next_steps"
    assert _bookings(store) == []


async def test_declined_paid_repair_books_nothing(store: str) -> None:
    slots = {
        "order_id": "202201050009",
        "verified_order": "202201050009",
        "repair_paid": DECLINED,
        "repair_mode": NO_REPAIR,
    }
    dispatcher = CollectingDispatcher()
    events = await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_repair_not_covered_next_steps"
    assert {"event": "slot", "name": "job_done", "value": False, "timestamp": None} in events


@pytest.mark.parametrize(
    ("answer", "contact"),
    [("用下单手机号", ORDER_PHONE), ("就用这个号吧", ORDER_PHONE), ("打139 1234 5678", "13912345678"),
     ("+86 13912345678", "13912345678"), ("找我", None), ("1391234", None)],
)  # fmt: skip
async def test_contact_phone(answer: str, contact: str | None) -> None:
    result, messages = await validate("repair_contact", answer)
    assert result == {"repair_contact": contact}
    assert bool(messages) == (contact is None)


async def test_onsite_booking_calls_the_contact_given(store: str) -> None:
    start = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    slots = {
        "order_id": "202409010033", "verified_order": "202409010033", "repair_fault": "漏水",
        "repair_paid": COVERED, "repair_mode": ONSITE, "repair_address": "广州市天河区天河路385号",
        "repair_slot": f"{start.isoformat()}|{(start + dt.timedelta(hours=3)).isoformat()}",
        "repair_contact": "13912345678",
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert "139****5678" in render(dispatcher.messages[0])
    contacts = fetch_rows(
        store,
        select(RepairBooking.contact_phone).where(RepairBooking.conversation_id == "conv-p"),
    )
    assert contacts == [("13912345678",)]

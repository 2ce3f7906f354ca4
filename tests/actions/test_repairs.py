"""Repair booking on the demo orders: warranty verdicts, paid repair, mode, visiting time,
booking."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.repairs import (
    NO,
    ONSITE,
    ORDER_PHONE,
    SEND_IN,
    YES,
    ActionBookRepair,
    ValidateRepairForm,
)
from bot.policy import completion_due, configured_calendar, configured_rules
from bot.services.handling import apply_step
from bot.store.models import RepairBooking
from tests.actions.conftest import DOMAIN, fetch_rows, prove, render

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


async def fault(order_no: str, text: str) -> tuple[dict, list[dict]]:
    """The fault of an order this conversation proved it owns."""
    prove(order_no, "conv-p")
    return await validate("repair_fault", text, order_id=order_no, verified_order=order_no)


async def required(**slots: Any) -> list[str]:
    return await ValidateRepairForm().required_slots(
        DOMAIN["forms"]["repair_form"]["required_slots"], CollectingDispatcher(),
        tracker(**slots), DOMAIN,
    )  # fmt: skip


async def cause(order_no: str, fault_text: str, answer: str) -> tuple[dict, list[dict]]:
    """The answer to how the fault happened, after the fault was given."""
    prove(order_no, "conv-p")
    return await validate(
        "damage_cause", answer, order_id=order_no, verified_order=order_no,
        repair_fault=fault_text,
    )  # fmt: skip


async def test_within_warranty_how_it_happened_is_asked_before_the_verdict() -> None:
    result, messages = await fault("202409010033", "不脱水")
    assert result == {"repair_fault": "不脱水", "damage_cause": None} and messages == []
    asked = await required(order_id="202409010033", verified_order="202409010033", **result)
    assert asked.index("damage_cause") == asked.index("repair_fault") + 1


async def test_washer_in_warranty_is_covered_and_can_be_visited() -> None:
    result, messages = await cause("202409010033", "不脱水", "正常用着突然就不转了")
    assert result == {"damage_cause": "normal", "repair_covered": True}
    assert messages[0]["response"] == "utter_policy_repair_covered"
    assert "{" not in render(messages[0])
    slots = {"repair_fault": "不脱水", **result}
    asked = await required(order_id="202409010033", verified_order="202409010033", **slots)
    assert "repair_paid" not in asked and {"repair_mode", "repair_slot"} <= set(asked)


async def test_human_damage_turns_a_free_repair_into_a_paid_one() -> None:
    result, messages = await cause("202409010033", "不脱水", "孩子往里面倒了一盆水，进水了")
    assert result == {"damage_cause": "human", "repair_covered": False}
    assert [m["response"] for m in messages] == ["utter_policy_repair_human_damage"]
    slots = {"repair_fault": "不脱水", **result}
    asked = await required(order_id="202409010033", verified_order="202409010033", **slots)
    assert "repair_paid" in asked


@pytest.mark.parametrize("said", ["洗衣机不进水了", "上周搬家摔了一下，现在不脱水"])
async def test_the_words_of_a_fault_are_never_taken_for_its_cause(said: str) -> None:
    """不进水 is a washing machine's own fault: only the answer to the question decides."""
    result, messages = await fault("202409010033", said)
    assert result == {"repair_fault": said, "damage_cause": None} and messages == []


async def test_an_answer_that_says_neither_is_asked_once_more_then_inspected() -> None:
    result, messages = await cause("202409010033", "不脱水", "你们什么意思")
    assert result == {"damage_cause": None}
    assert [m["response"] for m in messages] == ["utter_invalid_damage_cause"]
    prove("202409010033", "conv-p")
    slots = {"order_id": "202409010033", "verified_order": "202409010033",
             "repair_fault": "不脱水"}  # fmt: skip
    events = [  # as Rasa logs them: the re-ask, the question again, then this answer
        {"event": "user", "text": "你们什么意思"},
        {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_invalid_damage_cause"}},
        {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_ask_damage_cause"}},
        {"event": "user", "text": "就那样"},
    ]
    asked_again = Tracker("conv-p", slots, {"intent": {"name": "inform"}, "entities": [],
                          "text": "就那样"}, events, False, None, {"name": "repair_form"},
                          "")  # fmt: skip
    dispatcher = CollectingDispatcher()
    result = await ValidateRepairForm().validate_damage_cause(
        "就那样", dispatcher, asked_again, DOMAIN
    )
    assert result == {"damage_cause": "unsure", "repair_covered": True}


async def test_a_customer_who_cannot_tell_is_covered_pending_inspection() -> None:
    result, messages = await cause("202409010033", "不脱水", "这个我也说不好")
    assert result == {"damage_cause": "unsure", "repair_covered": True}
    responses = [m["response"] for m in messages]
    assert responses == ["utter_damage_to_be_inspected", "utter_policy_repair_covered"]


async def test_the_cause_is_kept_on_the_booking(demo_store: str) -> None:
    prove("202409010033", "conv-p")
    slots = {
        "order_id": "202409010033", "verified_order": "202409010033",
        "repair_fault": "不脱水", "damage_cause": "normal", "repair_covered": True,
        "repair_mode": SEND_IN,
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    rows = fetch_rows(demo_store, select(RepairBooking.fault, RepairBooking.damage_cause))
    assert ("不脱水", "normal") in rows


async def test_tv_out_of_warranty_is_said_and_a_paid_repair_is_asked_about() -> None:
    result, messages = await fault("202201050009", "黑屏")
    assert result == {  # repair_paid is next; how it happened does not matter any more
        "repair_fault": "黑屏", "damage_cause": "-", "repair_covered": False,
    }  # fmt: skip
    assert [m["response"] for m in messages] == ["utter_policy_repair_out_of_warranty"]
    asked = await required(order_id="202201050009", verified_order="202201050009", **result)
    assert "repair_paid" in asked


async def test_an_item_not_yet_delivered_cannot_be_repaired_at_all() -> None:
    result, messages = await fault("202411190010", "开不了机")
    assert result == {
        "repair_fault": "开不了机", "damage_cause": "-", "repair_covered": False, "repair_paid": NO,
    }  # fmt: skip
    assert messages[0]["response"] == "utter_policy_not_delivered"
    asked = await required(order_id="202411190010", verified_order="202411190010", **result)
    assert not {"repair_mode", "repair_address", "repair_slot", "repair_contact"} & set(asked)


async def test_the_fault_of_an_unverified_order_is_not_assessed() -> None:
    result, messages = await validate("repair_fault", "不脱水", order_id="202409010033")
    assert result == {"repair_fault": None} and messages == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("需要", {"repair_paid": YES}),
        ("好的安排一下", {"repair_paid": YES}),
        ("不用了", {"repair_paid": NO}),
        ("不需要", {"repair_paid": NO}),
        ("多少钱", {"repair_paid": None}),
    ],
)
async def test_paid_repair_answer(answer: str, expected: dict) -> None:
    result, _ = await validate("repair_paid", answer)
    assert result == expected


async def test_a_declined_paid_repair_asks_nothing_more() -> None:
    prove("202201050009", "conv-p")
    slots = {"order_id": "202201050009", "verified_order": "202201050009",
             "repair_fault": "黑屏", "repair_covered": False, "repair_paid": NO}  # fmt: skip
    asked = await required(**slots)
    assert not {"repair_mode", "repair_address", "repair_slot", "repair_contact"} & set(asked)


async def test_small_items_are_sent_in() -> None:
    result, _ = await cause("202411020007", "左耳没声音", "正常使用中出现的")
    assert result["repair_mode"] == SEND_IN


@pytest.mark.parametrize(
    ("answer", "mode"), [("上门维修", ONSITE), ("让师傅来家里", ONSITE), ("我寄过去", SEND_IN)]
)
async def test_mode(answer: str, mode: str) -> None:
    result, _ = await validate("repair_mode", answer)
    assert result["repair_mode"] == mode


async def test_a_time_tomorrow_afternoon_is_booked_inside_service_hours() -> None:
    result, messages = await validate("repair_slot", "明天下午")
    start = dt.datetime.fromisoformat(result["repair_visit_start"])
    end = dt.datetime.fromisoformat(result["repair_visit_end"])
    assert messages == [] and start.hour == 13 and end.hour in (17, 18)
    assert start.tzinfo is not None and end.tzinfo is not None
    assert start.date() == dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    assert result["repair_slot"].endswith(f"{start:%H:%M}–{end:%H:%M}")  # as the customer reads it


@pytest.mark.parametrize(
    ("answer", "response"),
    [("明天晚上9点", "utter_policy_slot_outside_hours"), ("随便", "utter_invalid_repair_slot")],
)
async def test_unusable_times_are_asked_again(answer: str, response: str) -> None:
    result, messages = await validate("repair_slot", answer)
    assert result == {"repair_slot": None} and messages[0]["response"] == response


def visit(start: dt.datetime, hours: int) -> dict[str, str]:
    """The slots validate_repair_slot sets for a visit from `start`."""
    end = start + dt.timedelta(hours=hours)
    return {"repair_slot": f"{start:%H:%M}–{end:%H:%M}", "repair_visit_start": start.isoformat(),
            "repair_visit_end": end.isoformat()}  # fmt: skip


async def test_onsite_booking_is_stored_with_masked_contact(store: str) -> None:
    prove("202409010033", "conv-p")
    start = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    slots = {
        "order_id": "202409010033", "verified_order": "202409010033", "repair_fault": "不脱水",
        "repair_covered": True, "repair_mode": ONSITE, "repair_address": "广州市天河区天河路385号8栋1203",
        **visit(start, 4),
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    text = render(dispatcher.messages[0])
    assert dispatcher.messages[0]["response"] == "utter_repair_onsite_booked"
    assert "137****7000" in text and "14:00–18:00" in text and "RP" in text
    assert [row[:2] for row in _bookings(store)] == [("onsite", True)]
    # the repair is promised counting from the visit's day, never before the technician comes
    assert _bookings(store)[0][2] == completion_due(
        start.date(), configured_rules(), configured_calendar()
    )


async def test_a_repair_by_post_gets_its_date_when_the_item_is_taken_in(store: str) -> None:
    """Nobody knows when the parcel arrives: no date (so no lateness) until work starts."""
    prove("202411020007", "conv-p")
    slots = {
        "order_id": "202411020007", "verified_order": "202411020007", "repair_fault": "左耳没声音",
        "repair_covered": True, "repair_mode": SEND_IN,
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert _bookings(store) == [("send_in", True, None)]
    booking_id = re.search(r"RP\d{8}-\d{4}", render(dispatcher.messages[0]))
    assert booking_id is not None
    apply_step("start-repair", booking_id.group())
    today = dt.datetime.now(SHANGHAI).date()
    expected = completion_due(today, configured_rules(), configured_calendar())
    assert _bookings(store) == [("send_in", True, expected)]


async def test_a_paid_repair_says_what_declining_the_quote_costs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The policy is silent on an inspection fee, so the operator's rule is what is said."""
    import actions.repairs as repairs
    from bot.policy import PolicyRules

    dispatcher = CollectingDispatcher()
    await repairs.ActionAskRepairPaid().run(dispatcher, tracker(), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_ask_repair_paid"  # free by default
    monkeypatch.setattr(
        repairs, "configured_rules", lambda: PolicyRules(paid_repair_inspection_fee_yuan=50)
    )
    dispatcher = CollectingDispatcher()
    await repairs.ActionAskRepairPaid().run(dispatcher, tracker(), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_ask_repair_paid_with_fee"
    assert "检测费50.00元" in render(dispatcher.messages[0])


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
    prove("202201050009", "conv-p")
    slots = {
        "order_id": "202201050009", "verified_order": "202201050009", "repair_fault": "黑屏",
        "repair_covered": False, "repair_paid": YES, "repair_mode": SEND_IN,
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_repair_paid_send_in_booked"
    assert "报价" in render(dispatcher.messages[0]) and "{" not in render(dispatcher.messages[0])
    assert {"event": "slot", "name": "job_done", "value": True, "timestamp": None} in events
    assert _bookings(store) == [("send_in", False, None)]


async def test_a_paid_repair_is_never_booked_for_a_covered_verdict_slot_mixup(store: str) -> None:
    """repair_paid missing (e.g. a confused form): nothing is booked, nothing is charged."""
    prove("202201050009", "conv-p")
    slots = {
        "order_id": "202201050009", "verified_order": "202201050009", "repair_fault": "黑屏",
        "repair_mode": SEND_IN,
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_repair_not_covered_next_steps"
    assert _bookings(store) == []


async def test_declined_paid_repair_books_nothing(store: str) -> None:
    prove("202201050009", "conv-p")
    slots = {
        "order_id": "202201050009",
        "verified_order": "202201050009",
        "repair_covered": False,
        "repair_paid": NO,
    }
    dispatcher = CollectingDispatcher()
    events = await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_repair_not_covered_next_steps"
    assert {"event": "slot", "name": "job_done", "value": False, "timestamp": None} in events
    assert _bookings(store) == []


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
    prove("202409010033", "conv-p")
    start = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    slots = {
        "order_id": "202409010033", "verified_order": "202409010033", "repair_fault": "漏水",
        "repair_covered": True, "repair_mode": ONSITE, "repair_address": "广州市天河区天河路385号",
        **visit(start, 3), "repair_contact": "13912345678",
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionBookRepair().run(dispatcher, tracker(**slots), DOMAIN)
    assert "139****5678" in render(dispatcher.messages[0])
    contacts = fetch_rows(
        store,
        select(RepairBooking.contact_phone).where(RepairBooking.conversation_id == "conv-p"),
    )
    assert contacts == [("13912345678",)]


async def test_an_accident_admitted_once_is_not_undone_by_trying_again() -> None:
    """摔了一下, then, after a paid repair was offered, 正常使用中出现的: the store remembers."""
    first, _ = await cause("202409010033", "不脱水", "摔了一下")
    assert first["damage_cause"] == "human"
    again, messages = await cause("202409010033", "不脱水", "正常使用中出现的")
    assert again == {"damage_cause": "human", "repair_covered": False}
    assert [m["response"] for m in messages][:2] == [
        "utter_damage_told_before", "utter_policy_repair_human_damage",
    ]  # fmt: skip


async def test_an_item_with_a_booked_visit_is_shown_it_instead_of_a_second_booking() -> None:
    """赵敏's air conditioner already has a technician booked."""
    prove("202410200034", "conv-p")
    dispatcher = CollectingDispatcher()
    proved = tracker(order_id="202410200034", verified_order="202410200034", requested_slot="phone")
    events = await ValidateRepairForm().get_validation_events(dispatcher, proved, DOMAIN)
    said = [m["response"] for m in dispatcher.messages]
    assert said[0] == "utter_repair_already_open" and said[1].startswith("utter_status_")
    assert any(e.get("name") == "already_open" and e["value"].startswith("RP") for e in events)

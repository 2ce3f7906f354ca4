"""Complaints: description, optional order, severity → a ticket with SLAs; escalation."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.complaints import (
    NONE,
    ActionAskComplaintOrder,
    ActionSubmitComplaint,
    ValidateComplaintForm,
)
from bot.services import complaint_category, sounds_angry
from bot.services.complaints import amount_asked
from bot.store.models import Complaint, HandoffRequest
from tests.actions.conftest import DOMAIN, prove, render

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def tracker(requested: str | None = None, entities: list | None = None, **slots: Any) -> Tracker:
    message = {"intent": {"name": "inform"}, "entities": entities or [], "text": ""}
    all_slots = {"requested_slot": requested, **slots}
    return Tracker("conv-c", all_slots, message, [], False, None, {"name": "complaint_form"}, "")


async def validate(slot: str, value: str, t: Tracker) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    result = await getattr(ValidateComplaintForm(), f"validate_{slot}")(
        value, dispatcher, t, DOMAIN
    )
    return result, [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize("bare", ["我要投诉", "投诉!", "我要投诉你们", "怎么投诉"])
async def test_a_bare_request_is_not_a_description(bare: str) -> None:
    result, said = await validate("complaint_description", bare, tracker())
    assert result == {"complaint_description": None} and said == []  # prefilled: just ask


async def test_what_happened_is_kept_and_an_order_in_it_is_taken() -> None:
    text = "订单202411020007退款拖了半个月还没到"
    entities = [{"entity": "order_id", "value": "202411020007"}]
    result, _ = await validate("complaint_description", text, tracker(entities=entities))
    assert result == {"complaint_description": text, "complaint_order": "202411020007"}


@pytest.mark.parametrize(
    ("answer", "value"), [("没有", NONE), ("和订单无关", NONE), ("202411150003", "202411150003")]
)
async def test_order_is_optional(answer: str, value: str) -> None:
    result, _ = await validate("complaint_order", answer, tracker("complaint_order"))
    assert result["complaint_order"] == value


async def test_unknown_order_is_asked_again() -> None:
    result, said = await validate("complaint_order", "209901010001", tracker("complaint_order"))
    assert result["complaint_order"] is None and said == ["utter_order_not_found"]


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("一般", "low"),
        ("比较严重", "medium"),
        ("非常严重", "high"),  # typed words
        ("影响不大", "low"),
        ("影响较大", "medium"),
        ("影响很大", "high"),  # the buttons
        ("不严重", "low"),
        ("影响挺大的", "medium"),
        ("影响不算大吧", "low"),
        ("影响太大了", "high"),
        ("其实没什么影响", "low"),
    ],
)
async def test_severity(answer: str, value: str) -> None:
    result, _ = await validate("complaint_severity", answer, tracker("complaint_severity"))
    assert result["complaint_severity"] == value


def test_category_and_anger() -> None:
    assert complaint_category("快递员态度太差") == "delivery"
    assert complaint_category("客服不理人") == "service"
    assert sounds_angry("再不处理我就打12315") and sounds_angry("生气生气")
    assert not sounds_angry("物流有点慢")


def count(url: str, model) -> int:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        n = len(conn.execute(select(model.id).where(model.conversation_id == "conv-c")).all())
    engine.dispose()
    return n


async def submit(**slots: Any) -> list[dict]:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(dispatcher, tracker(**slots), DOMAIN)
    assert {"event": "slot", "name": "job_done", "value": True, "timestamp": None} in events
    return dispatcher.messages


async def test_mild_complaint_gets_a_ticket_with_its_deadlines(store: str) -> None:
    messages = await submit(
        complaint_description="物流有点慢", complaint_order=NONE, complaint_severity="low"
    )
    assert [m["response"] for m in messages] == ["utter_complaint_created"]
    assert "CP" in render(messages[0]) and count(store, HandoffRequest) == 0
    assert count(store, Complaint) == 1


@pytest.mark.parametrize(
    "slots",
    [
        {"complaint_description": "气死了,你们就是骗子", "complaint_severity": "low"},  # angry
        {"complaint_description": "快递员把东西摔坏了", "complaint_severity": "high"},  # serious
    ],
)
async def test_angry_or_serious_complaints_go_to_a_person(store: str, slots: dict) -> None:
    messages = await submit(complaint_order=NONE, **slots)
    assert [m["response"] for m in messages] == [
        "utter_complaint_created",
        "utter_complaint_escalated",
    ]
    assert count(store, HandoffRequest) == 1


async def test_a_repeat_complaint_on_the_same_order_goes_to_a_person(store: str) -> None:
    prove("202411020007", "conv-c")
    slots = {"complaint_order": "202411020007", "complaint_severity": "low"}
    await submit(complaint_description="退款太慢", **slots)
    messages = await submit(complaint_description="退款还是没到", **slots)
    assert messages[-1]["response"] == "utter_complaint_escalated"


async def test_a_stranger_learns_nothing_of_earlier_complaints_on_an_order(store: str) -> None:
    slots = {"complaint_order": "202411020007", "complaint_severity": "low"}
    await submit(complaint_description="退款太慢", **slots)
    messages = await submit(complaint_description="退款还是没到", **slots)
    assert [m["response"] for m in messages] == ["utter_complaint_created"]


def _events(*responses: str) -> list[dict]:
    """The form starting, then bot messages as Rasa records them: the response in metadata."""
    started = [{"event": "active_loop", "name": "complaint_form"}]
    return started + [
        {"event": "bot", "text": render({"response": r}), "metadata": {"utter_action": r}}
        for r in responses
    ]


@pytest.mark.parametrize(
    ("said_before", "apologises"),
    [
        ((), True),  # the description came with the first message: apologise now
        (("utter_ask_complaint_description",), False),  # already did, in the question
        (("utter_ask_complaint_description", "utter_invalid_complaint_description"), False),
        (("utter_invalid_complaint_description",), True),  # asked again, never apologised
    ],
)
async def test_the_apology_is_said_exactly_once(said_before: tuple, apologises: bool) -> None:
    t = Tracker(
        "conv-c", {}, {}, _events(*said_before), False, None, {"name": "complaint_form"}, ""
    )
    dispatcher = CollectingDispatcher()
    await ActionAskComplaintOrder().run(dispatcher, t, DOMAIN)
    responses = [m["response"] for m in dispatcher.messages]
    expected = ["utter_complaint_apology"] if apologises else []
    assert responses == [*expected, "utter_ask_complaint_order"]


async def test_a_tracking_number_in_the_story_is_not_taken_for_the_order() -> None:
    text = "快递单号SF1234567890123的快递员把东西扔门口丢了"
    entities = [{"entity": "order_id", "value": "SF1234567890123"}]
    result, said = await validate(
        "complaint_description", text, tracker("complaint_description", entities)
    )
    assert result == {"complaint_description": text} and said == []
    real = [{"entity": "order_id", "value": "202411150003"}]
    result, _ = await validate(
        "complaint_description", "202411150003的T恤破了洞", tracker("complaint_description", real)
    )
    assert result["complaint_order"] == "202411150003"


@pytest.mark.parametrize(
    ("said", "amount"),
    [("等了半个月 得赔我50块吧", "50.00"), ("耽误我这么多天 总得给个说法吧", None)],
)
async def test_a_request_for_compensation_goes_to_a_person_with_the_amount_asked(
    store: str, said: str, amount: str | None
) -> None:
    messages = await submit(
        complaint_description=said, complaint_order=NONE, complaint_severity="low",
        complaint_kind="compensation",
    )  # fmt: skip
    expected = "utter_compensation_amount_escalated" if amount else "utter_compensation_escalated"
    assert [m["response"] for m in messages] == ["utter_complaint_created", expected]
    assert "{" not in render(messages[1]) and (amount is None or "50.00元" in render(messages[1]))
    with create_engine(store).connect() as conn:
        mine = Complaint.conversation_id == "conv-c"
        row = conn.execute(select(Complaint.category, Complaint.amount_asked).where(mine)).one()
        reason = conn.execute(
            select(HandoffRequest.reason).where(HandoffRequest.conversation_id == "conv-c")
        ).scalar_one()
    assert row.category == "compensation" and reason == "compensation"
    assert (str(row.amount_asked) if row.amount_asked is not None else None) == amount


@pytest.mark.parametrize("said", ["给个说法吧", "这得补偿我吧", "退点差价"])
def test_words_asking_for_compensation_make_it_that_category(said: str) -> None:
    assert complaint_category(said) == "compensation"


@pytest.mark.parametrize(
    ("said", "amount"),
    [("买的299元耳机坏了 赔我50块", "50.00"), ("补偿20元吧 这单88元", "20.00"), ("赔偿", None),
     ("运费12块钱 退货花的", "12.00")],
)  # fmt: skip
def test_the_amount_asked_is_the_one_next_to_the_request(said: str, amount: str | None) -> None:
    found = amount_asked(said)
    assert (None if found is None else f"{found:.2f}") == amount


def test_a_complaint_that_only_mentions_an_explanation_is_not_a_compensation_claim() -> None:
    assert complaint_category("客服连个说法都没有 态度太差") == "service"

"""物流不动了 / 显示签收但没收到 on 陈静's demo orders: the verdict once the order is proved,
the remedy asked only when there is something to check, one check per order, and the check
in the order's status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.parcels import (
    NO_CHECK,
    ActionOpenParcelCheck,
    ActionStartParcelCheck,
    ValidateParcelForm,
)
from bot.clock import shop_now
from bot.services import request_status
from bot.services.handling import apply_step
from bot.services.ticks import run_tick
from bot.store import InvalidRequest
from bot.store.models import (
    AfterSalesRequest,
    CustomerNotice,
    HandoffRequest,
    ParcelTicket,
    RequestEvent,
)
from tests.actions.conftest import DOMAIN, fetch_rows, prove, render

STALLED, MOVING, SIGNED = "202411230041", "202411260042", "202411240043"
ME = "conv-parcel"


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def form_tracker(text: str = "", **slots: Any) -> Tracker:
    message = {"intent": {"name": "inform"}, "entities": [], "text": text}
    events = [{"event": "active_loop", "name": "parcel_form"}]
    return Tracker(ME, slots, message, events, False, None, {"name": "parcel_form"}, "")


async def proved(order_no: str, reported: str | None = None) -> tuple[dict, list[dict]]:
    """The validator's events the turn the order is proved, and what it said."""
    prove(order_no, ME)
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(
        order_id=order_no, verified_order=order_no, parcel_problem=reported,
        requested_slot="phone",
    )  # fmt: skip
    events = await ValidateParcelForm().get_validation_events(dispatcher, tracker, DOMAIN)
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


async def test_the_apology_keeps_what_the_customer_said_was_wrong() -> None:
    dispatcher = CollectingDispatcher()
    tracker = Tracker(ME, {}, {"intent": {"name": "report_parcel_problem"}, "entities": [],
                               "text": "显示签收了但我没收到"}, [], False, None, {}, "")  # fmt: skip
    events = await ActionStartParcelCheck().run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_parcel_sorry"]
    assert events[0]["value"] == "not_received"


async def test_a_stalled_parcel_is_shown_and_the_remedy_asked() -> None:
    slots, said = await proved(STALLED, "stalled")
    assert [m["response"] for m in said] == ["utter_policy_parcel_stalled"]
    text = render(said[0])
    assert "中通" in text and "ZT7730012345678" in text and "杭州转运中心" in text
    assert "{" not in text
    assert slots["parcel_checked"] is True and "parcel_remedy" not in slots


async def test_a_parcel_still_moving_is_not_chased_yet() -> None:
    slots, said = await proved(MOVING, "stalled")
    assert said[0]["response"] == "utter_policy_parcel_in_transit"
    assert "武汉转运中心" in render(said[0]) and slots["parcel_remedy"] == NO_CHECK


async def test_signed_for_is_checked_as_not_received() -> None:
    slots, said = await proved(SIGNED, None)  # the customer only said 包裹呢
    assert said[0]["response"] == "utter_policy_parcel_not_received"
    assert slots["parcel_problem"] == "not_received"


async def test_the_verdict_waits_for_the_proof_and_is_said_once() -> None:
    dispatcher = CollectingDispatcher()
    unproved = form_tracker(order_id=STALLED, requested_slot="phone")
    assert await ValidateParcelForm().get_validation_events(dispatcher, unproved, DOMAIN) == []
    prove(STALLED, ME)
    again = form_tracker(order_id=STALLED, verified_order=STALLED, parcel_checked=True)
    await ValidateParcelForm().get_validation_events(dispatcher, again, DOMAIN)
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("answer", "value"), [("补发", "reship"), ("直接退钱吧", "refund"), ("等你们核实", "wait")]
)
async def test_the_remedy_in_the_customers_words(answer: str, value: str) -> None:
    result = await ValidateParcelForm().validate_parcel_remedy(
        answer, CollectingDispatcher(), form_tracker(answer), DOMAIN
    )
    assert result == {"parcel_remedy": value}


async def test_an_unclear_remedy_is_asked_again() -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateParcelForm().validate_parcel_remedy(
        "嗯嗯", dispatcher, form_tracker("嗯嗯"), DOMAIN
    )
    assert result == {"parcel_remedy": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_parcel_remedy"


async def submit(order_no: str, remedy: str, problem: str = "stalled") -> tuple[list, dict]:
    prove(order_no, ME)
    dispatcher = CollectingDispatcher()
    slots = {"order_id": order_no, "verified_order": order_no, "parcel_problem": problem,
             "parcel_checked": True, "parcel_remedy": remedy}  # fmt: skip
    message = {"intent": {"name": "inform"}, "entities": [], "text": ""}
    tracker = Tracker(ME, slots, message, [], False, None, {}, "")  # the form has ended
    events = await ActionOpenParcelCheck().run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_a_check_is_opened_once_and_shown_in_the_status(demo_store: str) -> None:
    said, slots = await submit(STALLED, "refund")
    assert said[0]["response"] == "utter_parcel_check_opened_refund"
    text = render(said[0])
    assert "LG" in text and "{" not in text
    assert slots["job_done"] is True and slots["topic"] == "parcel"
    [(public_id, remedy, status)] = fetch_rows(
        demo_store, select(ParcelTicket.public_id, ParcelTicket.remedy, ParcelTicket.status)
    )
    assert (remedy, status) == ("refund", "open") and public_id in text
    events = fetch_rows(demo_store, select(RequestEvent.event).where(
        RequestEvent.subject == public_id))  # fmt: skip
    assert events == [("opened",)]
    again, _ = await submit(STALLED, "reship")
    assert [m["response"] for m in again] == [
        "utter_parcel_already_open", "utter_status_parcel_checking",
    ]  # fmt: skip
    views = request_status(STALLED, ME)
    assert [(v.kind, v.stage) for v in views] == [("parcel", "parcel_checking")]


async def test_nothing_is_opened_when_there_is_nothing_to_check(demo_store: str) -> None:
    said, slots = await submit(MOVING, NO_CHECK)
    assert said == [] and slots["job_done"] is False
    assert fetch_rows(demo_store, select(ParcelTicket.id)) == []


async def test_a_forged_remedy_for_a_moving_parcel_opens_nothing(demo_store: str) -> None:
    """The slots are not trusted: the policy is decided again when the check is opened."""
    said, slots = await submit(MOVING, "refund")
    assert said[0]["response"] == "utter_parcel_unavailable" and slots["job_done"] is False
    assert fetch_rows(demo_store, select(ParcelTicket.id)) == []


async def test_the_service_team_closes_a_check_with_what_it_found(demo_store: str) -> None:
    said, _ = await submit(SIGNED, "wait", "not_received")
    [(public_id,)] = fetch_rows(demo_store, select(ParcelTicket.public_id))
    with pytest.raises(InvalidRequest):
        apply_step("parcel-found", public_id, "  ")  # an outcome needs words
    apply_step("parcel-found", public_id, "快递柜代收，已通知取件码")
    [view] = request_status(SIGNED, ME)
    assert view.stage == "parcel_found" and "取件码" in view.values["outcome"]
    with pytest.raises(InvalidRequest):
        apply_step("reshipped", public_id, "再来一次")  # closed once
    events = fetch_rows(demo_store, select(RequestEvent.event, RequestEvent.actor).where(
        RequestEvent.subject == public_id))  # fmt: skip
    assert events == [("opened", "customer"), ("found", "agent")]


async def test_an_open_check_is_shown_before_any_question() -> None:
    await submit(STALLED, "wait")
    slots, said = await proved(STALLED, "stalled")
    responses = [m["response"] for m in said]
    assert responses == [
        "utter_policy_parcel_stalled", "utter_parcel_already_open", "utter_status_parcel_checking",
    ]  # fmt: skip
    assert slots["parcel_remedy"] == NO_CHECK


@pytest.mark.parametrize("answer", ["我再找找", "找到了 在丰巢里"])
async def test_looking_first_ends_without_a_check(answer: str) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateParcelForm().validate_parcel_remedy(
        answer, dispatcher, form_tracker(answer), DOMAIN
    )
    assert result == {"parcel_remedy": NO_CHECK}
    assert dispatcher.messages[0]["response"] == "utter_parcel_look_first"


async def test_a_parcel_checked_is_not_also_refunded_beside_the_check(demo_store: str) -> None:
    """One parcel, one remedy: a refund-with-return asked while its check is open is refused
    with the check shown, and a check is refused while a refund-with-return is open."""
    from actions.returns import ActionSubmitReturn

    await submit(STALLED, "reship")
    prove(STALLED, ME)
    slots = {"order_id": STALLED, "verified_order": STALLED, "return_reason": "quality",
             "return_confirm": "yes"}  # fmt: skip
    events = [{"event": "active_loop", "name": "return_form"}, {"event": "active_loop"}]
    message = {"intent": {"name": "inform"}, "entities": [], "text": ""}
    dispatcher = CollectingDispatcher()
    tracker = Tracker(ME, slots, message, events, False, None, {}, "")
    await ActionSubmitReturn().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_return_already_open"
    assert fetch_rows(demo_store, select(AfterSalesRequest.id).where(
        AfterSalesRequest.conversation_id == ME)) == []  # fmt: skip


async def test_a_refund_with_return_open_needs_no_parcel_check(demo_store: str) -> None:
    from actions.returns import ActionSubmitReturn

    prove(MOVING, ME)
    slots = {"order_id": MOVING, "verified_order": MOVING, "return_reason": "quality",
             "return_confirm": "yes"}  # fmt: skip
    message = {"intent": {"name": "inform"}, "entities": [], "text": ""}
    tracker = Tracker(ME, slots, message, [], False, None, {}, "")
    await ActionSubmitReturn().run(CollectingDispatcher(), tracker, DOMAIN)
    [(reason, payer)] = fetch_rows(demo_store, select(
        AfterSalesRequest.reason, AfterSalesRequest.shipping_payer).where(
        AfterSalesRequest.conversation_id == ME))  # fmt: skip
    assert (reason, payer) == ("no_reason", "buyer")  # nobody opened it to find a fault
    said, _ = await submit(MOVING, "refund", "not_received")
    assert said[0]["response"] == "utter_parcel_already_open"
    assert fetch_rows(demo_store, select(ParcelTicket.id)) == []


async def test_a_check_unanswered_on_time_goes_to_a_person_once(demo_store: str) -> None:
    await submit(STALLED, "wait")
    [(public_id, _due)] = fetch_rows(demo_store, select(ParcelTicket.public_id,
                                                       ParcelTicket.check_due))  # fmt: skip
    late = shop_now() + dt.timedelta(hours=25)
    assert run_tick(late).escalated == 1 and run_tick(late).escalated == 0  # once
    assert ("check_overdue", "system") in fetch_rows(demo_store, select(
        RequestEvent.event, RequestEvent.actor).where(RequestEvent.subject == public_id))  # fmt: skip
    assert fetch_rows(demo_store, select(HandoffRequest.reason, HandoffRequest.topic).where(
        HandoffRequest.conversation_id == ME)) == [("parcel_check_overdue", "parcel")]  # fmt: skip


async def test_the_customer_is_told_what_the_check_found(demo_store: str) -> None:
    await submit(SIGNED, "wait", "not_received")
    [(public_id,)] = fetch_rows(demo_store, select(ParcelTicket.public_id))
    apply_step("reshipped", public_id, "已补发，新单号 SF1240099887766")
    notices = fetch_rows(demo_store, select(CustomerNotice.kind, CustomerNotice.conversation_id))
    assert ("parcel_reshipped", ME) in notices


async def test_a_reshipment_needs_its_tracking_and_replaces_the_lost_parcel(
    demo_store: str,
) -> None:
    from bot.store.models import Order

    await submit(SIGNED, "reship", "not_received")
    [(public_id,)] = fetch_rows(demo_store, select(ParcelTicket.public_id))
    with pytest.raises(InvalidRequest):
        apply_step("reshipped", public_id, "已经补发了")  # which parcel? nobody can follow it
    apply_step("reshipped", public_id, "已补发 顺丰 SF 1240 0998 8776")
    [order] = fetch_rows(demo_store, select(
        Order.courier, Order.tracking_no, Order.status, Order.delivered_at).where(
        Order.order_no == SIGNED))  # fmt: skip
    assert order == ("SF", "SF124009988776", "shipped", None)


async def test_a_lost_parcel_refunded_by_the_team_has_its_refund_to_follow(
    demo_store: str,
) -> None:
    from bot.services import refund_status
    from bot.store.models import Order, Refund

    await submit(STALLED, "refund")
    [(public_id,)] = fetch_rows(demo_store, select(ParcelTicket.public_id))
    apply_step("parcel-refunded", public_id, "快递确认丢件，全额退款")
    [(paid, fee)] = fetch_rows(demo_store, select(Order.amount, Order.shipping_fee).where(
        Order.order_no == STALLED))  # fmt: skip
    [(amount, due_on)] = fetch_rows(demo_store, select(Refund.amount, Refund.due_on).join(
        Order, Order.id == Refund.order_id).where(Order.order_no == STALLED))  # fmt: skip
    assert amount == paid + fee and due_on is not None
    status = refund_status(STALLED, ME)
    assert status is not None and status.amount == amount
    events = fetch_rows(demo_store, select(RequestEvent.detail).where(
        RequestEvent.subject == public_id, RequestEvent.event == "refunded"))  # fmt: skip
    assert '"refund": "RF' in events[0][0]

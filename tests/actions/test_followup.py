"""After the first application, on the demo store: where everything stands, changes of mind
recorded as events, the operator's steps, and the scheduled job."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.followup import ActionApplyFollowup, ActionCancelFollowup, ValidateFollowupForm
from bot.clock import shop_now
from bot.policy import completion_due, configured_calendar, configured_rules
from bot.services import (
    ChangeRefused,
    OwnershipNotVerified,
    add_complaint_details,
    add_tracking,
    change_candidates,
    refund_status,
    request_status,
    reschedule_visit,
    withdraw,
)
from bot.services.handling import apply_step
from bot.services.ticks import run_tick
from bot.store import InvalidRequest, open_repository
from bot.store.models import CustomerNotice, HandoffRequest, RequestEvent
from tests.actions.conftest import DOMAIN, fetch_rows, prove, render

SHANGHAI = ZoneInfo("Asia/Shanghai")
DRESS, JEANS, JACKET, AIRCON, COOKER = (
    "202411210031", "202411160032", "202411140033", "202410200034", "202411080035",
)  # fmt: skip
EARPHONES, CUP = "202411020007", "202411100008"
ME = "conv-followup"


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def stages(order_no: str) -> dict[str, str]:
    prove(order_no, ME)
    return {view.kind: view.stage for view in request_status(order_no, ME)}


def only_id(order_no: str, change: str) -> str:
    prove(order_no, ME)
    (view,) = change_candidates(order_no, ME, change)
    return view.public_id


def events(public_id: str) -> list[tuple[str, str]]:
    with open_repository() as repo:
        return [(e.event, e.actor) for e in repo.events_of(public_id)]


def test_the_seed_has_a_request_at_every_stage() -> None:
    assert stages(DRESS) == {"return": "request_submitted"}
    assert stages(JEANS) == {"return": "request_awaiting_parcel"}
    assert stages(JACKET) == {"exchange": "request_parcel_sent"}
    assert stages(AIRCON) == {"repair": "repair_visit_booked"}
    assert stages(COOKER) == {"complaint": "complaint_open"}
    assert stages(EARPHONES) == {"return": "request_received"}
    assert stages(CUP) == {"return": "request_refunded"}


def test_status_needs_proof_of_that_order() -> None:
    with pytest.raises(OwnershipNotVerified):
        request_status(DRESS, "someone-else")
    prove(JEANS, "someone-else")  # proof of another order of the same customer is not proof
    with pytest.raises(OwnershipNotVerified):
        request_status(DRESS, "someone-else")


def test_withdraw_before_the_goods_are_back_is_recorded() -> None:
    public_id = only_id(JEANS, "withdraw")
    withdraw(JEANS, public_id, ME)
    assert stages(JEANS) == {"return": "request_cancelled"}
    assert events(public_id)[-1] == ("withdrawn", "customer")


def test_withdraw_after_the_goods_are_back_is_refused_and_nothing_changes() -> None:
    public_id = only_id(EARPHONES, "withdraw")
    with pytest.raises(ChangeRefused) as refused:
        withdraw(EARPHONES, public_id, ME)
    assert refused.value.reason == "goods_received"
    assert stages(EARPHONES) == {"return": "request_received"}


def test_a_request_of_another_order_cannot_be_changed() -> None:
    other = only_id(JEANS, "withdraw")
    prove(DRESS, ME)
    with pytest.raises(InvalidRequest):
        withdraw(DRESS, other, ME)  # proved DRESS, names JEANS's return
    assert stages(JEANS) == {"return": "request_awaiting_parcel"}


def test_tracking_number_then_goods_received_opens_the_refund() -> None:
    public_id = only_id(JEANS, "tracking")
    with pytest.raises(InvalidRequest):
        add_tracking(JEANS, public_id, "顺丰 13800138000", ME)
    receipt = add_tracking(JEANS, public_id, "寄了 顺丰sf1409 8765 43211", ME)
    assert receipt.values == {"courier": "顺丰", "tracking_no": "SF1409876543211"}
    assert stages(JEANS) == {"return": "request_parcel_sent"}
    apply_step("receive", public_id)
    assert stages(JEANS) == {"return": "request_received"}
    refund = refund_status(JEANS, ME)
    assert refund is not None and refund.amount == 199  # changed mind: shipping not refunded
    assert refund.due_on is not None and refund.due_on > shop_now().date()
    assert [e for e, _ in events(public_id)] == [
        "opened", "tracking_added", "goods_received", "refund_opened",
    ]  # fmt: skip


def test_a_visit_is_moved_with_notice_and_recorded() -> None:
    public_id = only_id(AIRCON, "reschedule")
    day = shop_now().date() + dt.timedelta(days=9)
    start = dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)
    reschedule_visit(AIRCON, public_id, start, start + dt.timedelta(hours=4), ME)
    (view,) = request_status(AIRCON, ME)
    assert view.values["visit_start"] == start
    assert events(public_id)[-1] == ("rescheduled", "customer")
    # the promised finishing date moves with the visit: the work cannot start before it
    assert view.values["complete_due"] == completion_due(
        day, configured_rules(), configured_calendar()
    )


def test_a_visit_too_close_cannot_be_moved() -> None:
    public_id = only_id(AIRCON, "reschedule")
    soon = shop_now() + dt.timedelta(hours=2)
    with open_repository() as repo:
        repo.find_booking(public_id).slot_start = soon
    with pytest.raises(ChangeRefused) as refused:
        withdraw(AIRCON, public_id, ME)
    assert refused.value.reason == "visit_too_close"


def test_details_are_added_to_an_open_complaint() -> None:
    public_id = only_id(COOKER, "details")
    add_complaint_details(COOKER, public_id, "  箱子里的内胆也有磕痕 ", ME)
    with open_repository() as repo:
        assert repo.find_complaint(public_id).description.endswith("箱子里的内胆也有磕痕")
    assert events(public_id)[-1] == ("details_added", "customer")


def test_tick_acts_once_on_passed_dates(demo_store: str) -> None:
    later = shop_now() + dt.timedelta(days=21)  # every review, repair and reply date passed
    first = run_tick(later)
    assert first.escalated == 1  # the dress return was never reviewed
    assert first.compensated == 1  # the air conditioner's repair is late
    assert first.flagged == 1  # the cooker complaint's reply is due
    again = run_tick(later)
    assert (again.escalated, again.compensated, again.flagged, again.notices) == (0, 0, 0, 0)
    reasons = fetch_rows(demo_store, select(HandoffRequest.reason, HandoffRequest.topic))
    assert reasons == [("review_overdue", "return")]
    once = fetch_rows(demo_store, select(RequestEvent.event).where(RequestEvent.actor == "system"))
    assert sorted(e for (e,) in once) == [
        "late_compensation",
        "opened",
        "reply_due_soon",
        "review_overdue",
    ]  # fmt: skip  (opened: the handoff the escalation queued)


def test_tick_queues_notices_for_conversations_once(demo_store: str) -> None:
    public_id = only_id(JEANS, "tracking")
    with open_repository() as repo:
        repo.find_request(public_id).conversation_id = ME
    for step in ("receive", "pay", "credited"):
        apply_step(step, public_id)
    assert run_tick().notices == 1
    assert run_tick().notices == 0
    rows = fetch_rows(demo_store, select(CustomerNotice.conversation_id, CustomerNotice.kind))
    assert rows == [(ME, "refund_credited")]


# --- the form and its submit action -------------------------------------------------------


def form_tracker(slots: dict[str, Any], text: str = "", intent: str = "inform") -> Tracker:
    message = {"intent": {"name": intent}, "entities": [], "text": text}
    return Tracker(ME, slots, message, [], False, None, {"name": "followup_form"}, "")


async def run(action: Any, tracker: Tracker) -> tuple[list[dict], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return events, [render(m) for m in dispatcher.messages]


def slot(events: list[dict], name: str) -> Any:
    return next(e["value"] for e in reversed(events) if e.get("name") == name)


async def test_status_lists_each_request_with_its_next_date() -> None:
    prove(JACKET, ME)
    slots = {"order_id": JACKET, "verified_order": JACKET, "followup_change": "status"}
    events, said = await run(ActionApplyFollowup(), form_tracker(slots))
    assert "运动外套" in said[1] and "顺丰 SF1409876543210" in said[1]
    assert slot(events, "job_done") is True


async def test_the_only_request_is_picked_and_a_tracking_number_in_the_first_message_kept() -> None:
    prove(JEANS, ME)
    slots = {"order_id": JEANS, "verified_order": JEANS, "followup_change": "tracking"}
    tracker = form_tracker(slots, "亲 退货寄出了 中通 75312345678901 麻烦查收哈")
    validator = ValidateFollowupForm()
    dispatcher = CollectingDispatcher()
    picked = await validator.extract_followup_request(dispatcher, tracker, DOMAIN)
    detail = await validator.extract_followup_detail(dispatcher, tracker, DOMAIN)
    assert picked["followup_request"].startswith("RT")
    assert detail == {"followup_detail": "中通 75312345678901"}


async def test_withdrawing_is_confirmed_and_no_keeps_it() -> None:
    public_id = only_id(DRESS, "withdraw")
    slots = {
        "order_id": DRESS, "verified_order": DRESS, "followup_change": "withdraw",
        "followup_request": public_id, "requested_slot": "followup_detail",
    }  # fmt: skip
    validator = ValidateFollowupForm()
    no = await validator.extract_followup_detail(
        CollectingDispatcher(), form_tracker(slots, "先不撤了", "cancel"), DOMAIN
    )
    assert no == {"followup_detail": "no"}
    _, said = await run(ActionApplyFollowup(), form_tracker({**slots, "followup_detail": "no"}))
    assert public_id in said[0] and stages(DRESS) == {"return": "request_submitted"}
    # 撤销吧 at the confirmation is the yes (the cancel rule runs this action)
    _, said = await run(ActionCancelFollowup(), form_tracker(slots, "撤销吧", "cancel"))
    assert "已为您撤销" in said[0] and stages(DRESS) == {"return": "request_cancelled"}


async def test_a_bare_cancel_with_no_order_says_there_is_nothing_to_cancel() -> None:
    validator = ValidateFollowupForm()
    tracker = form_tracker({"followup_change": "withdraw"}, "算了", "cancel")
    assert await validator.required_slots(["order_id", "phone"], CollectingDispatcher(), tracker,
                                          DOMAIN) == []  # fmt: skip
    _, said = await run(ActionApplyFollowup(), tracker)
    assert said == [render({"response": "utter_nothing_to_cancel"})]


async def test_a_refused_change_explains_and_offers_a_person() -> None:
    public_id = only_id(EARPHONES, "withdraw")
    slots = {
        "order_id": EARPHONES, "verified_order": EARPHONES, "followup_change": "withdraw",
        "followup_request": public_id, "followup_detail": "yes",
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionApplyFollowup().run(dispatcher, form_tracker(slots), DOMAIN)
    (message,) = dispatcher.messages
    assert message["response"] == "utter_change_refused_goods_received"
    assert DOMAIN["responses"][message["response"]][0]["buttons"][0]["payload"] == "/human_handoff"
    assert slot(events, "job_done") is False


async def test_a_withdrawal_that_names_an_application_asks_for_the_order() -> None:
    validator = ValidateFollowupForm()
    tracker = form_tracker({"followup_change": "withdraw"}, "耳机那个退货申请帮我撤了", "cancel")
    slots = await validator.required_slots(
        ["order_id", "phone", "followup_request", "followup_detail"],
        CollectingDispatcher(), tracker, DOMAIN,
    )  # fmt: skip
    assert slots[0] == "order_id"


def test_a_new_visit_time_is_read_in_the_shops_zone_not_the_servers() -> None:
    """下午 is 13:00–18:00 in Shanghai whatever zone the server runs in (CI's is UTC)."""
    from actions.followup import _visit_in

    found = _visit_in("12月10号下午")
    assert isinstance(found, str)
    start = dt.datetime.fromisoformat(found.split("/")[0])
    assert start.astimezone(ZoneInfo("Asia/Shanghai")).hour == 13


def test_a_complaint_a_stranger_filed_on_an_order_is_not_in_its_owners_status() -> None:
    """A complaint may name any order (the team still sees the link); the owner's status
    lists only complaints from conversations that proved the order, or made by the team."""
    from bot.policy import Severity
    from bot.services import open_complaint

    stranger = open_complaint(
        description="快递员态度差", severity=Severity.LOW, order_no=DRESS,
        conversation_id="stranger-conv",
    )  # fmt: skip
    prove(DRESS, ME)
    own = open_complaint(
        description="客服回复太慢", severity=Severity.LOW, order_no=DRESS,
        conversation_id=ME,
    )  # fmt: skip
    listed = {v.public_id for v in request_status(DRESS, ME)}
    assert own.public_id in listed and stranger.public_id not in listed
    assert stages(COOKER)["complaint"] == "complaint_open"  # the demo's, made by the team


async def test_an_application_under_review_asks_for_its_photos_until_they_arrive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The zip of the jacket broke (a quality exchange): no photo yet, so the status gives
    the upload link again; once one arrived, it says so instead."""
    from bot.config import get_settings
    from bot.photos import upload_token
    from bot.services.photos import add_photo
    from tests.photo_samples import phone_jpeg

    secret = "upload-link-secret-" + "f" * 20
    monkeypatch.setenv("UPLOAD_LINK_SECRET", secret)
    get_settings.cache_clear()
    prove(JACKET, ME)
    slots = {"order_id": JACKET, "verified_order": JACKET, "followup_change": "status"}
    _, said = await run(ActionApplyFollowup(), form_tracker(slots))
    [link_line] = [line for line in said if "/upload?t=" in line]
    subject = re.search(r"EX\d{8}-\d{4}", said[1]).group()
    add_photo(upload_token(subject, secret), phone_jpeg(), secret)
    _, said = await run(ActionApplyFollowup(), form_tracker(slots))
    assert not any("/upload?t=" in line for line in said)
    assert any(f"{subject} 已收到您的照片 1 张" in line for line in said)

"""Returns and exchanges on the demo orders: each verdict, confirmation, and the application."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.returns import (
    NO,
    REFUSED,
    YES,
    ActionStartWrongItemReturn,
    ActionSubmitReturn,
    ValidateExchangeForm,
    ValidateReturnForm,
)
from bot.reasons import classify_return_reason
from bot.services import request_status
from bot.services.handling import apply_step
from bot.store.models import AfterSalesRequest, Refund
from tests.actions.conftest import DOMAIN, prove, render

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def started_by(action: str, form: str = "return_form") -> list[dict]:
    """The events of a form that `action` started, as Rasa logs them, a few turns in."""
    return [
        {"event": "action", "name": action},
        {"event": "action", "name": form},
        {"event": "active_loop", "name": form},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "202411150003"},
        {"event": "action", "name": form},
    ]


def form_tracker(form: str, **slots: Any) -> Tracker:
    events = [{"event": "active_loop", "name": form}]
    message = {"intent": {"name": "inform"}, "entities": [], "text": ""}
    return Tracker("conv-r", slots, message, events, False, None, {"name": form}, "")


async def reason(validator, order_no: str, text: str) -> tuple[dict, list[dict]]:
    prove(order_no, "conv-r")
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("return_form", order_id=order_no, verified_order=order_no)
    result = await validator.validate_return_reason(text, dispatcher, tracker, DOMAIN)
    return result, dispatcher.messages


@pytest.mark.parametrize(
    ("order_no", "said", "verdict", "confirm"),
    [
        ("202411150003", "尺码不合适", "utter_policy_no_reason_ok", None),  # T-shirt, day 4
        ("202410010002", "不想要了", "utter_policy_return_window_passed", REFUSED),  # day 41
        ("202411180005", "不想要了", "utter_policy_special_category", REFUSED),  # food
        ("202411180005", "坚果有异味,质量问题", "utter_policy_quality_needs_review", None),
        ("202411100008", "不想要了", "utter_policy_order_closed", REFUSED),  # refunded
        ("202411190010", "拍错了", "utter_refund_only_offer", None),  # not shipped
    ],
)
async def test_each_demo_order_gets_its_verdict(
    order_no: str, said: str, verdict: str, confirm: str | None
) -> None:
    result, messages = await reason(ValidateReturnForm(), order_no, said)
    assert messages[0]["response"] == verdict
    assert result.get("return_confirm") == confirm
    assert "{" not in render(messages[0])  # every placeholder filled


async def test_unclear_reason_is_asked_again() -> None:
    result, messages = await reason(ValidateReturnForm(), "202411150003", "啊这")
    assert result == {"return_reason": None}
    assert messages[0]["response"] == "utter_invalid_return_reason"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("发错尺码了", "wrong_item"), ("快递压坏了", "transit_damage"), ("用了两天就坏了", "quality"),
     ("颜色不喜欢", "no_reason")],
)  # fmt: skip
def test_reason_classification(text: str, reason: str) -> None:
    found = classify_return_reason(text)
    assert found is not None and found.value == reason


@pytest.mark.parametrize(
    ("text", "value"),
    [("确认", YES), ("好的提交吧", YES), ("先不了", NO), ("嗯?", YES), ("啥", None)],
)
async def test_confirmation(text: str, value: str | None) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateReturnForm().validate_return_confirm(
        text, dispatcher, form_tracker("return_form"), DOMAIN
    )
    assert result["return_confirm"] == value


def rows(url: str, model, order_no: str) -> list:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        from bot.store.models import Order

        order_id = conn.execute(select(Order.id).where(Order.order_no == order_no)).scalar_one()
        found = conn.execute(select(model).where(model.order_id == order_id)).all()
    engine.dispose()
    return found


async def submit(form: str, order_no: str, reason_value: str, confirm: str) -> tuple[list, dict]:
    prove(order_no, "conv-r")
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(
        form, order_id=order_no, verified_order=order_no, return_reason=reason_value,
        return_confirm=confirm,
    )  # fmt: skip
    events = await ActionSubmitReturn().run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_confirmed_return_opens_one_application(store: str) -> None:
    messages, slots = await submit("return_form", "202411150003", "no_reason", YES)
    text = render(messages[0])
    assert messages[0]["response"] == "utter_return_created"
    assert "RT" in text and "退回运费：由您承担" in text and "129.00元" in text
    assert slots["job_done"] is True and slots["topic"] == "return"
    requests = rows(store, AfterSalesRequest, "202411150003")
    assert len(requests) == 1 and requests[0].kind == "return"


async def test_quality_exchange_merchant_pays(store: str) -> None:
    messages, slots = await submit("exchange_form", "202411150003", "quality", YES)
    assert messages[0]["response"] == "utter_exchange_created"
    assert "寄回运费：由商家承担" in render(messages[0]) and slots["topic"] == "exchange"


async def test_unshipped_order_becomes_refund_only_with_its_refund(store: str) -> None:
    messages, _ = await submit("return_form", "202411190010", "no_reason", YES)
    assert messages[0]["response"] == "utter_refund_only_created"
    assert "199.00元" in render(messages[0])
    assert len(rows(store, Refund, "202411190010")) == 1


async def test_refused_or_declined_opens_nothing(store: str) -> None:
    messages, slots = await submit("return_form", "202410010002", "no_reason", REFUSED)
    # the refusal itself carried the next steps: nothing more is said
    assert messages == [] and slots["job_done"] is False
    messages, _ = await submit("return_form", "202411150003", "no_reason", NO)
    assert messages[0]["response"] == "utter_return_not_submitted"
    assert rows(store, AfterSalesRequest, "202411150003") == []


async def test_exchange_validator_does_not_offer_refund_only() -> None:
    result, messages = await reason(ValidateExchangeForm(), "202411190010", "拍错了")
    assert messages[0]["response"] == "utter_policy_not_shipped_refund_only"
    assert result["return_confirm"] == REFUSED


async def test_a_wrong_item_is_apologised_for_and_its_reason_not_asked_again() -> None:
    """寄错了 starts the return with the reason known: once the order is proved, the shop's
    verdict (it pays the shipping) follows without asking why."""
    dispatcher = CollectingDispatcher()
    started = await ActionStartWrongItemReturn().run(
        dispatcher, form_tracker("return_form"), DOMAIN
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_wrong_item_sorry"]
    [reported] = [e["value"] for e in started if e.get("name") == "return_reported_reason"]
    prove("202411150003", "conv-r")
    dispatcher = CollectingDispatcher()
    proved = form_tracker(
        "return_form", order_id="202411150003", verified_order="202411150003",
        return_reported_reason=reported, requested_slot="phone",
    )  # fmt: skip
    proved.events[:] = started_by("action_start_wrong_item_return")
    events = await ValidateReturnForm().get_validation_events(dispatcher, proved, DOMAIN)
    assert {
        "event": "slot",
        "name": "return_reason",
        "value": "wrong_item",
        "timestamp": None,
    } in events
    [verdict] = dispatcher.messages
    assert "商家" in render(verdict) and "{" not in render(verdict)


async def test_a_reported_reason_waits_until_the_order_is_proved() -> None:
    dispatcher = CollectingDispatcher()
    unproved = form_tracker("return_form", order_id="202411150003", return_reported_reason="发错货")
    events = await ValidateReturnForm().get_validation_events(dispatcher, unproved, DOMAIN)
    assert not any(e.get("name") == "return_reason" for e in events) and dispatcher.messages == []


async def test_the_reported_reason_survives_the_order_number() -> None:
    """Giving (or correcting) the order clears the answers about an order, not 寄错了."""
    tracker = form_tracker(
        "return_form", return_reported_reason="发错货", requested_slot="order_id"
    )
    result = await ValidateReturnForm().validate_order_id(
        "202411150003", CollectingDispatcher(), tracker, DOMAIN
    )
    assert result["order_id"] == "202411150003" and "return_reported_reason" not in result
    assert result["return_reason"] is None  # an answer about the previous order is cleared


async def test_a_reason_reported_for_a_return_left_earlier_does_not_answer_a_new_one() -> None:
    """寄错了, then a refund question took over; a later 我要退货 asks its own reason."""
    prove("202411150003", "conv-r")
    dispatcher = CollectingDispatcher()
    later = form_tracker(
        "return_form", order_id="202411150003", verified_order="202411150003",
        return_reported_reason="发错货", requested_slot="phone",
    )  # fmt: skip
    later.events[:] = [
        {"event": "action", "name": "action_start_wrong_item_return"},
        {"event": "action", "name": "return_form"},
        {"event": "active_loop", "name": "return_form"},
        {"event": "action", "name": "refund_status_form"},
        {"event": "active_loop", "name": "refund_status_form"},
        {"event": "active_loop", "name": None},
        {"event": "action", "name": "action_listen"},
        *started_by("action_listen")[1:],
    ]
    events = await ValidateReturnForm().get_validation_events(dispatcher, later, DOMAIN)
    assert not any(e.get("name") == "return_reason" for e in events) and dispatcher.messages == []


async def answer_cause(order_no: str, answer: str) -> tuple[dict, list[dict]]:
    """The answer to how a quality problem happened."""
    prove(order_no, "conv-r")
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(
        "return_form", order_id=order_no, verified_order=order_no, return_reason="quality",
    )  # fmt: skip
    result = await ValidateReturnForm().validate_damage_cause(answer, dispatcher, tracker, DOMAIN)
    return result, dispatcher.messages


async def test_a_quality_problem_asks_how_it_happened_before_the_verdict() -> None:
    result, messages = await reason(ValidateReturnForm(), "202411150003", "洗了一次领口就开线了")
    assert result["return_reason"] == "quality" and result["damage_cause"] is None
    assert result["return_description"] == "洗了一次领口就开线了" and messages == []


async def test_damage_the_buyer_caused_is_refused_a_quality_return() -> None:
    result, messages = await answer_cause("202411150003", "被狗咬坏的")
    assert result == {"damage_cause": "human", "return_confirm": REFUSED}
    assert [m["response"] for m in messages] == ["utter_policy_buyer_damage"]


async def test_a_fault_in_normal_use_keeps_the_quality_return() -> None:
    result, messages = await answer_cause("202411150003", "正常穿的，啥也没干")
    assert result == {"damage_cause": "normal"}
    assert messages[0]["response"] == "utter_policy_quality_ok"


async def test_a_no_reason_return_is_not_asked_how_anything_happened() -> None:
    result, _ = await reason(ValidateReturnForm(), "202411150003", "尺码不合适")
    assert result["damage_cause"] == "-"


async def test_the_customers_words_and_the_cause_are_kept_on_the_request(store: str) -> None:
    prove("202411150003", "conv-r")
    tracker = form_tracker(
        "return_form", order_id="202411150003", verified_order="202411150003",
        return_reason="quality", return_confirm=YES, damage_cause="unsure",
        return_description="领口开线了",
    )  # fmt: skip
    await ActionSubmitReturn().run(CollectingDispatcher(), tracker, DOMAIN)
    [request] = rows(store, AfterSalesRequest, "202411150003")
    assert (request.description, request.damage_cause) == ("领口开线了", "unsure")


SHIPPED = "202411260042"  # 陈静's thermal underwear, on its way


async def test_a_parcel_not_yet_signed_for_can_be_refunded_not_exchanged() -> None:
    result, messages = await reason(ValidateReturnForm(), SHIPPED, "不想要了")
    assert messages[0]["response"] == "utter_policy_shipped_refund_with_return"
    assert "拒收" in render(messages[0]) and "{" not in render(messages[0])
    assert result.get("return_confirm") is None  # the confirmation is asked
    result, messages = await reason(ValidateExchangeForm(), SHIPPED, "尺码不合适")
    assert messages[0]["response"] == "utter_policy_not_delivered"
    assert result["return_confirm"] == REFUSED


async def test_a_refused_parcel_needs_no_address_and_is_refunded_when_back(store: str) -> None:
    messages, slots = await submit("return_form", SHIPPED, "no_reason", YES)
    assert messages[0]["response"] == "utter_return_intercept_created"
    text = render(messages[0])
    assert "拒收" in text and "159.00元" in text and "售后中心" not in text
    [request] = rows(store, AfterSalesRequest, SHIPPED)
    assert request.return_address is None and request.kind == "return"
    apply_step("approve", request.public_id)
    [view] = request_status(SHIPPED, "conv-r")
    assert view.stage == "request_intercepting"
    apply_step("receive", request.public_id)  # the parcel is back: its refund is owed
    assert len(rows(store, Refund, SHIPPED)) == 1


async def test_an_exchange_forged_past_the_refusal_opens_nothing(store: str) -> None:
    messages, _ = await submit("exchange_form", SHIPPED, "no_reason", YES)
    assert messages[0]["response"] == "utter_return_unavailable"
    assert rows(store, AfterSalesRequest, SHIPPED) == []


SECRET = "upload-link-secret-" + "a" * 20


def on_channel(tracker: Tracker, channel: str) -> Tracker:
    """The same tracker, its customer writing through `channel`."""
    tracker.events.append({"event": "user", "text": "是的", "input_channel": channel})
    return tracker


async def submit_on(channel: str, reason_value: str, order_no: str = "202411150003") -> list:
    prove(order_no, "conv-r")
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(
        "return_form", order_id=order_no, verified_order=order_no, return_reason=reason_value,
        return_confirm=YES,
    )  # fmt: skip
    await ActionSubmitReturn().run(dispatcher, on_channel(tracker, channel), DOMAIN)
    return dispatcher.messages


@pytest.fixture
def upload_links(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import get_settings

    monkeypatch.setenv("UPLOAD_LINK_SECRET", SECRET)
    monkeypatch.setenv("PUBLIC_WEB_URL", "https://shop.example.com/")
    get_settings.cache_clear()


@pytest.mark.usefixtures("upload_links")
async def test_a_quality_return_asks_for_photos_with_a_link_to_that_application() -> None:
    from bot.photos import subject_of_link

    messages = await submit_on("wecom", "quality")
    created, asked = messages[0], messages[-1]
    assert asked["response"] == "utter_photo_request_link"
    assert asked["upload_link"].startswith("https://shop.example.com/upload?t=")
    token = asked["upload_link"].split("t=", 1)[1]
    assert subject_of_link(token, SECRET) == created["request_id"]
    assert "7天内有效" in render(asked)


@pytest.mark.usefixtures("upload_links")
async def test_the_web_widget_gets_an_upload_button_instead_of_a_link() -> None:
    messages = await submit_on("web", "wrong_item")
    assert [m.get("response") for m in messages[-2:]] == ["utter_photo_request_widget", None]
    assert isinstance(messages[-1]["custom"]["photo_upload"]["token"], str)
    assert "upload?t=" not in render(messages[-2])


@pytest.mark.usefixtures("upload_links")
async def test_a_change_of_mind_needs_no_photos() -> None:
    messages = await submit_on("rest", "no_reason")
    assert not any("photo" in str(m.get("response")) for m in messages)


async def test_without_links_the_customer_is_asked_to_keep_the_photos(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UPLOAD_LINK_SECRET", raising=False)
    messages = await submit_on("rest", "quality")
    assert messages[-1]["response"] == "utter_photo_keep_for_review"


async def test_an_item_with_an_open_application_is_shown_it_as_soon_as_it_is_proved() -> None:
    """赵敏's return of 202411210031 is under review: a second 我要退货 shows it at once."""
    prove("202411210031", "conv-r")
    dispatcher = CollectingDispatcher()
    proved = form_tracker(
        "exchange_form", order_id="202411210031", verified_order="202411210031",
        requested_slot="phone",
    )  # fmt: skip
    validator = ValidateExchangeForm()
    events = await validator.get_validation_events(dispatcher, proved, DOMAIN)
    said = [m["response"] for m in dispatcher.messages]
    assert said[0] == "utter_return_already_open" and said[1].startswith("utter_status_")
    found = next(e["value"] for e in events if e.get("name") == "already_open")
    assert found.startswith("RT")
    proved.add_slots(events)
    asked = await validator.required_slots(
        ["order_id", "phone", "return_reason", "return_confirm"], dispatcher, proved, DOMAIN
    )
    assert asked == []
    submitted = CollectingDispatcher()
    ended = await ActionSubmitReturn().run(submitted, proved, DOMAIN)
    assert submitted.messages == [] and {"event": "slot", "name": "job_done", "value": False,
        "timestamp": None} in ended  # fmt: skip

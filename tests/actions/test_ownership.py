"""Attacks on ownership, tried as an attacker would: another customer's order named mid-form,
guessing the phone from many sender ids, and a success elsewhere to reset the count.

Each of these showed another customer's data or allowed unlimited guesses before the
lockout and the proofs moved into the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import LOCKED
from actions.repairs import ValidateRepairForm
from actions.returns import ValidateReturnForm
from bot.policy import ReturnReason
from bot.policy import ownership as limits
from bot.services import assess_repair, assess_return, order_lines, refund_status
from bot.services import verification as v
from bot.services.verification import Verification, verify_owner
from bot.store import OwnershipNotVerified
from tests.actions.conftest import DOMAIN, prove

MINE = "202411150003"  # 张伟, 138****8000
THEIRS = "202411180005"  # 李娜, 139****9000
THEIR_WASHER = "202409010033"  # 王强, 137****7000, in warranty
ME = "attacker-conv"


@pytest.fixture(autouse=True)
def demo_orders(demo_store: str) -> None:
    """Every test here runs on the demo orders."""


def form_tracker(slots: dict[str, Any], form: str, text: str = "", entities: list | None = None):
    message = {"intent": {"name": "inform"}, "entities": entities or [], "text": text}
    events = [{"event": "active_loop", "name": form}]
    return Tracker(ME, slots, message, events, False, None, {"name": form}, "")


async def run_validation(
    action: Any, slot: str, value: str, tracker: Tracker
) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    result = await getattr(action, f"validate_{slot}")(value, dispatcher, tracker, DOMAIN)
    return result, [m["response"] for m in dispatcher.messages]


# --- A: another customer's order named after proving your own ---------------------------


async def test_naming_another_order_midway_asks_for_its_proof_again() -> None:
    prove(MINE, ME)
    slots = {"order_id": THEIRS, "verified_order": MINE, "phone": "****8000",
             "return_reason": "no_reason", "order_item": None}  # fmt: skip
    result, said = await run_validation(
        ValidateReturnForm(), "order_id", THEIRS, form_tracker(slots, "return_form")
    )
    assert result["order_id"] == THEIRS
    assert result["phone"] is None, "the proof of one order must not cover another"
    assert result["return_reason"] is None and result["return_confirm"] is None
    assert "verified_order" not in result and said == []


@pytest.mark.parametrize(
    ("form", "validator", "slot", "answer"),
    [("return_form", ValidateReturnForm(), "return_reason", "不想要了"),
     ("repair_form", ValidateRepairForm(), "repair_fault", "不脱水了")],
)  # fmt: skip
async def test_no_verdict_or_dates_for_an_order_not_proved(
    form: str, validator: Any, slot: str, answer: str
) -> None:
    prove(MINE, ME)
    tracker = form_tracker({"order_id": THEIR_WASHER, "verified_order": MINE}, form)
    result, said = await run_validation(validator, slot, answer, tracker)
    assert result == {slot: None} and said == []


@pytest.mark.parametrize(
    "look_up",
    [lambda: order_lines(THEIRS, ME),
     lambda: assess_return(THEIRS, ReturnReason.NO_REASON, ME),
     lambda: assess_repair(THEIR_WASHER, ME),
     lambda: refund_status(THEIRS, ME)],
)  # fmt: skip
def test_every_look_up_of_details_needs_proof_of_that_order(look_up: Any) -> None:
    prove(MINE, ME)  # proving your own order proves nothing about theirs
    with pytest.raises(OwnershipNotVerified):
        look_up()


def test_a_proof_is_for_one_conversation_and_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    prove(MINE, ME)
    assert order_lines(MINE, ME)
    with pytest.raises(OwnershipNotVerified):
        order_lines(MINE, "someone-else")
    later = dt.datetime.now(dt.timezone.utc) + limits.PROOF_VALID_FOR + dt.timedelta(minutes=1)
    monkeypatch.setattr(v, "shop_now", lambda: later)
    with pytest.raises(OwnershipNotVerified):
        order_lines(MINE, ME)


# --- B: guessing the phone -----------------------------------------------------------------


def test_new_sender_ids_buy_no_more_last4_guesses() -> None:
    wrong = ["0000", "1111", "2222"]
    for n, guess in enumerate(wrong):
        result = verify_owner(THEIRS, guess, f"sender-{n}")
        assert result.outcome is Verification.MISMATCH
    # A fresh conversation with the right last 4 is not even compared: last-4 is spent.
    result = verify_owner(THEIRS, "9000", "sender-fresh")
    assert result.outcome is Verification.FULL_PHONE_NEEDED
    # The owner can still prove it with the whole number.
    assert verify_owner(THEIRS, "13900139000", "owner").outcome is Verification.VERIFIED


def test_the_order_locks_for_everyone_and_a_success_elsewhere_resets_nothing() -> None:
    for n in range(limits.ORDER_MAX_FAILURES - 1):
        assert verify_owner(THEIRS, f"1390000{n:04d}", f"s{n}").outcome is Verification.MISMATCH
        prove(MINE, f"s{n}")  # the attacker proves their own order in between
    last = verify_owner(THEIRS, "13900001111", "s-last")
    assert last.outcome is Verification.LOCKED
    assert verify_owner(THEIRS, "13900139000", "new-sender").outcome is Verification.LOCKED


def test_one_conversation_cannot_spray_guesses_over_many_orders() -> None:
    orders = ["202411150003", "202410010002", "202411180005", "202411020007", "202411100008"]
    outcomes = [
        verify_owner(order, f"{n}{n}{n}{n}", ME).outcome for n in range(1, 4) for order in orders
    ]
    assert outcomes[: limits.CONVERSATION_MAX_FAILURES] == [Verification.MISMATCH] * (
        limits.CONVERSATION_MAX_FAILURES - 1
    ) + [Verification.LOCKED]
    assert set(outcomes[limits.CONVERSATION_MAX_FAILURES :]) == {Verification.LOCKED}


def test_the_lock_lifts_when_the_failures_age_out(monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(limits.ORDER_MAX_FAILURES):
        verify_owner(THEIRS, f"1390000{n:04d}", f"s{n}")
    assert verify_owner(THEIRS, "13900139000", "owner").outcome is Verification.LOCKED
    later = dt.datetime.now(dt.timezone.utc) + limits.FAILURE_WINDOW + dt.timedelta(minutes=1)
    monkeypatch.setattr(v, "shop_now", lambda: later)
    assert verify_owner(THEIRS, "13900139000", "owner").outcome is Verification.VERIFIED


async def test_the_form_says_locked_and_asks_nothing_more() -> None:
    for n in range(limits.ORDER_MAX_FAILURES):
        verify_owner(THEIRS, f"1390000{n:04d}", f"s{n}")
    validator = ValidateReturnForm()
    result, said = await run_validation(
        validator, "order_id", THEIRS, form_tracker({}, "return_form")
    )
    assert result["phone"] == LOCKED and said == ["utter_verification_locked"]
    locked = form_tracker({"order_id": THEIRS, "phone": LOCKED}, "return_form")
    required = DOMAIN["forms"]["return_form"]["required_slots"]
    assert await validator.required_slots(required, CollectingDispatcher(), locked, DOMAIN) == []


async def test_the_phone_answer_tells_how_many_tries_are_left() -> None:
    tracker = form_tracker({"order_id": THEIRS}, "return_form")
    validator = ValidateReturnForm()
    said = [(await run_validation(validator, "phone", "0000", tracker))[1] for _ in range(4)]
    assert said == [
        ["utter_phone_mismatch"],
        ["utter_phone_mismatch"],
        ["utter_phone_mismatch_full_only"],
        ["utter_full_phone_needed"],
    ]
    result, _ = await run_validation(validator, "phone", "139 0013 9000", tracker)
    assert result == {"phone": "139****9000", "verified_order": THEIRS}


# --- one application per item ---------------------------------------------------------------


async def test_a_second_application_for_the_same_item_shows_the_first() -> None:
    from actions.returns import ActionSubmitReturn

    toothbrush = "202411190010"  # paid, not shipped: a refund-only application with its money
    prove(toothbrush, ME)
    slots = {"order_id": toothbrush, "verified_order": toothbrush,
             "return_reason": "no_reason", "return_confirm": "yes"}  # fmt: skip
    track = Tracker(ME, slots, {"intent": {"name": "affirm"}}, [], False, None, {}, "")
    first = CollectingDispatcher()
    await ActionSubmitReturn().run(first, track, DOMAIN)
    assert first.messages[0]["response"] == "utter_refund_only_created"
    again = CollectingDispatcher()
    events = await ActionSubmitReturn().run(again, track, DOMAIN)
    assert [m["response"] for m in again.messages] == [
        "utter_return_already_open",
        "utter_status_refund_only_submitted",  # where the first one stands
    ]
    assert again.messages[0]["request_id"] == first.messages[0]["request_id"]
    assert again.messages[1]["request_id"] == first.messages[0]["request_id"]
    assert {"event": "slot", "name": "job_done", "value": False, "timestamp": None} in events


@pytest.mark.parametrize("said", ["手机号换了，原来的号不记得了", "不记得", "忘了"])
async def test_a_forgotten_phone_gets_a_person_on_offer(said: str) -> None:
    tracker = form_tracker({"order_id": THEIRS}, "return_form", text=said)
    result, responses = await run_validation(ValidateReturnForm(), "phone", said, tracker)
    assert result == {"phone": None} and responses == ["utter_phone_forgotten"]


async def test_a_phone_answer_without_a_valid_order_is_not_a_crash() -> None:
    tracker = form_tracker({"order_id": None}, "return_form", text="8000")
    result, responses = await run_validation(ValidateReturnForm(), "phone", "8000", tracker)
    assert result == {"phone": None} and responses == []

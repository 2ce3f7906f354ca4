"""Identity before details: the order number, proof of ownership, then which item, for any
job's form.

Subclasses name their form; this base is abstract so the SDK does not register it.
Proof is a sign-in token the channel passed (for the customer's own orders) or the order's
phone. Failed attempts and the lockout live in the store (`bot.services.verification`), and
the services refuse an order's details to a conversation that has not proved that order, so
the `verified_order` slot only saves the customer a second question.
The phone number itself is never kept: once checked, the slot holds a masked form (or
'locked' / 'signed in').
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.guard import GuardedAction, GuardedValidation
from actions.job_slots import form_slots
from actions.presentation import item_buttons, order_buttons
from bot.customer_tokens import verified_customer
from bot.identifiers import find_phone, mask_proof
from bot.nlp.normalise import normalise
from bot.policy import lock_hours
from bot.services import (
    OrderCheck,
    OrderLine,
    Verification,
    check_order,
    lock_state,
    order_lines,
    prove_by_sign_in,
    recent_orders,
    verify_owner,
)

LOCKED = "locked"
SIGNED_IN = "signed in"  # phone slot when the channel's sign-in token proved ownership
_LAST4 = re.compile(r"(?<!\d)\d{4}(?!\d)")
_ORDINAL = re.compile(r"^(?:第)?([1-9一二三四五六七八九])(?:个|件|样)?$")
_CHINESE_DIGITS = "一二三四五六七八九"
# "I don't remember it / changed my number": no amount of asking again helps; a person can.
_FORGOT = re.compile(
    r"忘|不记得|记不清|想不起|不知道|换号|换了号|号码换了|换手机号|手机号换了|停机|不用了那个号"
)
LOCK_VALUES = {"lock_hours": lock_hours()}
MISMATCH_RESPONSES = {False: "utter_phone_mismatch", True: "utter_phone_mismatch_full_only"}


# What the customer said about the request itself (寄错了; which change they came for), not
# about an order: kept when the order changes, while the answers about the other order are cleared.
ABOUT_THE_REQUEST = frozenset({"return_reported_reason", "followup_change"})


def signed_in_customer(tracker: Tracker) -> str | None:
    """The customer id of a valid sign-in token in this message's channel metadata."""
    metadata = tracker.latest_message.get("metadata") or {}
    return verified_customer(metadata.get("customer_token")) if isinstance(metadata, dict) else None


def chosen_item(tracker: Tracker) -> int | None:
    """The item picked in this form, or None when the order has only one."""
    value = tracker.get_slot("order_item")
    return int(value) if value and str(value).isdigit() else None


def match_item(text: str, lines: list[OrderLine], products: list[str]) -> OrderLine | None:
    """The line a customer means by '2', '第二件', '围巾' or a product the NLU recognised."""
    text = normalise(text).strip()
    ordinal = _ORDINAL.match(text)
    if ordinal:
        digit = ordinal.group(1)
        index = int(digit) if digit.isdigit() else _CHINESE_DIGITS.index(digit) + 1
        return lines[index - 1] if index <= len(lines) else None
    named = [
        line
        for line in lines
        if line.product in products or line.product in text or (text and text in line.product)
    ]
    return named[0] if len(named) == 1 else None


def _proof_from(tracker: Tracker, text: str) -> str:
    """The phone entity if the NLU found one, else a phone written any way in the text
    (139.0013.9000), else four digits in the text, else the text."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "phone":
            return str(entity["value"])
    phone = find_phone(text)
    if phone:
        return phone
    last4 = _LAST4.findall(text)
    return last4[-1] if len(last4) == 1 else text


def is_verified(tracker: Tracker) -> bool:
    """True if the form's order is the one this conversation proved it owns."""
    order = tracker.get_slot("order_id")
    return bool(order) and order == tracker.get_slot("verified_order")


class OrderOwnershipValidation(GuardedValidation, ABC):
    """validate_order_id, validate_phone and validate_order_item for forms that show an
    order's details."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form>."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Nothing more once the order is locked; no second proof for an order proved in
        this conversation; no question about which item for an order of one."""
        if tracker.get_slot("phone") == LOCKED:
            return []
        slots = list(domain_slots)
        verified = is_verified(tracker)
        if verified:
            slots.remove("phone")
        if "order_item" in slots and not tracker.get_slot("order_item") and verified:
            # Until ownership is proved the phone is asked first, so the items need no look-up.
            lines = await asyncio.to_thread(
                order_lines, tracker.get_slot("order_id"), tracker.sender_id
            )
            if len(lines) <= 1:
                slots.remove("order_item")
        return slots

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """A well-formed, existing order that is not locked. Naming another order midway
        starts the form again after the order number: its proof and answers were for the
        other order."""
        check, order_no = await asyncio.to_thread(check_order, str(value))
        if check is OrderCheck.MALFORMED:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        if check is OrderCheck.NOT_FOUND:
            dispatcher.utter_message(response="utter_order_not_found")
            return {"order_id": None}
        result: dict[str, Any] = {"order_id": order_no}
        if order_no != tracker.get_slot("verified_order"):
            slots = form_slots(domain, self.form_name())
            result.update({slot: None for slot in slots if slot not in ABOUT_THE_REQUEST})
            result["order_id"] = order_no
        assert order_no is not None  # check_order names every order it found
        # A signed-in customer's own order needs no phone; anyone else's still does.
        customer = signed_in_customer(tracker)
        if customer is not None:
            mine = await asyncio.to_thread(prove_by_sign_in, order_no, customer, tracker.sender_id)
            if mine:
                return {**result, "phone": SIGNED_IN, "verified_order": order_no}
        if order_no != tracker.get_slot("verified_order"):
            state = await asyncio.to_thread(lock_state, order_no, tracker.sender_id)
            if state.locked:
                dispatcher.utter_message(response="utter_verification_locked", **LOCK_VALUES)
                return {**result, "phone": LOCKED}
        return result

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """The order's phone (or its last 4 digits); the store counts the misses."""
        order_no = tracker.get_slot("order_id")
        if not order_no:  # the order number given with it was not valid: it is asked first
            return {"phone": None}
        proof = _proof_from(tracker, str(value))
        result = await asyncio.to_thread(verify_owner, order_no, proof, tracker.sender_id)
        if result.outcome is Verification.VERIFIED:
            return {"phone": mask_proof(proof), "verified_order": order_no}
        if result.outcome is Verification.LOCKED:
            dispatcher.utter_message(response="utter_verification_locked", **LOCK_VALUES)
            return {"phone": LOCKED}
        if result.outcome is Verification.INVALID and _FORGOT.search(normalise(str(value))):
            dispatcher.utter_message(response="utter_phone_forgotten")
        elif result.outcome is Verification.INVALID:
            dispatcher.utter_message(response="utter_invalid_phone")
        elif result.outcome is Verification.FULL_PHONE_NEEDED:
            dispatcher.utter_message(
                response="utter_full_phone_needed", attempts_left=result.attempts_left
            )
        else:
            dispatcher.utter_message(
                response=MISMATCH_RESPONSES[result.full_phone_only],
                attempts_left=result.attempts_left,
            )
        return {"phone": None}

    async def validate_order_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """One of the verified order's items, by number or by name."""
        if not is_verified(tracker):
            return {"order_item": None}
        lines = await asyncio.to_thread(
            order_lines, tracker.get_slot("order_id"), tracker.sender_id
        )
        products = [
            str(e["value"])
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "product"
        ]
        line = match_item(str(value), lines, products)
        if line is None:
            dispatcher.utter_message(response="utter_invalid_order_item")
            return {"order_item": None}
        return {"order_item": str(line.item_id)}


class ActionAskOrderId(GuardedAction):
    """Ask for the order number; a signed-in customer also gets their recent orders to tap."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        customer = signed_in_customer(tracker)
        orders = await asyncio.to_thread(recent_orders, customer) if customer else []
        if not orders:
            dispatcher.utter_message(response="utter_ask_order_id")
            return []
        dispatcher.utter_message(
            response="utter_ask_order_id_signed_in", buttons=order_buttons(orders)
        )
        return []


class ActionAskPhone(GuardedAction):
    """Ask for the proof: the phone or its last 4 digits, or only the full phone once the
    order's last-4 tries are used up."""

    def name(self) -> str:
        return "action_ask_phone"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        state = await asyncio.to_thread(lock_state, tracker.get_slot("order_id"), tracker.sender_id)
        if state.full_phone_only:
            dispatcher.utter_message(response="utter_ask_full_phone")
        else:
            dispatcher.utter_message(response="utter_ask_phone")
        return []


class ActionAskOrderItem(GuardedAction):
    """Ask which item of a verified order the customer means, one button per item."""

    def name(self) -> str:
        return "action_ask_order_item"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lines = await asyncio.to_thread(
            order_lines, tracker.get_slot("order_id"), tracker.sender_id
        )
        dispatcher.utter_message(
            response="utter_ask_order_item", count=len(lines), buttons=item_buttons(lines)
        )
        return []

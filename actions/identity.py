"""Identity before details: the order number, proof of ownership, then which item, for any
job's form.

Subclasses name their form; this base is abstract so the SDK does not register it.
Proof is a sign-in token the channel passed (for the customer's own orders) or the order's
phone. Three wrong phones lock that order for the conversation. The phone number itself is
never kept: once checked, the slot holds a masked form (or 'locked' / 'signed in').
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot.customer_tokens import verified_customer
from bot.identifiers import mask_phone
from bot.nlp.normalise import normalise
from bot.services import (
    MAX_VERIFY_ATTEMPTS,
    OrderCheck,
    OrderLine,
    Verification,
    check_order,
    order_lines,
    owned_by,
    recent_orders,
    verify_owner,
)

LOCKED = "locked"
SIGNED_IN = "signed in"  # phone slot when the channel's sign-in token proved ownership
_LAST4 = re.compile(r"(?<!\d)\d{4}(?!\d)")
_ORDINAL = re.compile(r"^(?:第)?([1-9一二三四五六七八九])(?:个|件|样)?$")
_CHINESE_DIGITS = "一二三四五六七八九"


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
    """The phone entity if the NLU found one, else four digits in the text, else the text."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "phone":
            return str(entity["value"])
    last4 = _LAST4.findall(text)
    return last4[-1] if len(last4) == 1 else text


class OrderOwnershipValidation(FormValidationAction, ABC):
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
        """An order already verified in this conversation needs no second proof, and an
        order of one item needs no question about which."""
        slots = list(domain_slots)
        verified = is_verified(tracker)
        if verified:
            slots.remove("phone")
        if "order_item" in slots and not tracker.get_slot("order_item"):
            # Until ownership is proved the phone is asked first, so the items need no look-up.
            locked = tracker.get_slot("phone") == LOCKED
            if locked or (
                verified
                and len(await asyncio.to_thread(order_lines, tracker.get_slot("order_id"))) <= 1
            ):
                slots.remove("order_item")
        return slots

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """A well-formed, existing order that is not locked."""
        check, order_no = await asyncio.to_thread(check_order, str(value))
        if check is OrderCheck.MALFORMED:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        if check is OrderCheck.NOT_FOUND:
            dispatcher.utter_message(response="utter_order_not_found")
            return {"order_id": None}
        if order_no in (tracker.get_slot("locked_orders") or []):
            dispatcher.utter_message(response="utter_verification_locked")
            return {"order_id": order_no, "phone": LOCKED}
        # A signed-in customer's own order needs no phone; anyone else's still does.
        customer = signed_in_customer(tracker)
        if customer and await asyncio.to_thread(owned_by, order_no, customer):
            return {
                "order_id": order_no, "order_item": None, "phone": SIGNED_IN,
                "verified_order": order_no,
            }  # fmt: skip
        # The failure budget is the conversation's, not the order's: switching order numbers
        # must not buy more guesses.
        return {"order_id": order_no, "order_item": None}

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """The order's phone (or its last 4 digits); the third miss locks the order."""
        order_no = tracker.get_slot("order_id")
        proof = _proof_from(tracker, str(value))
        result = await asyncio.to_thread(verify_owner, order_no, proof)
        if result is Verification.INVALID:
            dispatcher.utter_message(response="utter_invalid_phone")
            return {"phone": None}
        if result is Verification.VERIFIED:
            masked = mask_phone(proof) if len(proof) == 11 else f"****{proof}"
            return {"phone": masked, "verified_order": order_no, "verify_attempts": 0}
        attempts = int(tracker.get_slot("verify_attempts") or 0) + 1
        if attempts >= MAX_VERIFY_ATTEMPTS:
            dispatcher.utter_message(response="utter_verification_locked")
            locked = [*(tracker.get_slot("locked_orders") or []), order_no]
            return {"phone": LOCKED, "verify_attempts": attempts, "locked_orders": locked}
        dispatcher.utter_message(
            response="utter_phone_mismatch", attempts_left=MAX_VERIFY_ATTEMPTS - attempts
        )
        return {"phone": None, "verify_attempts": attempts}

    async def validate_order_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """One of the verified order's items, by number or by name."""
        lines = await asyncio.to_thread(order_lines, tracker.get_slot("order_id"))
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


class ActionAskOrderId(Action):
    """Ask for the order number; a signed-in customer also gets their recent orders to tap."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        customer = signed_in_customer(tracker)
        orders = await asyncio.to_thread(recent_orders, customer) if customer else []
        if not orders:
            dispatcher.utter_message(response="utter_ask_order_id")
            return []
        buttons = [
            {
                "title": f"{o.product}（{o.paid_on:%m月%d日}下单）",
                "payload": f'/inform{{"order_id":"{o.order_no}"}}',
            }
            for o in orders
        ]
        dispatcher.utter_message(response="utter_ask_order_id_signed_in", buttons=buttons)
        return []


class ActionAskOrderItem(Action):
    """Ask which item of a verified order the customer means, one button per item."""

    def name(self) -> str:
        return "action_ask_order_item"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lines = await asyncio.to_thread(order_lines, tracker.get_slot("order_id"))
        buttons = [
            {"title": f"{n}. {line.product}", "payload": str(n)}
            for n, line in enumerate(lines, start=1)
        ]
        dispatcher.utter_message(response="utter_ask_order_item", count=len(lines), buttons=buttons)
        return []


def is_verified(tracker: Tracker) -> bool:
    """True if the form's order is the one this conversation proved it owns."""
    order = tracker.get_slot("order_id")
    return bool(order) and order == tracker.get_slot("verified_order")

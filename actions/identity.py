"""Identity before details: the order number, then proof of ownership, for any job's form.

Subclasses name their form; this base is abstract so the SDK does not register it.
Three wrong proofs lock that order for the conversation. The phone number itself is never
kept: once checked, the slot holds a masked form (or 'locked').
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot.identifiers import mask_phone
from bot.services import MAX_VERIFY_ATTEMPTS, OrderCheck, Verification, check_order, verify_owner

LOCKED = "locked"
_LAST4 = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _proof_from(tracker: Tracker, text: str) -> str:
    """The phone entity if the NLU found one, else four digits in the text, else the text."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "phone":
            return str(entity["value"])
    last4 = _LAST4.findall(text)
    return last4[-1] if len(last4) == 1 else text


class OrderOwnershipValidation(FormValidationAction, ABC):
    """validate_order_id and validate_phone for forms that show an order's details."""

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
        """An order already verified in this conversation needs no second proof."""
        order = tracker.get_slot("order_id")
        if order and order == tracker.get_slot("verified_order"):
            return [s for s in domain_slots if s != "phone"]
        return domain_slots

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
        # The failure budget is the conversation's, not the order's: switching order numbers
        # must not buy more guesses.
        return {"order_id": order_no}

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


def is_verified(tracker: Tracker) -> bool:
    """True if the form's order is the one this conversation proved it owns."""
    order = tracker.get_slot("order_id")
    return bool(order) and order == tracker.get_slot("verified_order")

"""退换货: order → ownership → reason → the policy's verdict → confirm → application."""

from __future__ import annotations

import asyncio
from abc import ABC
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import damage, one_open, photos
from actions.answers import yes_no_answer
from actions.guard import GuardedAction
from actions.identity import LOCKED, OrderOwnershipValidation, chosen_item, is_verified
from actions.job_slots import form_slots, reset
from actions.one_open import OneOpenPerItem
from actions.presentation import PARTY_NAMES, decision_values, readable
from bot.nlp.normalise import normalise
from bot.policy import Decision, ReturnReason, Verdict
from bot.reasons import DamageCause, classify_return_reason
from bot.services import assess_return, open_return, order_lines, refund_only_amount

YES, NO, REFUSED = "yes", "no", "refused"
WRONG_ITEM_ANSWER = "发错货"  # what the reason question's button sends
WRONG_ITEM_START = "action_start_wrong_item_return"
CREATED = {
    "return": "utter_return_created",
    "exchange": "utter_exchange_created",
    "refund_only": "utter_refund_only_created",
}
LOOPS = {"return_form": "return", "exchange_form": "exchange"}


class ReturnValidation(OneOpenPerItem, damage.DamageQuestion, OrderOwnershipValidation, ABC):
    """The shared validation of return_form and exchange_form."""

    kind = "return"
    job = "return"  # an exchange is refused beside an open return of the item, and back

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:  # fmt: skip
        """How the damage happened is asked only about a quality problem (see below)."""
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if tracker.get_slot("return_reason") != ReturnReason.QUALITY.value:
            slots = [s for s in slots if s != damage.SLOT]
        return slots

    async def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Classify the reason, then say the policy's verdict and ask to confirm if allowed.
        A quality problem the policy would accept is first asked how it happened (damage the
        buyer caused is not covered); food, cosmetics and personal care go to a person's
        review whatever the answer, so they are not asked."""
        if not is_verified(tracker):
            return {"return_reason": None}
        text = str(value)
        reason = classify_return_reason(normalise(text))
        if reason is None:
            dispatcher.utter_message(response="utter_invalid_return_reason")
            return {"return_reason": None}
        answer = {"return_reason": reason.value, "return_description": text.strip()[:500]}
        decision = await self._decide(tracker, reason, None)
        if reason is ReturnReason.QUALITY and decision.verdict is Verdict.QUALITY_OK:
            # the verdict waits for how it happened
            return {**answer, damage.SLOT: None}
        verdict = await self._say(dispatcher, tracker, decision)
        return {**answer, damage.SLOT: damage.NOT_ASKED, **verdict}

    async def verdict_for_cause(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, cause: DamageCause
    ) -> dict[str, Any] | None:
        """The quality return's verdict once the customer said how the problem came about."""
        if tracker.get_slot("return_reason") != ReturnReason.QUALITY.value:
            return None
        decision = await self._decide(tracker, ReturnReason.QUALITY, cause)
        return await self._say(dispatcher, tracker, decision)

    async def _decide(
        self, tracker: Tracker, reason: ReturnReason, cause: DamageCause | None
    ) -> Decision:
        """The policy's verdict on returning the chosen item for `reason` (proof required)."""
        return await asyncio.to_thread(
            assess_return, tracker.get_slot("order_id"), reason, tracker.sender_id,
            chosen_item(tracker), damage_cause=cause,
        )  # fmt: skip

    async def _say(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, decision: Decision
    ) -> dict[str, Any]:
        """Tell the customer the verdict; a refusal needs no confirmation."""
        if decision.verdict is Verdict.SHIPPED_REFUND_WITH_RETURN and self.kind == "exchange":
            dispatcher.utter_message(response="utter_policy_not_delivered")  # nothing to swap yet
            return {"return_confirm": REFUSED}
        if decision.verdict is Verdict.NOT_SHIPPED_REFUND_ONLY and self.kind == "return":
            order_no, item = tracker.get_slot("order_id"), chosen_item(tracker)
            amount = await asyncio.to_thread(refund_only_amount, order_no, tracker.sender_id, item)
            dispatcher.utter_message(response="utter_refund_only_offer", amount=readable(amount))
            return {}
        dispatcher.utter_message(response=decision.message_key, **decision_values(decision))
        if decision.estimated:
            dispatcher.utter_message(response="utter_date_is_estimate")
        return {} if decision.allowed else {"return_confirm": REFUSED}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Validate as the SDK does; then, as soon as the order is proved and the item known,
        take a reason the customer gave before the form asked (发错货) as the answer, so the
        policy's verdict follows at once instead of a question already answered."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        reported = tracker.get_slot("return_reported_reason") if _reported_for(tracker) else None
        tracker.add_slots(events)
        if not reported or tracker.get_slot("return_reason") or not is_verified(tracker):
            return events
        if tracker.get_slot(one_open.SLOT):  # nothing more: the open application was shown
            return events
        if not tracker.get_slot("order_item"):
            lines = await asyncio.to_thread(
                order_lines, tracker.get_slot("order_id"), tracker.sender_id
            )
            if len(lines) > 1:  # which item is asked first
                return events
        answer = await self.validate_return_reason(reported, dispatcher, tracker, domain)
        return events + [SlotSet(slot, value) for slot, value in answer.items()]

    async def validate_return_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Yes submits, no does not; anything else is asked again."""
        answer = yes_no_answer(tracker, value)
        if answer is None:
            dispatcher.utter_message(response="utter_invalid_return_confirm")
            return {"return_confirm": None}
        return {"return_confirm": YES if answer else NO}


class ValidateReturnForm(ReturnValidation):
    """Validation of return_form."""

    kind = "return"

    def name(self) -> str:
        return "validate_return_form"


class ValidateExchangeForm(ReturnValidation):
    """Validation of exchange_form."""

    kind = "exchange"

    def name(self) -> str:
        return "validate_exchange_form"


def _form_kind(tracker: Tracker) -> str:
    """'exchange' if the form just completed was exchange_form, else 'return'."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") in LOOPS:
            return LOOPS[event["name"]]
    return "return"


class ActionSubmitReturn(GuardedAction):
    """Open the application the customer confirmed, or offer the next best path."""

    job = "return"
    ends_job = True

    def name(self) -> str:
        return "action_submit_return"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kind = _form_kind(tracker)
        # Both forms' slots: the return_ helpers (reason, description) serve the exchange too.
        slots = dict.fromkeys(
            form_slots(domain, "return_form") + form_slots(domain, "exchange_form")
        )
        cleared = reset(list(slots), keep=("order_id",))
        not_done = [*cleared, SlotSet("job_done", False)]
        confirm = tracker.get_slot("return_confirm")
        if tracker.get_slot(one_open.SLOT):  # the open one was shown: nothing to open
            return not_done  # already_open is one of the form's slots, cleared with them
        if not is_verified(tracker):
            if tracker.get_slot("phone") != LOCKED:  # the lock message was already said
                dispatcher.utter_message(response="utter_order_not_verified")
            return not_done
        if confirm == REFUSED:  # the refusal already offered its own next steps
            return not_done
        if confirm != YES:
            dispatcher.utter_message(response="utter_return_not_submitted")
            return not_done
        reason = ReturnReason(tracker.get_slot("return_reason"))
        receipt = await asyncio.to_thread(
            open_return, tracker.get_slot("order_id"), kind, reason, tracker.sender_id,
            chosen_item(tracker), description=tracker.get_slot("return_description"),
            damage_cause=damage.cause_of(tracker),
        )  # fmt: skip
        dispatcher.utter_message(
            response="utter_return_intercept_created"
            if receipt.intercepted
            else CREATED[receipt.kind],
            request_id=receipt.public_id,
            product=receipt.product,
            review_due=readable(receipt.review_due),
            return_address=receipt.return_address or "",
            shipping_payer=PARTY_NAMES[receipt.shipping_payer],
            refund_working_days=receipt.refund_working_days,
            amount=readable(receipt.refund_amount) if receipt.refund_amount else "",
        )
        if receipt.estimated:
            dispatcher.utter_message(response="utter_date_is_estimate")
        if reason.merchant_fault and not receipt.intercepted and receipt.kind != "refund_only":
            await photos.ask_for_photos(dispatcher, tracker, receipt.public_id)
        return [
            *cleared,
            SlotSet("topic", "exchange" if kind == "exchange" else "return"),
            SlotSet("rating_subject", receipt.public_id),
            SlotSet("product_category", receipt.category),
            SlotSet("job_done", True),
        ]


def _reported_for(tracker: Tracker) -> bool:
    """Was the active form started right after the customer reported the reason? A reason
    reported for a return the customer then left must not answer a later one."""
    form = None
    for event in reversed(tracker.events):
        if form is None:
            if event.get("event") == "active_loop" and event.get("name"):
                form = event["name"]
        elif event.get("event") == "action" and event.get("name") != form:
            return bool(event.get("name") == WRONG_ITEM_START)  # what started the form
    return False


class ActionStartWrongItemReturn(Action):
    """寄错了: apologise, and keep the reason so the return form does not ask for it."""

    def name(self) -> str:
        return WRONG_ITEM_START

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_wrong_item_sorry")
        return [SlotSet("return_reported_reason", WRONG_ITEM_ANSWER)]

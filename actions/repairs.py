"""维修预约: ownership → item → fault → how it happened → warranty (or a paid repair) →
on-site or send-in → address, time and contact phone → booking."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import damage, one_open
from actions.answers import yes_no_answer
from actions.guard import GuardedAction
from actions.identity import LOCKED, OrderOwnershipValidation, chosen_item, is_verified
from actions.job_slots import form_slots, reset
from actions.one_open import OneOpenPerItem
from actions.presentation import decision_values, readable, visit_window
from bot.clock import shop_now
from bot.config import get_settings
from bot.identifiers import find_phone, normalise_phone
from bot.nlp.extract import extract_times
from bot.nlp.normalise import normalise
from bot.policy import configured_rules
from bot.reasons import DamageCause
from bot.services import RepairAssessment, assess_repair, book_repair, check_visit

ONSITE, SEND_IN = "onsite", "send_in"
YES, NO = "yes", "no"  # repair_paid: the customer's answer to a paid repair
ORDER_PHONE = "order"  # repair_contact: call the phone on the order
MIN_FAULT_CHARS = 2
MIN_ADDRESS_CHARS = 8
VISIT_SLOTS = ("repair_address", "repair_slot", "repair_contact")
_SAME_PHONE = re.compile(r"下单|原来|这个号|同一个|就用|不用换|可以|好的|行|嗯|对")
_ONSITE_WORDS = re.compile(r"上门|来家|到家|派人|师傅来")
_SEND_IN_WORDS = re.compile(r"寄|送修|送过去|自己送")


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=get_settings().tz)


class ValidateRepairForm(OneOpenPerItem, damage.DamageQuestion, OrderOwnershipValidation):
    """Ownership, then the repair's own slots; a visit only where the policy offers one.

    What the validator decides is kept in slots the customer cannot fill (`repair_covered`,
    `repair_visit_start`, `repair_visit_end`); the slots the customer answers hold only
    their answers.
    """

    job = "repair"

    def name(self) -> str:
        return "validate_repair_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:  # fmt: skip
        """No paid-repair question when covered; nothing after a 'no' to a paid repair;
        no address, time or contact for a send-in repair."""
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if tracker.get_slot("repair_covered"):
            slots = [s for s in slots if s != "repair_paid"]
        if tracker.get_slot("repair_paid") == NO:
            slots = [s for s in slots if s not in ("repair_mode", *VISIT_SLOTS)]
        if tracker.get_slot("repair_mode") == SEND_IN:
            slots = [s for s in slots if s not in VISIT_SLOTS]
        return slots

    async def validate_repair_fault(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Record the fault, then say whether the warranty covers it. Within the warranty,
        how the fault happened is asked first (human damage is not covered); out of it, a
        paid repair is offered where one is possible."""
        if not is_verified(tracker):
            return {"repair_fault": None}
        fault = str(value).strip()
        if len(normalise(fault)) < MIN_FAULT_CHARS or fault.startswith("/"):  # not a payload
            dispatcher.utter_message(response="utter_invalid_repair_fault")
            return {"repair_fault": None}
        answer = {"repair_fault": fault[:500]}
        assessment = await self._assess(tracker, None)
        if assessment.decision.allowed:  # the verdict waits for how it happened
            return {**answer, damage.SLOT: None}
        return {**answer, damage.SLOT: damage.NOT_ASKED, **self._say(dispatcher, assessment)}

    async def verdict_for_cause(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, cause: DamageCause
    ) -> dict[str, Any] | None:
        """The warranty's verdict once the customer said how the fault came about."""
        if not tracker.get_slot("repair_fault"):
            return None
        return self._say(dispatcher, await self._assess(tracker, cause))

    async def _assess(self, tracker: Tracker, cause: DamageCause | None) -> RepairAssessment:
        """The warranty's verdict on the chosen item (proof required)."""
        return await asyncio.to_thread(
            assess_repair, tracker.get_slot("order_id"), tracker.sender_id, chosen_item(tracker),
            damage_cause=cause,
        )  # fmt: skip

    @staticmethod
    def _say(dispatcher: CollectingDispatcher, assessment: RepairAssessment) -> dict[str, Any]:
        """Say the warranty's verdict; decide what is still asked (a paid repair, the mode)."""
        decision = assessment.decision
        dispatcher.utter_message(response=decision.message_key, **decision_values(decision))
        result: dict[str, Any] = {"repair_covered": decision.allowed}
        if not decision.allowed and not assessment.paid_possible:
            return {**result, "repair_paid": NO}
        if decision.allowed and decision.estimated:
            dispatcher.utter_message(response="utter_date_is_estimate")
        if not assessment.onsite_possible:
            result["repair_mode"] = SEND_IN
        return result

    async def validate_repair_paid(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Yes books a paid repair (quoted first); no ends without a booking."""
        answer = yes_no_answer(tracker, value)
        if answer is None:
            dispatcher.utter_message(response="utter_invalid_repair_paid")
            return {"repair_paid": None}
        return {"repair_paid": YES if answer else NO}

    async def validate_repair_mode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """上门 or 寄修, in the customer's words."""
        text = normalise(str(value))
        if _ONSITE_WORDS.search(text):
            return {"repair_mode": ONSITE}
        if _SEND_IN_WORDS.search(text):
            return {"repair_mode": SEND_IN}
        dispatcher.utter_message(response="utter_invalid_repair_mode")
        return {"repair_mode": None}

    async def validate_repair_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Long enough to find a door by."""
        address = str(value).strip()
        if len(address) < MIN_ADDRESS_CHARS:
            dispatcher.utter_message(response="utter_invalid_repair_address")
            return {"repair_address": None}
        return {"repair_address": address[:200]}

    async def validate_repair_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """A future time inside service hours, from 明天下午 / 周六上午10点 / 11月25号. The
        slot keeps the window as the customer reads it; the booking reads the ISO slots."""
        times = extract_times(normalise(str(value)), shop_now())
        if not times:
            dispatcher.utter_message(response="utter_invalid_repair_slot")
            return {"repair_slot": None}
        found = times[0]
        start = _local(dt.datetime.fromisoformat(found.value))
        end = _local(dt.datetime.fromisoformat(found.extra["end"]))
        decision, start, end = check_visit(start, end)
        if not decision.allowed:
            dispatcher.utter_message(response=decision.message_key, **decision_values(decision))
            return {"repair_slot": None}
        return {
            "repair_slot": visit_window(start, end),
            "repair_visit_start": start.isoformat(),
            "repair_visit_end": end.isoformat(),
        }

    async def validate_repair_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """The order's phone, or another mainland mobile the technician should call."""
        text = normalise(str(value))
        phones = [
            str(e["value"])
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "phone"
        ]
        phone = normalise_phone(phones[0]) if phones else find_phone(text)
        if phone:
            return {"repair_contact": phone}
        if text == ORDER_PHONE or _SAME_PHONE.search(text):
            return {"repair_contact": ORDER_PHONE}
        dispatcher.utter_message(response="utter_invalid_repair_contact")
        return {"repair_contact": None}


class ActionAskRepairSlot(Action):
    """Ask for a visiting time, quoting the service hours from the policy."""

    def name(self) -> str:
        return "action_ask_repair_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            response="utter_ask_repair_slot_hours", **configured_rules().template_values()
        )
        return []


class ActionAskRepairPaid(Action):
    """Offer a paid repair, saying what declining the quote costs (an operator's rule)."""

    def name(self) -> str:
        return "action_ask_repair_paid"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rules = configured_rules()
        dispatcher.utter_message(
            response="utter_ask_repair_paid_with_fee"
            if rules.paid_repair_inspection_fee_yuan
            else "utter_ask_repair_paid",
            **rules.template_values(),
        )
        return []


def _contact(tracker: Tracker) -> str | None:
    """The phone the technician should call, if the customer named one other than the order's."""
    contact = tracker.get_slot("repair_contact")
    return None if contact in (None, ORDER_PHONE) else contact


def _visit(tracker: Tracker) -> tuple[dt.datetime, dt.datetime] | None:
    """The validated visit window, or None if there is none (or it cannot be read)."""
    try:
        start = dt.datetime.fromisoformat(str(tracker.get_slot("repair_visit_start")))
        end = dt.datetime.fromisoformat(str(tracker.get_slot("repair_visit_end")))
    except ValueError:
        return None
    return (start, end) if start.tzinfo and end.tzinfo and start < end else None


class ActionBookRepair(GuardedAction):
    """Book the repair (free or paid), or say that nothing was booked."""

    job = "repair"
    ends_job = True

    def name(self) -> str:
        return "action_book_repair"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        cleared = reset(form_slots(domain, "repair_form"), keep=("order_id",))
        not_done = [*cleared, SlotSet("job_done", False)]
        mode = tracker.get_slot("repair_mode")
        if tracker.get_slot(one_open.SLOT):  # the open booking was shown: nothing to book
            return not_done  # already_open is one of the form's slots, cleared with them
        if not is_verified(tracker):
            if tracker.get_slot("phone") != LOCKED:  # the lock message was already said
                dispatcher.utter_message(response="utter_order_not_verified")
            return not_done
        covered = bool(tracker.get_slot("repair_covered"))
        if not covered and tracker.get_slot("repair_paid") != YES:
            dispatcher.utter_message(response="utter_repair_not_covered_next_steps")
            return not_done
        slot = _visit(tracker) if mode == ONSITE else None
        if mode not in (ONSITE, SEND_IN) or (mode == ONSITE and slot is None):
            dispatcher.utter_message(response="utter_repair_unavailable")
            return not_done
        receipt = await asyncio.to_thread(
            book_repair, order_no=tracker.get_slot("order_id"),
            fault=tracker.get_slot("repair_fault") or "", mode=mode,
            conversation_id=tracker.sender_id, item_id=chosen_item(tracker),
            paid=not covered, address=tracker.get_slot("repair_address"), slot=slot,
            contact_phone=_contact(tracker), damage_cause=damage.cause_of(tracker),
        )  # fmt: skip
        rules = configured_rules()
        values = {
            "booking_id": receipt.public_id,
            "product": receipt.product,
            "contact": receipt.contact,
            "respond_due": readable(receipt.respond_due),
            "complete_due": readable(receipt.complete_due) if receipt.complete_due else "—",
            "complete_working_days": rules.repair_completion_working_days,
            "return_address": get_settings().return_address,
            "inspection_fee": rules.template_values()["inspection_fee"],
        }
        if slot:
            values["slot"] = visit_window(*slot)
        kind = "" if receipt.covered else "paid_"
        response = f"utter_repair_{kind}{'onsite' if mode == ONSITE else 'send_in'}_booked"
        if not receipt.covered and rules.paid_repair_inspection_fee_yuan:
            response += "_with_fee"  # what declining the quote costs, as the operator set it
        dispatcher.utter_message(response=response, **values)
        return [
            *cleared,
            SlotSet("topic", "repair"),
            SlotSet("rating_subject", receipt.public_id),
            SlotSet("product_category", receipt.category),
            SlotSet("job_done", True),
        ]

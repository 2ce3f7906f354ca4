"""投诉: what happened, which order (optional), how serious → a ticket with its deadlines."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guard import GuardedAction, GuardedValidation
from actions.job_slots import form_slots, reset
from actions.presentation import local_time, readable
from bot.identifiers import normalise_order_no
from bot.nlp.normalise import normalise
from bot.policy import Severity, configured_rules
from bot.services import OrderCheck, check_order, open_complaint

NONE = "none"
COMPENSATION = "compensation"  # complaint_kind when the customer asked to be compensated
MIN_DESCRIPTION_CHARS = 4
# What is left of '我要投诉你们!' once the bare request words are gone is not a description.
_BARE_REQUEST = re.compile(r"我|要|想|申请|投诉|你们|一下|客服|怎么|渠道|在哪|[!?.,。!?,、 ]")
_NO_ORDER = re.compile(r"没有|无|不是|不涉及|无关|不记得|忘了")
_SEVERITY = [
    (Severity.HIGH, r"非常严重|很严重|特别严重|极其严重|太严重|影响(很|非常|特别|极|太)大"),
    (Severity.LOW, r"一般|轻微|还好|不严重|小事|影响(不大|较小|不算大|很小|小)|没(什么|啥)影响"),
    (Severity.MEDIUM, r"比较严重|严重|有点严重|影响(较|比较|挺|蛮)?大"),
]
# Responses that apologise; Rasa records each bot message's response name in its metadata.
APOLOGIES = frozenset({"utter_ask_complaint_description", "utter_complaint_apology"})


def apologised_in_this_form(tracker: Tracker) -> bool:
    """Has the bot already apologised since the complaint form started? (Once is sincere;
    every turn is not.)"""
    for event in reversed(tracker.events):
        response = (event.get("metadata") or {}).get("utter_action")
        if event.get("event") == "bot" and response in APOLOGIES:
            return True
        if event.get("event") == "active_loop" and event.get("name") == "complaint_form":
            return False
    return False


class ActionAskComplaintOrder(Action):
    """Ask for the order; apologise first if the description came with the first message and
    so the apology in the description question was never said."""

    def name(self) -> str:
        return "action_ask_complaint_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not apologised_in_this_form(tracker):
            dispatcher.utter_message(response="utter_complaint_apology")
        dispatcher.utter_message(response="utter_ask_complaint_order")
        return []


def _order_in(tracker: Tracker, text: str) -> str | None:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "order_id":
            return str(entity["value"])
    return normalise_order_no(text)


class ValidateComplaintForm(GuardedValidation):
    """Description (not a bare '我要投诉'), optional order, severity."""

    def name(self) -> str:
        return "validate_complaint_form"

    async def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Keep what the customer said, if it says more than 'I want to complain'."""
        text = str(value).strip()
        # A button's payload (/complain) says nothing about what happened.
        bare = (
            text.startswith("/")
            or len(_BARE_REQUEST.sub("", normalise(text))) < MIN_DESCRIPTION_CHARS
        )
        if bare:
            if tracker.get_slot("requested_slot") == "complaint_description":
                dispatcher.utter_message(response="utter_invalid_complaint_description")
            return {"complaint_description": None}
        result: dict[str, Any] = {"complaint_description": text[:1000]}
        # A number in the story may be the order, or a parcel's tracking number or a hotline:
        # only an order that exists is taken; otherwise the order is asked for.
        order_no = _order_in(tracker, normalise(text))
        if order_no:
            check, found = await asyncio.to_thread(check_order, order_no)
            if check is OrderCheck.FOUND:
                result["complaint_order"] = found
        return result

    async def validate_complaint_order(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """An existing order number, or 'none'."""
        text = normalise(str(value))
        order_no = _order_in(tracker, text)
        if order_no is None:
            if _NO_ORDER.search(text):
                return {"complaint_order": NONE}
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"complaint_order": None}
        check, found = await asyncio.to_thread(check_order, order_no)
        if check is not OrderCheck.FOUND:
            dispatcher.utter_message(response="utter_order_not_found")
            return {"complaint_order": None}
        return {"complaint_order": found}

    async def validate_complaint_severity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """影响不大 / 影响较大 / 影响很大, or the customer's own words (一般, 比较严重)."""
        text = normalise(str(value))
        for severity, pattern in _SEVERITY:
            if re.search(pattern, text):
                return {"complaint_severity": severity.value}
        dispatcher.utter_message(response="utter_invalid_complaint_severity")
        return {"complaint_severity": None}


class ActionSubmitComplaint(GuardedAction):
    """Open the ticket, say its deadlines, and say if a person has it too."""

    job = "complaint"
    ends_job = True

    def name(self) -> str:
        return "action_submit_complaint"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        cleared = reset(form_slots(domain, "complaint_form"))
        order = tracker.get_slot("complaint_order")
        receipt = await asyncio.to_thread(
            open_complaint,
            description=tracker.get_slot("complaint_description") or "",
            severity=Severity(tracker.get_slot("complaint_severity") or Severity.LOW.value),
            order_no=None if order in (None, NONE) else order,
            conversation_id=tracker.sender_id,
            compensation=tracker.get_slot("complaint_kind") == COMPENSATION,
        )
        dispatcher.utter_message(
            response="utter_complaint_created",
            complaint_id=receipt.public_id,
            reply_due=local_time(receipt.reply_due),
            solution_due=local_time(receipt.solution_due),
        )
        if receipt.handoff_id and receipt.compensation:
            dispatcher.utter_message(
                response="utter_compensation_amount_escalated"
                if receipt.amount_asked
                else "utter_compensation_escalated",
                handoff_id=receipt.handoff_id,
                amount=readable(receipt.amount_asked),
                **configured_rules().template_values(),
            )
        elif receipt.handoff_id:
            dispatcher.utter_message(
                response="utter_complaint_escalated",
                handoff_id=receipt.handoff_id,
                **configured_rules().template_values(),
            )
        return [
            *cleared,
            SlotSet("topic", "complaint"),
            SlotSet("rating_subject", receipt.public_id),
            SlotSet("job_done", True),
        ]

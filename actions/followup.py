"""After the first application: where everything stands, and changes of mind.

One form, `followup_form`, serves five requests that all start from a verified order:
the status of everything open on it (ask_status), withdrawing an application, booking or
complaint (cancel, outside another form), the return parcel's tracking number, moving a
technician's visit, and more details for a complaint. `followup_change` (set from the intent
that started the form) says which; the services re-check everything and record each change
as an event on the request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import photos
from actions.guard import GuardedAction
from actions.identity import OrderOwnershipValidation, is_verified
from actions.job_slots import form_slots, reset
from actions.presentation import decision_values, local_time, readable, visit_window
from bot.clock import shop_now
from bot.config import get_settings
from bot.nlp.extract import extract_times
from bot.nlp.normalise import normalise
from bot.policy import Decision, configured_rules
from bot.services import (
    MAX_DETAILS_CHARS,
    ChangeRefused,
    RequestView,
    add_complaint_details,
    add_tracking,
    change_candidates,
    check_visit,
    request_status,
    reschedule_visit,
    withdraw,
)
from bot.tracking import parse_tracking

FORM = "followup_form"
NONE = "none"  # followup_request when the order has nothing the change applies to
KIND_NAMES = {
    "return": "退货",
    "exchange": "换货",
    "refund_only": "仅退款",
    "repair": "维修",
    "complaint": "投诉",
    "handoff": "转人工",
    "parcel": "物流核查",
}
ASK_DETAIL = {
    "tracking": "utter_ask_tracking_number",
    "reschedule": "utter_ask_new_visit_time",
    "details": "utter_ask_complaint_details",
    "withdraw": "utter_confirm_withdraw",
}
# "撤销吧" / "确定" at the confirmation mean yes; "不撤了" / "算了先不" mean no.
_KEEP = re.compile(r"不撤|先不|不用撤|不取消|别撤|留着|再想想")
_YES_INTENTS = ("affirm", "cancel")
# 算了 alone is nothing to withdraw; 退货申请撤了 / 维修不用来了 names something submitted.
_NAMES_A_REQUEST = re.compile(r"申请|退|换|修|预约|投诉|上门|师傅|订单|单子")


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _local(moment: dt.datetime) -> dt.datetime:
    """A time in the shop's zone: a naive one (as the time extractor reads 明天下午) is already
    shop time; astimezone() would take it for the server's own zone."""
    tz = get_settings().tz
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


FOLLOWUP_INTENTS = (
    "ask_status",
    "cancel",
    "give_tracking_number",
    "change_repair_visit",
    "add_complaint_details",
)


def _opening_text(tracker: Tracker) -> str:
    """The customer's message that started this follow-up (it may hold the tracking number
    or the new time), read from the conversation's events."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in FOLLOWUP_INTENTS:
            return str(event.get("text") or "")
    return str(tracker.latest_message.get("text") or "")


def _visit_in(text: str) -> str | Decision | None:
    """A new visit window in `text` as 'start/end' (ISO), the policy's refusal of the time
    named, or None if no time is named."""
    times = extract_times(normalise(text), shop_now())
    if not times:
        return None
    found = times[0]
    start = _local(dt.datetime.fromisoformat(found.value))
    end = _local(dt.datetime.fromisoformat(found.extra["end"]))
    decision, start, end = check_visit(start, end)
    return f"{start.isoformat()}/{end.isoformat()}" if decision.allowed else decision


def _detail_in(change: str | None, text: str) -> str | None:
    """What the opening message already said: a valid tracking number or an allowed time."""
    if change == "tracking":
        found = parse_tracking(text)
        return f"{found.courier.name} {found.number}" if found else None
    if change == "reschedule":
        window = _visit_in(text)
        return window if isinstance(window, str) else None
    return None


def view_values(view: RequestView) -> dict[str, Any]:
    """A request's template values as the customer reads them."""
    values: dict[str, Any] = {
        "request_id": view.public_id,
        "product": view.product or "",
        "kind_name": KIND_NAMES.get(view.kind, view.kind),
    }
    for key, value in view.values.items():
        if isinstance(value, dt.datetime):
            values[key] = local_time(value)
        else:
            values[key] = "—" if value is None else readable(value)
    start, end = view.values.get("visit_start"), view.values.get("visit_end")
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        values["visit"] = visit_window(_local(start), _local(end))
    return values


def say_status(dispatcher: CollectingDispatcher, order_no: str, views: list[RequestView]) -> None:
    """Where each request stands, one message per request after a heading."""
    if not views:
        dispatcher.utter_message(response="utter_status_nothing_open", order_id=order_no)
        return
    dispatcher.utter_message(response="utter_status_intro", order_id=order_no, count=len(views))
    for view in views:
        dispatcher.utter_message(response=f"utter_status_{view.stage}", **view_values(view))


async def _photos_under_review(
    dispatcher: CollectingDispatcher, tracker: Tracker, views: list[RequestView]
) -> None:
    """For an application under review that wants photos: how many arrived, or the way to
    send them again (the widget's button does not survive a reload, a link may be lost)."""
    for view in views:
        count = view.values.get("photos")
        if not isinstance(count, int):
            continue
        if count:
            dispatcher.utter_message(
                response="utter_status_photos_received", request_id=view.public_id, count=count
            )
        else:
            await photos.ask_for_photos(dispatcher, tracker, view.public_id)


def _button(number: int, view: RequestView) -> dict[str, str]:
    label = (
        f"{number}. {KIND_NAMES.get(view.kind, view.kind)} {view.public_id} {view.product or ''}"
    )
    return {"title": label.strip(), "payload": view.public_id}


def _pick(text: str, views: list[RequestView]) -> RequestView | None:
    """The request meant by its id, its number in the list, or a word of its product/kind."""
    text = normalise(text).strip().upper()
    for view in views:
        if view.public_id in text:
            return view
    if text.isdigit() and 1 <= int(text) <= len(views):
        return views[int(text) - 1]
    named = [
        v for v in views if (v.product and v.product in text) or KIND_NAMES.get(v.kind, "?") in text
    ]
    return named[0] if len(named) == 1 else None


class ValidateFollowupForm(OrderOwnershipValidation):
    """The order (the one proved earlier in the conversation unless another is named), its
    proof, which request, and what to change."""

    def name(self) -> str:
        return "validate_followup_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Status needs only the order; a bare 算了 that names no application, with no order
        in sight, asks nothing (the submit action says there is nothing to withdraw)."""
        change = tracker.get_slot("followup_change")
        if (
            change == "withdraw"
            and not tracker.get_slot("order_id")
            and not _NAMES_A_REQUEST.search(normalise(_opening_text(tracker)))
        ):
            return []
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if change == "status" or tracker.get_slot("followup_request") == NONE:
            slots = [s for s in slots if s not in ("followup_request", "followup_detail")]
        return slots

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """As for every job; a proof found with the order settles what follows at once."""
        result = await super().validate_order_id(value, dispatcher, tracker, domain)
        return await self._settle(result, tracker)

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """As for every job; once proved, the only request and a detail the opening message
        held (a tracking number, a new time) need no question."""
        result = await super().validate_phone(value, dispatcher, tracker, domain)
        return await self._settle(result, tracker)

    async def _settle(self, result: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
        order_no = result.get("order_id") or tracker.get_slot("order_id")
        proved = result.get("verified_order") or tracker.get_slot("verified_order")
        change = tracker.get_slot("followup_change")
        if not order_no or order_no != proved or change in (None, "status"):
            return result
        if tracker.get_slot("followup_request"):
            return result
        views = await asyncio.to_thread(change_candidates, order_no, tracker.sender_id, change)
        if len(views) <= 1:
            result["followup_request"] = views[0].public_id if views else NONE
        detail = _detail_in(change, _opening_text(tracker))
        if detail:
            result["followup_detail"] = detail
        return result

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The order proved earlier in this conversation, when no other is named."""
        named = any(e.get("entity") == "order_id" for e in tracker.latest_message["entities"])
        verified = tracker.get_slot("verified_order")
        if tracker.get_slot("order_id") or named or not verified:
            return {}
        return {"order_id": verified}

    async def extract_followup_request(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The only request the change can apply to, or the one the customer picked."""
        change = tracker.get_slot("followup_change")
        if tracker.get_slot("followup_request") or change in (None, "status"):
            return {}
        if not is_verified(tracker):
            return {}
        views = await asyncio.to_thread(
            change_candidates, tracker.get_slot("order_id"), tracker.sender_id, change
        )
        if not views:
            return {"followup_request": NONE}
        if len(views) == 1:
            return {"followup_request": views[0].public_id}
        if tracker.get_slot("requested_slot") != "followup_request":
            return {}
        picked = _pick(tracker.latest_message.get("text") or "", views)
        if picked is None:
            dispatcher.utter_message(response="utter_invalid_followup_request")
            return {}
        return {"followup_request": picked.public_id}

    async def extract_followup_detail(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A tracking number or a new time may come with the first message; details and the
        confirmation only as the answer to their question."""
        change = tracker.get_slot("followup_change")
        asked = tracker.get_slot("requested_slot") == "followup_detail"
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot("followup_detail") or not is_verified(tracker):
            return {}
        if not asked:
            detail = _detail_in(change, _opening_text(tracker))
            return {"followup_detail": detail} if detail else {}
        if change == "tracking":
            found = parse_tracking(text)
            if found:
                return {"followup_detail": f"{found.courier.name} {found.number}"}
            dispatcher.utter_message(response="utter_invalid_tracking_number")
            return {}
        if change == "reschedule":
            window = _visit_in(text)
            if window is None:
                dispatcher.utter_message(response="utter_invalid_repair_slot")
                return {}
            if isinstance(window, str):
                return {"followup_detail": window}
            dispatcher.utter_message(response=window.message_key, **decision_values(window))
            return {}
        if change == "withdraw":
            if _KEEP.search(normalise(text)) or _intent(tracker) == "deny":
                return {"followup_detail": "no"}
            if _intent(tracker) in _YES_INTENTS:
                return {"followup_detail": "yes"}
            return {}  # asked again
        details = text.strip()
        if len(details) < 2:
            return {}
        return {"followup_detail": details[:MAX_DETAILS_CHARS]}

    async def validate_followup_request(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Set only by extract_followup_request, from the store's own list; kept as text."""
        return {"followup_request": str(value) if value else None}

    async def validate_followup_detail(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """Set only by extract_followup_detail; the service checks it again when applied."""
        return {"followup_detail": str(value)[:MAX_DETAILS_CHARS] if value else None}


class ActionAskFollowupRequest(GuardedAction):
    """Which of the order's requests: one button each."""

    def name(self) -> str:
        return "action_ask_followup_request"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        views = await asyncio.to_thread(
            change_candidates,
            tracker.get_slot("order_id"),
            tracker.sender_id,
            tracker.get_slot("followup_change"),
        )
        dispatcher.utter_message(
            response="utter_ask_followup_request",
            buttons=[_button(n, v) for n, v in enumerate(views, start=1)],
        )
        return []


class ActionAskFollowupDetail(Action):
    """The question the change needs: the tracking number, the new time, the details, or
    the confirmation of a withdrawal."""

    def name(self) -> str:
        return "action_ask_followup_detail"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        change = tracker.get_slot("followup_change") or "details"
        dispatcher.utter_message(
            response=ASK_DETAIL.get(change, "utter_ask_complaint_details"),
            request_id=tracker.get_slot("followup_request"),
            **configured_rules().template_values(),
        )
        return []


class ActionApplyFollowup(GuardedAction):
    """Show the status, or make the change, and say what happened."""

    job = "followup"
    ends_job = True

    def name(self) -> str:
        return "action_apply_followup"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        cleared = reset(form_slots(domain, FORM))  # followup_change included
        change = tracker.get_slot("followup_change")
        order_no = tracker.get_slot("order_id")
        if change == "withdraw" and not order_no:
            dispatcher.utter_message(response="utter_nothing_to_cancel")
            return [*cleared, SlotSet("job_done", False)]
        if not is_verified(tracker):
            dispatcher.utter_message(response="utter_order_not_verified")
            return [*cleared, SlotSet("job_done", False)]
        if change == "status":
            views = await asyncio.to_thread(request_status, order_no, tracker.sender_id)
            say_status(dispatcher, order_no, views)
            await _photos_under_review(dispatcher, tracker, views)
            subject = [SlotSet("rating_subject", views[0].public_id)] if views else []
            return [
                *cleared,
                SlotSet("topic", "status"),
                *subject,
                SlotSet("job_done", bool(views)),
            ]
        public_id = tracker.get_slot("followup_request")
        if public_id in (None, NONE):
            dispatcher.utter_message(response=f"utter_followup_nothing_{change}", order_id=order_no)
            return [*cleared, SlotSet("job_done", False)]
        detail = str(tracker.get_slot("followup_detail") or "")
        done = await _apply_change(
            dispatcher, change, order_no, public_id, detail, tracker.sender_id
        )
        return [
            *cleared,
            SlotSet("topic", "status"),
            SlotSet("rating_subject", public_id),
            SlotSet("job_done", done),
        ]


async def _apply_change(
    dispatcher: CollectingDispatcher, change: str, order_no: str, public_id: str, detail: str,
    sender: str,
) -> bool:  # fmt: skip
    """Make one change and say what happened; False if nothing changed (kept or refused)."""
    try:
        if change == "withdraw":
            if detail != "yes":
                dispatcher.utter_message(response="utter_withdraw_kept", request_id=public_id)
                return False
            await asyncio.to_thread(withdraw, order_no, public_id, sender)
            dispatcher.utter_message(response="utter_withdrawn", request_id=public_id)
        elif change == "tracking":
            receipt = await asyncio.to_thread(add_tracking, order_no, public_id, detail, sender)
            dispatcher.utter_message(
                response="utter_tracking_added", request_id=public_id, **receipt.values
            )
        elif change == "reschedule":
            start_text, _, end_text = detail.partition("/")
            start = dt.datetime.fromisoformat(start_text)
            end = dt.datetime.fromisoformat(end_text)
            await asyncio.to_thread(reschedule_visit, order_no, public_id, start, end, sender)
            dispatcher.utter_message(
                response="utter_visit_moved", request_id=public_id,
                visit=visit_window(start, end),
            )  # fmt: skip
        else:
            receipt = await asyncio.to_thread(
                add_complaint_details, order_no, public_id, detail, sender
            )
            due = receipt.values["reply_due"]
            dispatcher.utter_message(
                response="utter_complaint_details_added", request_id=public_id,
                reply_due=local_time(due) if isinstance(due, dt.datetime) else "—",
            )  # fmt: skip
    except ChangeRefused as refused:
        dispatcher.utter_message(
            response=f"utter_change_refused_{refused.reason}", request_id=public_id,
            **configured_rules().template_values(),
        )  # fmt: skip
        return False
    return True


class ActionCancelFollowup(Action):
    """算了 inside the follow-up form: at the confirmation of a withdrawal it is the yes
    (撤销吧); anywhere else it stops the form and nothing changes."""

    def name(self) -> str:
        return "action_cancel_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        confirming = (
            tracker.get_slot("followup_change") == "withdraw"
            and tracker.get_slot("requested_slot") == "followup_detail"
            and not _KEEP.search(normalise(tracker.latest_message.get("text") or ""))
        )
        cleared = [ActiveLoop(None), *reset(form_slots(domain, FORM))]
        if not confirming:
            dispatcher.utter_message(response="utter_form_cancelled")
            return cleared
        order_no, public_id = tracker.get_slot("order_id"), tracker.get_slot("followup_request")
        try:
            await _apply_change(
                dispatcher, "withdraw", order_no, public_id, "yes", tracker.sender_id
            )
        except Exception:
            dispatcher.utter_message(response="utter_followup_unavailable")
        return cleared

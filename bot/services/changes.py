"""Changes of mind after applying: withdraw, give the return parcel's tracking number, move
or cancel a repair visit, add details to a complaint.

Each change needs proof of the order the request belongs to, re-checks what the policy
allows now (slots are not trusted), and is recorded as an event on the request: who, when,
what. A change that is no longer allowed raises `ChangeRefused` with the reason, so the
customer hears why and is offered a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.clock import shop_now
from bot.policy import (
    AWAITING_PARCEL_STATUSES,
    CHANGEABLE_BOOKING_STATUSES,
    OPEN_COMPLAINT_STATUSES,
    WITHDRAWABLE_REQUEST_STATUSES,
    completion_due,
    configured_calendar,
    configured_rules,
    visit_changeable,
)
from bot.services.progress import RequestView, views_of_order
from bot.services.verification import require_proof
from bot.store import AfterSalesRepository, InvalidRequest, open_repository
from bot.store.models import AfterSalesRequest, Complaint, RepairBooking
from bot.tracking import Tracking, parse_tracking

CHANGES = ("withdraw", "tracking", "reschedule", "details")
MAX_DETAILS_CHARS = 500


class ChangeRefused(InvalidRequest):
    """The change is no longer possible; `reason` names the response that explains why."""

    def __init__(self, reason: str, public_id: str) -> None:
        super().__init__(f"{public_id}: {reason}")
        self.reason = reason
        self.public_id = public_id


@dataclass(frozen=True)
class ChangeReceipt:
    """What changed, for the customer's confirmation."""

    public_id: str
    change: str
    product: str | None
    values: dict[str, object]


def _candidate(view: RequestView, change: str) -> bool:
    if not view.is_open:
        return False
    if change == "withdraw":  # a person or a logistics check is not withdrawn by the bot
        return view.kind not in ("handoff", "parcel")
    if change == "tracking":
        return view.kind in ("return", "exchange") and view.stage in (
            "request_submitted", "request_awaiting_parcel", "request_parcel_sent",
        )  # fmt: skip
    if change == "reschedule":
        return view.stage == "repair_visit_booked"
    return view.kind == "complaint"  # details


def change_candidates(order_no: str, conversation_id: str, change: str) -> list[RequestView]:
    """The order's requests the change could apply to (proof required)."""
    if change not in CHANGES:
        raise InvalidRequest(f"unknown change {change!r}")
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        return [v for v in views_of_order(repo, order, shop_now()) if _candidate(v, change)]


def _proved_subject(
    repo: AfterSalesRepository, order_no: str, public_id: str, conversation_id: str
) -> AfterSalesRequest | RepairBooking | Complaint:
    """The request, booking or complaint with this id, if it belongs to an order this
    conversation proved it owns (never another order's)."""
    order = repo.find_order(order_no)
    require_proof(repo, order, conversation_id)
    subject = repo.find_subject(public_id)
    if subject.order_id != order.id:
        raise InvalidRequest(f"order {order.order_no} has no request {public_id}")
    return subject


def withdraw(order_no: str, public_id: str, conversation_id: str) -> ChangeReceipt:
    """Withdraw an application before the goods are back, a booking with enough notice, or
    a complaint that is still open."""
    now = shop_now()
    with open_repository() as repo:
        subject = _proved_subject(repo, order_no, public_id, conversation_id)
        product: str | None = None
        if isinstance(subject, AfterSalesRequest):
            _withdraw_request(subject, now)
            product = subject.item.product_name if subject.item else None
        elif isinstance(subject, RepairBooking):
            _check_visit_changeable(subject, now)
            subject.status = "cancelled"
            product = subject.item.product_name if subject.item else None
        else:
            if subject.status not in OPEN_COMPLAINT_STATUSES:
                raise ChangeRefused("closed", public_id)
            subject.status = "closed"
        repo.record_event(
            public_id, "withdrawn", actor="customer", now=now, conversation_id=conversation_id
        )
        return ChangeReceipt(public_id, "withdraw", product, {})


def _withdraw_request(request: AfterSalesRequest, now: dt.datetime) -> None:
    if request.status == "received":
        raise ChangeRefused("goods_received", request.public_id)
    if request.status not in WITHDRAWABLE_REQUEST_STATUSES:
        raise ChangeRefused("closed", request.public_id)
    refund = request.refund
    if refund is not None and refund.paid_out_on is not None:
        raise ChangeRefused("refund_paid", request.public_id)
    if refund is not None:
        refund.cancelled_on = now.date()
    request.status = "cancelled"


def _check_visit_changeable(booking: RepairBooking, now: dt.datetime) -> None:
    if booking.status not in CHANGEABLE_BOOKING_STATUSES:
        raise ChangeRefused(
            "repair_started" if booking.status == "in_progress" else "closed", booking.public_id
        )
    if not visit_changeable(now, booking.slot_start, configured_rules(), configured_calendar()):
        raise ChangeRefused("visit_too_close", booking.public_id)


def add_tracking(order_no: str, public_id: str, text: str, conversation_id: str) -> ChangeReceipt:
    """Attach the return parcel's courier and number (parsed from `text`) to an application
    still waiting for it. InvalidRequest if `text` holds no valid tracking number."""
    tracking: Tracking | None = parse_tracking(text)
    if tracking is None:
        raise InvalidRequest("no valid tracking number")
    now = shop_now()
    with open_repository() as repo:
        request = _proved_subject(repo, order_no, public_id, conversation_id)
        if not isinstance(request, AfterSalesRequest) or request.kind == "refund_only":
            raise InvalidRequest(f"{public_id} has no parcel to return")
        if request.status not in AWAITING_PARCEL_STATUSES:
            raise ChangeRefused("goods_received" if request.status == "received" else "closed",
                                public_id)  # fmt: skip
        old = {"courier": request.courier, "tracking_no": request.tracking_no}
        request.courier, request.tracking_no = tracking.courier.code, tracking.number
        repo.record_event(
            public_id, "tracking_added", actor="customer", now=now,
            conversation_id=conversation_id,
            detail={"old": old, "courier": tracking.courier.code, "tracking_no": tracking.number},
        )  # fmt: skip
        return ChangeReceipt(
            public_id, "tracking", request.item.product_name if request.item else None,
            {"courier": tracking.courier.name, "tracking_no": tracking.number},
        )  # fmt: skip


def reschedule_visit(
    order_no: str, public_id: str, start: dt.datetime, end: dt.datetime, conversation_id: str
) -> ChangeReceipt:
    """Move a booked technician visit to a new window (already checked against the service
    hours by the caller) if the old one is still far enough away."""
    now = shop_now()
    with open_repository() as repo:
        booking = _proved_subject(repo, order_no, public_id, conversation_id)
        if not isinstance(booking, RepairBooking) or booking.slot_start is None:
            raise InvalidRequest(f"{public_id} has no visit to move")
        _check_visit_changeable(booking, now)
        old = {"start": booking.slot_start, "end": booking.slot_end}
        booking.slot_start, booking.slot_end = start, end
        if booking.complete_due is not None:  # the work starts on the new day, not the old
            day = max(now.date(), start.astimezone(now.tzinfo).date())
            booking.complete_due = completion_due(day, configured_rules(), configured_calendar())
        repo.record_event(
            public_id, "rescheduled", actor="customer", now=now, conversation_id=conversation_id,
            detail={"old": old, "new": {"start": start, "end": end}},
        )  # fmt: skip
        return ChangeReceipt(
            public_id, "reschedule", booking.item.product_name if booking.item else None,
            {"visit_start": start, "visit_end": end},
        )  # fmt: skip


def add_complaint_details(
    order_no: str, public_id: str, text: str, conversation_id: str
) -> ChangeReceipt:
    """Add the customer's words to an open complaint: appended to its description (so the
    agent reads them in one place) and kept as an event."""
    details = text.strip()[:MAX_DETAILS_CHARS]
    if not details:
        raise InvalidRequest("nothing to add")
    now = shop_now()
    with open_repository() as repo:
        complaint = _proved_subject(repo, order_no, public_id, conversation_id)
        if not isinstance(complaint, Complaint):
            raise InvalidRequest(f"{public_id} is not a complaint")
        if complaint.status not in OPEN_COMPLAINT_STATUSES:
            raise ChangeRefused("closed", public_id)
        stamp = now.astimezone(repo.tz).strftime("%m-%d %H:%M")
        complaint.description = f"{complaint.description}\n[补充 {stamp}] {details}"
        repo.record_event(
            public_id, "details_added", actor="customer", now=now,
            conversation_id=conversation_id, detail={"text": details},
        )  # fmt: skip
        return ChangeReceipt(public_id, "details", None, {"reply_due": complaint.reply_due})

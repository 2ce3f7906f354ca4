"""Where each of a customer's requests stands, with its next dated step.

One view per application, booking, complaint, logistics check or waiting handoff of a verified order, in the
words of a stage (`utter_status_<stage>` in domain.yml) and the values that stage quotes.
Closed requests are listed for a while after they were made, so "did my refund arrive" still
finds the return it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.clock import shop_now
from bot.policy import OPEN_COMPLAINT_STATUSES, ReturnReason, configured_rules
from bot.services.verification import require_proof
from bot.store import AfterSalesRepository, InvalidRequest, open_repository
from bot.store.models import AfterSalesRequest, Complaint, Order, ParcelTicket, RepairBooking
from bot.store.repository import ACTIVE_BOOKING_STATUSES, OPEN_REQUEST_STATUSES
from bot.tracking import COURIERS

RECENT_DAYS = 30  # how long a closed request is still listed
ANY_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class RequestView:
    """One request as the customer should hear where it stands."""

    kind: str  # return / exchange / refund_only / repair / complaint / handoff
    public_id: str
    stage: str  # the response utter_status_<stage>
    is_open: bool
    product: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # dates, money and text it quotes


def _request_view(repo: AfterSalesRepository, request: AfterSalesRequest) -> RequestView:
    refund = request.refund if request.refund and request.refund.cancelled_on is None else None
    values: dict[str, Any] = {
        "review_due": request.review_due,
        "processing_due": request.processing_due,
    }
    status, kind = request.status, request.kind
    if status == "submitted" and kind == "refund_only":
        stage = "refund_only_submitted"
        values["due_on"] = refund.due_on if refund else request.processing_due
    elif status == "submitted":
        stage = "request_submitted"
    elif status == "approved" and kind == "return" and not request.return_address:
        stage = "request_intercepting"  # shipped, not signed for: refused or intercepted
    elif status == "approved":
        stage = "request_parcel_sent" if request.tracking_no else "request_awaiting_parcel"
        values["return_address"] = request.return_address or repo.return_address
        courier = COURIERS.get(request.courier or "")
        values["courier"] = courier.name if courier else request.courier
        values["tracking_no"] = request.tracking_no
    elif status == "received" and kind == "exchange":
        stage = "exchange_received"
        values["received_on"] = request.goods_received_on
    elif status == "received":
        stage = "request_received"
        values["received_on"] = request.goods_received_on
        values["due_on"] = refund.due_on if refund else None
        values["amount"] = refund.amount if refund else None
    elif status == "completed" and kind == "exchange":
        stage = "exchange_completed"
    elif status == "completed":
        stage = "request_refunded" if refund is not None else "request_completed"
        if refund is not None:
            values.update(
                amount=refund.amount,
                credited_on=refund.credited_on,
                credit_latest=refund.credit_latest,
            )
            if refund.credited_on is None:
                stage = "request_refund_paying"
    else:  # rejected / cancelled
        stage = f"request_{status}"
    wants_photos = kind != "refund_only" and ReturnReason(request.reason).merchant_fault
    if status in ("submitted", "approved") and wants_photos:
        values["photos"] = len(repo.photos_of(request.public_id))  # evidence the review uses
    return RequestView(
        kind=kind,
        public_id=request.public_id,
        stage=stage,
        is_open=status in OPEN_REQUEST_STATUSES,
        product=request.item.product_name if request.item else None,
        values=values,
    )


def _booking_view(booking: RepairBooking) -> RequestView:
    values: dict[str, Any] = {
        "respond_due": booking.respond_due,
        "complete_due": booking.complete_due,
        # a send-in repair's clock starts when the item arrives, a date nobody knows yet
        "complete_working_days": configured_rules().repair_completion_working_days,
        "visit_start": booking.slot_start,
        "visit_end": booking.slot_end,
    }
    if booking.status == "booked" and booking.slot_start is not None:
        stage = "repair_visit_booked"
    elif booking.status == "booked":
        stage = "repair_send_in"
    else:  # in_progress / done / cancelled
        stage = f"repair_{booking.status}"
    return RequestView(
        kind="repair",
        public_id=booking.public_id,
        stage=stage,
        is_open=booking.status in ACTIVE_BOOKING_STATUSES,
        product=booking.item.product_name if booking.item else None,
        values=values,
    )


def _complaint_view(complaint: Complaint) -> RequestView:
    values: dict[str, Any] = {
        "reply_due": complaint.reply_due,
        "solution_due": complaint.solution_due,
        "result_due": complaint.result_due,
        "reply": complaint.reply or "",
    }
    return RequestView(
        kind="complaint",
        public_id=complaint.public_id,
        stage=f"complaint_{complaint.status}",
        is_open=complaint.status in OPEN_COMPLAINT_STATUSES,
        values=values,
    )


def _parcel_view(ticket: ParcelTicket) -> RequestView:
    values: dict[str, Any] = {
        "check_due": ticket.check_due,
        "claim_deadline": ticket.claim_deadline,
        "outcome": ticket.outcome or "",
    }
    stage = "parcel_checking" if ticket.status == "open" else f"parcel_{ticket.status}"
    return RequestView(
        kind="parcel",
        public_id=ticket.public_id,
        stage=stage,
        is_open=ticket.status == "open",
        values=values,
    )


def _made_by_the_owner(repo: AfterSalesRepository, order: Order, complaint: Complaint) -> bool:
    """A complaint may name any order without proof (the team still sees it); the order's
    owner is shown only those made in a conversation that proved the order, or by the team."""
    if complaint.conversation_id is None:
        return True
    return repo.has_ownership_proof(order, complaint.conversation_id, since=ANY_TIME)


def _recent(created_at: dt.datetime, is_open: bool, now: dt.datetime) -> bool:
    return is_open or now - created_at <= dt.timedelta(days=RECENT_DAYS)


def views_of_order(repo: AfterSalesRepository, order: Order, now: dt.datetime) -> list[RequestView]:
    """Every open (or recently closed) request of the order, newest first by kind."""
    views: list[RequestView] = []
    for request in repo.requests_of_order(order):
        view = _request_view(repo, request)
        if _recent(request.created_at, view.is_open, now):
            views.append(view)
    for booking in repo.bookings_of_order(order):
        view = _booking_view(booking)
        if _recent(booking.created_at, view.is_open, now):
            views.append(view)
    for complaint in repo.complaints_of_order(order):
        if not _made_by_the_owner(repo, order, complaint):
            continue
        view = _complaint_view(complaint)
        if _recent(complaint.created_at, view.is_open, now):
            views.append(view)
    for ticket in repo.parcel_tickets_of_order(order):
        view = _parcel_view(ticket)
        if _recent(ticket.created_at, view.is_open, now):
            views.append(view)
    return views


def request_status(order_no: str, conversation_id: str) -> list[RequestView]:
    """Where each request of an order this conversation proved it owns stands, and this
    conversation's request for a person if one is waiting. Open ones first."""
    now = shop_now()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        views = views_of_order(repo, order, now)
        handoff = repo.waiting_handoff(conversation_id)
        if handoff is not None:
            views.append(
                RequestView(kind="handoff", public_id=handoff.public_id, stage="handoff_waiting",
                            is_open=True)
            )  # fmt: skip
        return sorted(views, key=lambda view: not view.is_open)


def describe_request(public_id: str, conversation_id: str) -> RequestView | None:
    """One application or booking by its id, if this conversation proved its order (the
    duplicate an attempt to apply twice ran into)."""
    now = shop_now()
    with open_repository() as repo:
        for view in _views_by_id(repo, public_id, conversation_id, now):
            return view
        return None


def _views_by_id(
    repo: AfterSalesRepository, public_id: str, conversation_id: str, now: dt.datetime
) -> list[RequestView]:
    subject: AfterSalesRequest | RepairBooking | Complaint | ParcelTicket
    try:
        subject = repo.find_subject(public_id)
    except InvalidRequest:
        try:
            subject = repo.find_parcel_ticket(public_id)
        except InvalidRequest:
            return []
    if subject.order is None:
        return []
    require_proof(repo, subject.order, conversation_id)
    return [v for v in views_of_order(repo, subject.order, now) if v.public_id == public_id]

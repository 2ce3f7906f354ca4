"""The service team's side of a request: approve, receive the goods, pay, finish, reply.

Each step checks the request is in the state it follows, sets the policy's next dates, and
records an event. A step that closes a request sets the resolution of the rating that rated
it (for returns and repairs "solved?" is not asked in the conversation). A return's refund record is created when its goods arrive, with the
refund and bank-credit dates counted from that day. The seed, the tests and the operator's
command line (`python -m bot handle …`) all move requests through these functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal

from bot.clock import shop_now
from bot.policy import completion_due, configured_calendar, configured_rules, refund_schedule
from bot.services.returns import item_refund_amount
from bot.store import AfterSalesRepository, InvalidRequest, open_repository
from bot.store.models import (
    AfterSalesRequest,
    Complaint,
    HandoffRequest,
    Order,
    ParcelTicket,
    RepairBooking,
)
from bot.tracking import parse_tracking

RESHIPPED_SCAN = "商家已补发，等待快递揽收"


def _expect(current: str, allowed: tuple[str, ...], public_id: str, step: str) -> None:
    if current not in allowed:
        raise InvalidRequest(f"cannot {step} {public_id}: it is {current}")


def approve(repo: AfterSalesRepository, request: AfterSalesRequest, now: dt.datetime) -> None:
    """The merchant accepts the application; the customer may now send the goods back."""
    _expect(request.status, ("submitted",), request.public_id, "approve")
    request.status = "approved"
    repo.record_event(request.public_id, "approved", actor="agent", now=now)


def reject(
    repo: AfterSalesRepository, request: AfterSalesRequest, now: dt.datetime, why: str
) -> None:
    """The merchant refuses the application, saying why."""
    _expect(request.status, ("submitted",), request.public_id, "reject")
    request.status = "rejected"
    repo.record_event(request.public_id, "rejected", actor="agent", now=now, detail={"why": why})
    repo.record_resolution(request.public_id, False, now)


def receive_goods(repo: AfterSalesRepository, request: AfterSalesRequest, now: dt.datetime) -> None:
    """The returned goods are back at the warehouse: a return's refund is now owed, due by
    the policy's working days from today."""
    _expect(request.status, ("approved",), request.public_id, "receive the goods of")
    today = now.astimezone(repo.tz).date()
    request.status = "received"
    request.goods_received_on = today
    repo.record_event(request.public_id, "goods_received", actor="agent", now=now)
    if request.kind != "return" or request.item is None:
        return
    quality = request.quality_problem
    schedule = refund_schedule(
        today, quality=quality, rules=configured_rules(), calendar=configured_calendar()
    )
    amount = item_refund_amount(request.order, request.item, buyer_reason=not quality, shipped=True)
    refund = repo.open_refund(
        request.order, amount=amount, quality_problem=quality, now=now, request=request,
        goods_received_on=today, schedule=schedule,
    )  # fmt: skip
    repo.record_event(
        request.public_id, "refund_opened", actor="system", now=now,
        detail={"refund": refund.public_id, "amount": amount, "due_on": schedule.refund_due},
    )  # fmt: skip


def pay_out(repo: AfterSalesRepository, request: AfterSalesRequest, now: dt.datetime) -> None:
    """The merchant paid the refund out; the bank credits it within its working days."""
    refund = request.refund
    if refund is None or refund.paid_out_on is not None:
        raise InvalidRequest(f"{request.public_id} has no refund waiting to be paid")
    refund.paid_out_on = now.astimezone(repo.tz).date()
    request.status = "completed"
    repo.record_event(request.public_id, "refund_paid_out", actor="agent", now=now)
    repo.record_resolution(request.public_id, True, now)


def confirm_credited(
    repo: AfterSalesRepository, request: AfterSalesRequest, now: dt.datetime
) -> None:
    """The payment route confirmed the money reached the customer."""
    refund = request.refund
    if refund is None or refund.paid_out_on is None or refund.credited_on is not None:
        raise InvalidRequest(f"{request.public_id} has no refund on its way")
    refund.credited_on = now.astimezone(repo.tz).date()
    repo.record_event(request.public_id, "refund_credited", actor="system", now=now)


def ship_replacement(
    repo: AfterSalesRepository, request: AfterSalesRequest, now: dt.datetime
) -> None:
    """The exchanged item is on its way: the exchange is done."""
    if request.kind != "exchange":
        raise InvalidRequest(f"{request.public_id} is not an exchange")
    _expect(request.status, ("received",), request.public_id, "ship the replacement of")
    request.status = "completed"
    repo.record_event(request.public_id, "replacement_shipped", actor="agent", now=now)
    repo.record_resolution(request.public_id, True, now)


def start_repair(repo: AfterSalesRepository, booking: RepairBooking, now: dt.datetime) -> None:
    """The technician has the item (or is at the customer's): it can no longer be moved."""
    _expect(booking.status, ("booked",), booking.public_id, "start")
    booking.status = "in_progress"
    if booking.covered and booking.complete_due is None and booking.mode != "onsite":
        # a repair by post: its promised date counts from the day the item is taken in
        today = now.astimezone(repo.tz).date()
        booking.complete_due = completion_due(today, configured_rules(), configured_calendar())
    repo.record_event(booking.public_id, "started", actor="agent", now=now)


def finish_repair(repo: AfterSalesRepository, booking: RepairBooking, now: dt.datetime) -> None:
    """The repair is done; the customer is told (see bot.services.ticks)."""
    _expect(booking.status, ("booked", "in_progress"), booking.public_id, "finish")
    booking.status = "done"
    booking.finished_at = now
    repo.record_event(booking.public_id, "finished", actor="agent", now=now)
    repo.record_resolution(booking.public_id, True, now)


def reply_complaint(
    repo: AfterSalesRepository, complaint: Complaint, now: dt.datetime, reply: str
) -> None:
    """The service team's answer to a complaint, which the customer is sent."""
    _expect(complaint.status, ("open", "replied"), complaint.public_id, "reply to")
    if not reply.strip():
        raise InvalidRequest("a reply needs text")
    complaint.status = "replied"
    complaint.reply = reply.strip()
    complaint.replied_at = complaint.replied_at or now
    repo.record_event(complaint.public_id, "replied", actor="agent", now=now)


def resolve_complaint(repo: AfterSalesRepository, complaint: Complaint, now: dt.datetime) -> None:
    """The complaint is settled."""
    _expect(complaint.status, ("open", "replied"), complaint.public_id, "resolve")
    complaint.status = "resolved"
    repo.record_event(complaint.public_id, "resolved", actor="agent", now=now)
    repo.record_resolution(complaint.public_id, True, now)


PARCEL_OUTCOMES = {"parcel-found": "found", "reshipped": "reshipped", "parcel-refunded": "refunded"}


def close_parcel_check(
    repo: AfterSalesRepository, ticket: ParcelTicket, now: dt.datetime, status: str, outcome: str
) -> None:
    """The carrier was asked: the parcel was found, a new one sent, or the order refunded."""
    _expect(ticket.status, ("open",), ticket.public_id, "close")
    if status not in PARCEL_OUTCOMES.values():
        raise InvalidRequest(f"unknown parcel outcome {status!r}")
    if not outcome.strip():
        raise InvalidRequest("say what the check found")
    detail: dict[str, object] = {"outcome": outcome}
    if status == "reshipped":
        detail.update(_reship(ticket.order, outcome, now))
    elif status == "refunded":
        detail.update(_refund_lost_parcel(repo, ticket.order, now))
    ticket.status = status
    ticket.outcome = outcome.strip()
    repo.record_event(ticket.public_id, status, actor="agent", now=now, detail=detail)
    repo.record_resolution(ticket.public_id, True, now)
    if ticket.conversation_id:  # the customer hears what the check found
        repo.queue_notice(
            conversation_id=ticket.conversation_id, kind=f"parcel_{status}",
            subject=ticket.public_id, now=now,
            values={"request_id": ticket.public_id, "outcome": ticket.outcome},
        )  # fmt: skip


def take_handoff(repo: AfterSalesRepository, handoff: HandoffRequest, now: dt.datetime) -> None:
    """An agent has the conversation: it leaves the waiting list, and nobody else takes it."""
    _expect(handoff.status, ("waiting",), handoff.public_id, "take")
    handoff.status = "taken"
    repo.record_event(handoff.public_id, "taken", actor="agent", now=now)


def close_handoff(
    repo: AfterSalesRepository, handoff: HandoffRequest, now: dt.datetime, note: str
) -> None:
    """An agent finished with the customer: the handoff is done, and the conversation is
    offered the survey (once per conversation, and not if it already gave a score)."""
    _expect(handoff.status, ("waiting", "taken"), handoff.public_id, "close")
    handoff.status = "done"
    repo.record_event(
        handoff.public_id, "closed", actor="agent", now=now,
        detail={"note": note.strip()} if note.strip() else None,
    )  # fmt: skip
    if not repo.has_rated(handoff.conversation_id):
        repo.queue_notice(
            conversation_id=handoff.conversation_id, kind="survey", subject=handoff.public_id,
            values={"request_id": handoff.public_id, "topic": handoff.topic or "handoff"},
            now=now, dedupe_key="survey:" + _digest(handoff.conversation_id),
        )  # fmt: skip


def _digest(text: str) -> str:
    """A fixed-length key for a conversation id of any length."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _reship(order: Order, outcome: str, now: dt.datetime) -> dict[str, object]:
    """The new parcel replaces the lost one on the order: its tracking is what the status,
    a later logistics check and the stall clock read from now on."""
    tracking = parse_tracking(outcome)
    if tracking is None:
        raise InvalidRequest("say the new parcel's courier and number, e.g. 顺丰 SF1234567890123")
    replaced = {"old_courier": order.courier, "old_tracking_no": order.tracking_no}
    order.courier, order.tracking_no = tracking.courier.code, tracking.number
    order.last_scan, order.last_scan_at = RESHIPPED_SCAN, now
    if order.status == "delivered":  # signed for, never received: the goods are on the road again
        order.status, order.delivered_at = "shipped", None
    return {**replaced, "courier": tracking.courier.code, "tracking_no": tracking.number}


def _refund_lost_parcel(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> dict[str, object]:
    """A lost parcel is the shop's loss: what the customer paid and was not yet refunded
    comes back by the original route, on the schedule of a refund the shop caused."""
    paid = order.amount + order.shipping_fee
    owed = paid - sum((r.amount for r in repo.refunds_for_order(order)), Decimal(0))
    if owed <= 0:
        raise InvalidRequest(f"order {order.order_no} has been refunded in full already")
    today = now.astimezone(repo.tz).date()
    schedule = refund_schedule(
        today, quality=True, rules=configured_rules(), calendar=configured_calendar()
    )
    refund = repo.open_refund(order, amount=owed, quality_problem=True, now=now, schedule=schedule)
    return {"refund": refund.public_id, "amount": owed, "due_on": schedule.refund_due}


# The steps the operator's command line offers: name → (finder, step).
STEPS: dict[str, tuple[str, Callable[..., None]]] = {
    "approve": ("request", approve),
    "receive": ("request", receive_goods),
    "pay": ("request", pay_out),
    "credited": ("request", confirm_credited),
    "ship": ("request", ship_replacement),
    "start-repair": ("booking", start_repair),
    "finish-repair": ("booking", finish_repair),
    "resolve": ("complaint", resolve_complaint),
}


def apply_step(step: str, public_id: str, text: str | None = None) -> None:
    """Run one operator step on a request by its public id, now (`text`: a reply, a reason
    or what a parcel check found, for `reply`, `reject` and the parcel steps)."""
    now = shop_now()
    with open_repository() as repo:
        if step == "reply":
            reply_complaint(repo, repo.find_complaint(public_id), now, text or "")
        elif step == "reject":
            reject(repo, repo.find_request(public_id), now, text or "")
        elif step == "take-handoff":
            take_handoff(repo, repo.find_handoff(public_id), now)
        elif step == "close-handoff":
            close_handoff(repo, repo.find_handoff(public_id), now, text or "")
        elif step in PARCEL_OUTCOMES:
            ticket = repo.find_parcel_ticket(public_id)
            close_parcel_check(repo, ticket, now, PARCEL_OUTCOMES[step], text or "")
        elif step in STEPS:
            kind, function = STEPS[step]
            finders = {
                "request": repo.find_request,
                "booking": repo.find_booking,
                "complaint": repo.find_complaint,
            }
            function(repo, finders[kind](public_id), now)
        else:
            raise InvalidRequest(f"unknown step {step!r}")

"""Promises the system keeps by itself: `python -m bot tick`, run every minute.

Each run looks at the dates that have passed and acts once per request, however often it
runs (every action is an event or a notice with a unique key in the store):
- an application unreviewed after its review date goes to a person, and so does a logistics
  check unanswered after its promised time;
- a repair unfinished after its promised date earns the policy's compensation, recorded and
  told to the customer;
- a complaint within the warning time of its reply deadline is flagged for the team;
- the customer is sent word when a refund is credited, the technician comes tomorrow, a
  repair is done or a complaint is answered (queued in `customer_notices` for the
  conversation's channel).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from bot.clock import shop_now
from bot.policy import configured_rules, repair_is_late, reply_due_soon
from bot.services.admission import WINDOW as CONVERSATION_WINDOW
from bot.store import AfterSalesRepository, open_repository

logger = logging.getLogger(__name__)

LOOK_BACK_DAYS = 14  # how far back a missed notice is still worth sending


@dataclass
class TickReport:
    """How many things one run did (0 everywhere on a second run at the same time)."""

    escalated: int = 0
    compensated: int = 0
    flagged: int = 0
    notices: int = 0
    photos_deleted: int = 0


def run_tick(now: dt.datetime | None = None) -> TickReport:
    """One pass over the store's dates; safe to run as often as wanted, from any process."""
    now = now or shop_now()
    report = TickReport()
    with open_repository() as repo:
        report.escalated = _escalate_overdue_reviews(repo, now) + _escalate_parcel_checks(repo, now)
        report.compensated = _compensate_late_repairs(repo, now)
        report.flagged = _flag_complaints_due(repo, now)
        report.notices = _queue_notices(repo, now)
        report.photos_deleted = _purge_photos(repo, now)
        repo.forget_conversation_starts(before=now - CONVERSATION_WINDOW)
    if any(vars(report).values()):
        logger.info("tick: %s", report)
    return report


def _purge_photos(repo: AfterSalesRepository, now: dt.datetime) -> int:
    """Photos of ended applications past the retention period go; each application's trail
    says how many and when."""
    cutoff = now - dt.timedelta(days=configured_rules().photo_retention_days)
    purged = repo.purge_photos(cutoff)
    for subject, count in purged.items():
        repo.record_event(subject, "photos_deleted", actor="system", now=now,
                          detail={"photos": count})  # fmt: skip
    return sum(purged.values())


def _escalate_overdue_reviews(repo: AfterSalesRepository, now: dt.datetime) -> int:
    count = 0
    for request in repo.reviews_overdue(now.astimezone(repo.tz).date()):
        if not repo.record_event(request.public_id, "review_overdue", actor="system", now=now,
                                 detail={"review_due": request.review_due}, once=True):  # fmt: skip
            continue
        repo.request_handoff(
            conversation_id=request.conversation_id or f"request:{request.public_id}",
            reason="review_overdue", now=now, topic=request.kind, order=request.order,
            actor="system",
        )  # fmt: skip
        count += 1
    return count


def _escalate_parcel_checks(repo: AfterSalesRepository, now: dt.datetime) -> int:
    count = 0
    for ticket in repo.parcel_checks_overdue(now):
        if not repo.record_event(ticket.public_id, "check_overdue", actor="system", now=now,
                                 detail={"check_due": ticket.check_due}, once=True):  # fmt: skip
            continue
        repo.request_handoff(
            conversation_id=ticket.conversation_id or f"request:{ticket.public_id}",
            reason="parcel_check_overdue", now=now, topic="parcel", order=ticket.order,
            actor="system",
        )  # fmt: skip
        count += 1
    return count


def _compensate_late_repairs(repo: AfterSalesRepository, now: dt.datetime) -> int:
    coupon = configured_rules().repair_late_coupon_yuan
    today = now.astimezone(repo.tz).date()
    count = 0
    for booking in repo.repairs_open_past(today):
        if not repair_is_late(today, booking.status, booking.complete_due):
            continue
        if not repo.record_event(booking.public_id, "late_compensation", actor="system", now=now,
                                 detail={"coupon_yuan": coupon,
                                         "complete_due": booking.complete_due},
                                 once=True):  # fmt: skip
            continue
        if booking.conversation_id:
            repo.queue_notice(
                conversation_id=booking.conversation_id, kind="repair_late",
                subject=booking.public_id, now=now,
                values={"request_id": booking.public_id, "coupon": coupon,
                        "complete_due": booking.complete_due},
            )  # fmt: skip
        count += 1
    return count


def _flag_complaints_due(repo: AfterSalesRepository, now: dt.datetime) -> int:
    rules = configured_rules()
    warning = now + dt.timedelta(hours=rules.complaint_reply_warning_hours)
    count = 0
    for complaint in repo.unanswered_complaints_due_by(warning):
        if reply_due_soon(now, complaint.status, complaint.reply_due, rules) and repo.record_event(
            complaint.public_id, "reply_due_soon", actor="system", now=now,
            detail={"reply_due": complaint.reply_due}, once=True,
        ):  # fmt: skip
            count += 1
    return count


def _queue_notices(repo: AfterSalesRepository, now: dt.datetime) -> int:
    today = now.astimezone(repo.tz).date()
    since = now - dt.timedelta(days=LOOK_BACK_DAYS)
    queued = 0
    for refund in repo.refunds_credited_since(today - dt.timedelta(days=LOOK_BACK_DAYS)):
        conversation = refund.request.conversation_id if refund.request else None
        if conversation:
            queued += repo.queue_notice(
                conversation_id=conversation, kind="refund_credited", subject=refund.public_id,
                now=now, values={"refund_id": refund.public_id, "amount": str(refund.amount),
                                 "route": refund.route, "credited_on": refund.credited_on},
            )  # fmt: skip
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=repo.tz)
    for booking in repo.visits_between(tomorrow, tomorrow + dt.timedelta(days=1)):
        if booking.conversation_id and booking.slot_start is not None:
            queued += repo.queue_notice(
                conversation_id=booking.conversation_id, kind="visit_tomorrow",
                subject=booking.public_id, now=now,
                dedupe_key=f"{booking.public_id}:visit:{booking.slot_start.isoformat()}",
                values={"request_id": booking.public_id, "visit_start": booking.slot_start,
                        "visit_end": booking.slot_end},
            )  # fmt: skip
    for booking in repo.repairs_finished_since(since):
        if booking.conversation_id:
            queued += repo.queue_notice(
                conversation_id=booking.conversation_id, kind="repair_done",
                subject=booking.public_id, now=now, values={"request_id": booking.public_id},
            )  # fmt: skip
    for complaint in repo.complaints_replied_since(since):
        if complaint.conversation_id:
            queued += repo.queue_notice(
                conversation_id=complaint.conversation_id, kind="complaint_replied",
                subject=complaint.public_id, now=now,
                values={"request_id": complaint.public_id, "reply": complaint.reply},
            )  # fmt: skip
    return queued

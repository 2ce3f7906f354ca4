"""What a customer may still change after applying, and when the shop's own dates have passed.

Pure functions over states and times; the services apply them and record what happened.
"""

from __future__ import annotations

import datetime as dt

from bot.policy.calendar import WorkCalendar
from bot.policy.rules import PolicyRules

# A return or exchange can be withdrawn until the goods are back at the warehouse: after
# that the shop has inspected or refunded them and a person must undo it.
WITHDRAWABLE_REQUEST_STATUSES = frozenset({"submitted", "approved"})
# A tracking number is useful while the shop still waits for the parcel.
AWAITING_PARCEL_STATUSES = frozenset({"submitted", "approved"})
CHANGEABLE_BOOKING_STATUSES = frozenset({"booked"})
OPEN_COMPLAINT_STATUSES = frozenset({"open", "replied"})


def working_hours_between(
    start: dt.datetime, end: dt.datetime, rules: PolicyRules, calendar: WorkCalendar
) -> float:
    """Hours inside the on-site service hours of working days between two aware times."""
    if end <= start:
        return 0.0
    tz = start.tzinfo
    total = dt.timedelta(0)
    day = start.date()
    while day <= end.astimezone(tz).date():
        workday, _estimated = calendar.is_workday(day)
        if workday:
            opens = dt.datetime.combine(day, dt.time(rules.onsite_service_start_hour), tzinfo=tz)
            closes = dt.datetime.combine(day, dt.time(rules.onsite_service_end_hour), tzinfo=tz)
            overlap = min(closes, end) - max(opens, start)
            total += max(overlap, dt.timedelta(0))
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


def visit_changeable(
    now: dt.datetime, visit_start: dt.datetime | None, rules: PolicyRules, calendar: WorkCalendar
) -> bool:
    """May the customer still move or cancel this booking themselves? A send-in repair (no
    visit) always; a visit only with the notice the technicians need."""
    if visit_start is None:
        return True
    notice = working_hours_between(now, visit_start, rules, calendar)
    return notice >= rules.repair_change_notice_working_hours


def repair_is_late(today: dt.date, status: str, complete_due: dt.date | None) -> bool:
    """A repair still open after the date it was promised for (compensation is owed)."""
    return status in ("booked", "in_progress") and complete_due is not None and today > complete_due


def reply_due_soon(
    now: dt.datetime, status: str, reply_due: dt.datetime, rules: PolicyRules
) -> bool:
    """An unanswered complaint within the warning time of (or past) its reply deadline."""
    warning = dt.timedelta(hours=rules.complaint_reply_warning_hours)
    return status == "open" and reply_due - now <= warning

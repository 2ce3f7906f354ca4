"""Repair eligibility, deadlines and on-site time slots (policy section 4)."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from bot.policy.calendar import WorkCalendar
from bot.policy.facts import (
    Decision,
    DecisionValues,
    ItemFacts,
    OrderFacts,
    OrderStatus,
    Party,
    Verdict,
)
from bot.policy.rules import PolicyRules


def warranty_last_day(delivered_on: dt.date, months: int) -> dt.date:
    """The last covered day: a 12-month warranty from 2025-01-05 covers up to 2026-01-04."""
    return delivered_on + relativedelta(months=months) - dt.timedelta(days=1)


def completion_due(starts: dt.date, rules: PolicyRules, calendar: WorkCalendar) -> dt.date:
    """When a covered repair must be finished, counted from the day the work can start: the
    visit's day on site, the day the item is taken in by post."""
    return calendar.add_working_days(starts, rules.repair_completion_working_days).date


def decide_repair(
    order: OrderFacts,
    item: ItemFacts,
    today: dt.date,
    rules: PolicyRules,
    calendar: WorkCalendar,
    *,
    human_damage: bool = False,
    work_starts: dt.date | None = None,
) -> Decision:
    """Is a free repair covered, how is it done, and by when must we respond and finish?

    Completion is counted from `work_starts` when the work cannot start earlier (a booked
    visit's day), so the promised date never falls before the technician arrives.
    """
    order.check_against(today)
    if order.status is not OrderStatus.DELIVERED:
        return Decision(Verdict.NOT_DELIVERED, allowed=False)
    assert order.delivered_on is not None
    onsite = item.category in rules.onsite_categories
    values = DecisionValues(product=item.product_name, onsite=onsite)
    if order.warranty_months <= 0:
        return Decision(Verdict.REPAIR_NO_WARRANTY, allowed=False, values=values)
    last_day = warranty_last_day(order.delivered_on, order.warranty_months)
    values = values.with_(warranty_months=order.warranty_months, warranty_last_day=last_day)
    if today > last_day:
        return Decision(Verdict.REPAIR_OUT_OF_WARRANTY, allowed=False, values=values)
    if human_damage:
        return Decision(Verdict.REPAIR_HUMAN_DAMAGE, allowed=False, values=values)

    respond = calendar.add_working_days(today, rules.repair_response_working_days)
    complete = calendar.add_working_days(
        max(today, work_starts or today), rules.repair_completion_working_days
    )
    values = values.with_(
        shipping_payer=Party.MERCHANT,
        respond_due=respond.date,
        respond_working_days=rules.repair_response_working_days,
        complete_due=complete.date,
        complete_working_days=rules.repair_completion_working_days,
    )
    return Decision(
        Verdict.REPAIR_COVERED,
        allowed=True,
        values=values,
        estimated=respond.estimated or complete.estimated,
    )


def check_onsite_slot(
    start: dt.datetime, end: dt.datetime, now: dt.datetime, rules: PolicyRules
) -> Decision:
    """Is [start, end) a bookable on-site visit: future, inside service hours, not too far?

    All three datetimes must be in the shop's time zone (aware) or all naive.
    """
    values = DecisionValues(
        start_hour=rules.onsite_service_start_hour,
        end_hour=rules.onsite_service_end_hour,
        horizon_days=rules.onsite_booking_horizon_days,
    )
    if start <= now:
        return Decision(Verdict.SLOT_IN_PAST, allowed=False, values=values)
    opens = start.replace(hour=rules.onsite_service_start_hour, minute=0, second=0, microsecond=0)
    closes = opens + dt.timedelta(
        hours=rules.onsite_service_end_hour - rules.onsite_service_start_hour
    )
    if not (opens <= start < end <= closes):
        return Decision(Verdict.SLOT_OUTSIDE_HOURS, allowed=False, values=values)
    if start.date() > now.date() + dt.timedelta(days=rules.onsite_booking_horizon_days):
        return Decision(Verdict.SLOT_TOO_FAR, allowed=False, values=values)
    return Decision(Verdict.SLOT_OK, allowed=True, values=values)


def clip_to_service_hours(
    start: dt.datetime, end: dt.datetime, rules: PolicyRules
) -> tuple[dt.datetime, dt.datetime]:
    """A requested visit window narrowed to that day's service hours ('明天下午' is 12–18,
    the technicians work until 18). A window wholly outside them is kept one hour long, so
    `check_onsite_slot` can say why it is refused."""
    opens = start.replace(hour=rules.onsite_service_start_hour, minute=0, second=0, microsecond=0)
    closes = opens + dt.timedelta(
        hours=rules.onsite_service_end_hour - rules.onsite_service_start_hour
    )
    clipped_start, clipped_end = max(start, opens), min(end, closes)
    if clipped_end <= clipped_start:
        return start, start + dt.timedelta(hours=1)
    return clipped_start, clipped_end


def decide_paid_repair(
    verdict: Verdict, today: dt.date, rules: PolicyRules, calendar: WorkCalendar
) -> Decision:
    """A repair the warranty does not cover, which the customer agreed to pay for after a
    quote: we respond within the usual working days; completion comes with the quote."""
    respond = calendar.add_working_days(today, rules.repair_response_working_days)
    return Decision(
        verdict,
        allowed=False,
        values=DecisionValues(respond_due=respond.date),
        estimated=respond.estimated,
    )

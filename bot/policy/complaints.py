"""Complaint service levels and when a complaint goes to a person (policy section 5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from bot.policy.calendar import WorkCalendar
from bot.policy.rules import PolicyRules


class Severity(str, Enum):
    """How serious the customer's complaint is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class ComplaintDeadlines:
    """Every promise a complaint ticket carries."""

    reply_due: dt.datetime  # first reply (hours, round the clock)
    solution_due: dt.datetime  # a proposed solution
    dispute_start_due: dt.date  # formal dispute procedure starts (working days)
    dispute_result_due: dt.date  # its result (working days)
    estimated: bool


def complaint_deadlines(
    opened_at: dt.datetime, rules: PolicyRules, calendar: WorkCalendar
) -> ComplaintDeadlines:
    """The SLA deadlines of a complaint opened at `opened_at` (in the shop's time zone)."""
    start = calendar.add_working_days(opened_at.date(), rules.dispute_start_working_days)
    result = calendar.add_working_days(opened_at.date(), rules.dispute_result_working_days)
    return ComplaintDeadlines(
        reply_due=opened_at + dt.timedelta(hours=rules.complaint_reply_hours),
        solution_due=opened_at + dt.timedelta(hours=rules.complaint_solution_hours),
        dispute_start_due=start.date,
        dispute_result_due=result.date,
        estimated=start.estimated or result.estimated,
    )


def needs_human(
    rules: PolicyRules, *, severity: Severity, angry: bool, earlier_complaints: int, asked: bool
) -> bool:
    """Angry or repeated complaints, serious ones, and explicit requests go to an agent."""
    return (
        asked
        or angry
        or severity is Severity.HIGH
        or earlier_complaints >= rules.repeat_complaint_threshold
    )


def agents_on_duty(moment: dt.datetime, rules: PolicyRules) -> bool:
    """Are human agents working at `moment` (shop time)? Outside the hours a handoff waits
    for the next opening."""
    return rules.agent_service_start_hour <= moment.hour < rules.agent_service_end_hour

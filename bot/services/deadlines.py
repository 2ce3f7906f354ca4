"""What the shop has promised and not yet done, nearest deadline first (`python -m bot sla`
and the operator console)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.chinese_dates import format_date
from bot.clock import shop_now
from bot.policy import PolicyRules, configured_rules
from bot.store import open_repository

# What each promise is, as the service team says it.
LABELS = {
    "complaint_reply": "投诉答复",
    "complaint_solution": "投诉解决方案",
    "review": "退换货审核",
    "exchange_ship": "换货发出",
    "refund_pay": "退款打款",
    "repair_visit": "上门维修",
    "repair_complete": "维修完成",
    "parcel_check": "物流核查答复",
    "handoff": "人工接待",
}


@dataclass(frozen=True)
class Deadline:
    """One open promise and the time left to keep it (negative: already broken)."""

    what: str  # a key of LABELS
    public_id: str
    due: dt.datetime  # in the shop's zone
    left: dt.timedelta
    conversation_id: str | None = None  # where the customer asked, for the transcript

    @property
    def label(self) -> str:
        """The promise in the service team's words."""
        return LABELS[self.what]

    @property
    def overdue(self) -> bool:
        """Has the deadline passed?"""
        return self.left < dt.timedelta(0)


def handoff_due(asked: dt.datetime, rules: PolicyRules) -> dt.datetime:
    """A person answers within `consultation_reply_hours` of the request, counted from the
    agents' next opening when it came outside their hours."""
    start = asked
    opens = start.replace(hour=rules.agent_service_start_hour, minute=0, second=0, microsecond=0)
    closes = start.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(
        hours=rules.agent_service_end_hour
    )
    if start < opens:
        start = opens
    elif start >= closes:
        start = opens + dt.timedelta(days=1)
    return start + dt.timedelta(hours=rules.consultation_reply_hours)


def _moment(due: dt.date | dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A due date ends at the following midnight in the shop's zone."""
    if isinstance(due, dt.datetime):
        return due.astimezone(tz)
    return dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), tz)


def open_deadlines(within: dt.timedelta | None = None) -> list[Deadline]:
    """Every open promise, or only those overdue or due within `within`; nearest first."""
    now = shop_now()
    tz = now.tzinfo or dt.timezone.utc
    rules = configured_rules()
    with open_repository() as repo:
        commitments = repo.open_commitments()
    found = []
    for what, public_id, due, conversation_id in commitments:
        moment = _moment(due, tz)
        if what == "handoff":
            moment = handoff_due(moment, rules)
        if within is None or moment - now <= within:
            found.append(Deadline(what, public_id, moment, moment - now, conversation_id))
    return sorted(found, key=lambda d: (d.due, d.public_id))


KEPT_WEEKS = 8
# The commitment plan's promises the store can check, as the console's columns.
KEPT_LABELS = {"complaint_reply": "投诉24小时答复", "complaint_solution": "投诉48小时方案",
               "refund_pay": "按时退款"}  # fmt: skip


def kept_per_week(weeks: int = KEPT_WEEKS) -> dict[str, dict[str, tuple[int, int]]]:
    """(kept, counted) per kind of promise for each of the last `weeks` ISO weeks."""
    from bot.insights.figures import kept_by_week

    now = shop_now()
    monday = now.date() - dt.timedelta(days=now.weekday() + 7 * (weeks - 1))
    since = dt.datetime.combine(monday, dt.time(), now.tzinfo)
    with open_repository() as repo:
        promises = repo.promises_due_between(since, now + dt.timedelta(days=1))
    return kept_by_week(promises, now)


def due_text(due: dt.datetime) -> str:
    """'11月29日（周日）18:18'; a date's deadline as '12月1日（周二）当天'."""
    if due.time() == dt.time():
        return f"{format_date(due.date() - dt.timedelta(days=1))}当天"
    return f"{format_date(due.date())}{due:%H:%M}"


def time_left(left: dt.timedelta) -> str:
    """'还剩 3小时05分' / '已超时 2天4小时'."""
    minutes = int(abs(left).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    amount = f"{days}天{hours}小时" if days else f"{hours}小时{minutes:02d}分"
    return ("已超时 " if left < dt.timedelta(0) else "还剩 ") + amount

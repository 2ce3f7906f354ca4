"""The satisfaction figures of policy section 6, computed from rating rows alone.

Pure functions: the report (bot.insights.report) loads the rows from the store and draws them;
the tests check these against figures worked out by hand.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from bot.policy import Dimension, PolicyRules

SATISFIED = 4  # overall 4 or 5 counts as satisfied (满意 / 非常满意)
RECOMMENDS = 4  # recommend 4 or 5 counts as would recommend (可能会 / 一定会)


@dataclass(frozen=True)
class RatingRow:
    """One answered (or declined) survey, as the report needs it."""

    created_at: dt.datetime  # in the shop's time zone
    channel: str
    topic: str
    product_category: str | None = None
    team: str | None = None
    scores: dict[Dimension, int | None] = field(default_factory=dict)
    solved: bool | None = None
    comment: str | None = None
    flagged_extreme: bool = False
    declined: bool = False
    subject: str | None = None


@dataclass(frozen=True)
class Summary:
    """The headline figures of a set of ratings; a rate is None when nothing was answered."""

    offered: int  # surveys offered, declined ones included
    answered: int
    means: dict[str, float | None]  # per dimension
    satisfaction_rate: float | None  # share of 4 and 5 on overall
    first_contact_resolution: float | None  # share of 已解决 among those who answered it
    recommend_rate: float | None  # share of 4 and 5 on recommend
    extreme: int  # ratings flagged as all 1s or all 5s

    @property
    def response_rate(self) -> float | None:
        """Share of the surveys offered that were answered."""
        return self.answered / self.offered if self.offered else None


def _share(values: Sequence[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _mean(values: Sequence[int]) -> float | None:
    return fmean(values) if values else None


def summarise(rows: Iterable[RatingRow]) -> Summary:
    """Means per dimension and the satisfaction, first-contact-resolution and recommend rates."""
    rows = list(rows)
    answered = [r for r in rows if not r.declined]

    def scores(dimension: Dimension) -> list[int]:
        return [s for r in answered if (s := r.scores.get(dimension)) is not None]

    overall, recommend = scores(Dimension.OVERALL), scores(Dimension.RECOMMEND)
    return Summary(
        offered=len(rows),
        answered=len(answered),
        means={d.value: _mean(scores(d)) for d in Dimension},
        satisfaction_rate=_share([s >= SATISFIED for s in overall]),
        first_contact_resolution=_share([r.solved for r in answered if r.solved is not None]),
        recommend_rate=_share([s >= RECOMMENDS for s in recommend]),
        extreme=sum(r.flagged_extreme for r in answered),
    )


def month_of(row: RatingRow) -> str:
    """'2026-11'."""
    return f"{row.created_at:%Y-%m}"


def week_of(row: RatingRow) -> str:
    """The ISO week, '2026-W48'."""
    year, week, _ = row.created_at.isocalendar()
    return f"{year}-W{week:02d}"


def by_period(rows: Iterable[RatingRow], period: Callable[[RatingRow], str]) -> dict[str, Summary]:
    """A summary per period label, oldest first; periods without ratings are absent."""
    groups: dict[str, list[RatingRow]] = defaultdict(list)
    for row in rows:
        groups[period(row)].append(row)
    return {label: summarise(groups[label]) for label in sorted(groups)}


@dataclass(frozen=True)
class Comparison:
    """A month against the month before and the same month a year earlier."""

    month: str
    current: Summary
    previous_month: Summary | None
    year_before: Summary | None


def _shift_month(month: str, months: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + months
    return f"{index // 12}-{index % 12 + 1:02d}"


def compare_latest_month(monthly: dict[str, Summary]) -> Comparison | None:
    """Month on month and year on year for the latest month that has ratings."""
    if not monthly:
        return None
    latest = max(monthly)
    return Comparison(
        month=latest,
        current=monthly[latest],
        previous_month=monthly.get(_shift_month(latest, -1)),
        year_before=monthly.get(_shift_month(latest, -12)),
    )


@dataclass(frozen=True)
class Group:
    """One topic, product line, channel or team, and whether it lags the rest."""

    name: str
    summary: Summary
    flagged: bool  # its mean overall score is more than the policy's share below the mean


def by_group(
    rows: Iterable[RatingRow], key: Callable[[RatingRow], str | None], rules: PolicyRules
) -> list[Group]:
    """Groups by `key` (rows without one are left out), worst mean overall score first. A
    group is flagged when its mean overall score is `group_below_mean_share` (15%) or more
    below the mean of all the rows."""
    rows = list(rows)
    overall_mean = summarise(rows).means[Dimension.OVERALL.value]
    groups: dict[str, list[RatingRow]] = defaultdict(list)
    for row in rows:
        name = key(row)
        if name:
            groups[name].append(row)
    result = []
    for name, members in groups.items():
        summary = summarise(members)
        mean = summary.means[Dimension.OVERALL.value]
        flagged = (
            mean is not None
            and overall_mean is not None
            and mean <= overall_mean * (1 - rules.group_below_mean_share)
        )
        result.append(Group(name, summary, flagged))

    def worst_first(group: Group) -> tuple[float, str]:
        mean = group.summary.means[Dimension.OVERALL.value]
        return (mean if mean is not None else 6.0, group.name)

    return sorted(result, key=worst_first)


def extreme_ratings(rows: Iterable[RatingRow]) -> list[RatingRow]:
    """Ratings whose every answer is 1 or every answer is 5: for review, never discarded."""
    return [r for r in rows if r.flagged_extreme and not r.declined]


@dataclass(frozen=True)
class Target:
    """A commitment-plan target and how the period did against it."""

    name: str
    label: str
    goal: float  # the share to reach
    actual: float | None  # None when there was nothing to measure
    met: bool | None


def _target(name: str, label: str, actual: float | None, goal: float) -> Target:
    return Target(name, label, goal, actual, None if actual is None else actual >= goal)


def complaint_reply_share(
    complaints: Iterable[tuple[dt.datetime, dt.datetime | None]], now: dt.datetime, hours: int
) -> float | None:
    """Share of complaints answered within `hours`, from (created, replied) pairs. One still
    unanswered counts as missed once its deadline has passed, and is not counted before."""
    kept: list[bool] = []
    limit = dt.timedelta(hours=hours)
    for created, replied in complaints:
        if replied is not None:
            kept.append(replied - created <= limit)
        elif now - created > limit:
            kept.append(False)
    return _share(kept)


Promise = tuple[str, "dt.date | dt.datetime", "dt.date | dt.datetime | None"]


def _kept(
    due: dt.date | dt.datetime, done: dt.date | dt.datetime | None, now: dt.datetime
) -> bool | None:
    """Kept, broken, or (not done and not yet due) not counted. A date is kept all day."""
    if isinstance(due, dt.datetime):
        if done is None:
            return False if now > due else None
        return isinstance(done, dt.datetime) and done <= due
    if done is None:
        return False if now.date() > due else None
    return (done.date() if isinstance(done, dt.datetime) else done) <= due


def kept_by_week(
    promises: Iterable[Promise], now: dt.datetime
) -> dict[str, dict[str, tuple[int, int]]]:
    """Per ISO week of the deadline, per kind of promise: (kept, counted)."""
    weeks: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for what, due, done in promises:
        kept = _kept(due, done, now)
        if kept is None:
            continue
        day = due.astimezone(now.tzinfo).date() if isinstance(due, dt.datetime) else due
        year, week, _ = day.isocalendar()
        tally = weeks[f"{year}-W{week:02d}"][what]
        tally[0] += kept
        tally[1] += 1
    return {
        week: {what: (kept, counted) for what, (kept, counted) in sorted(kinds.items())}
        for week, kinds in sorted(weeks.items())
    }


def targets(summary: Summary, complaint_share: float | None, rules: PolicyRules) -> list[Target]:
    """The commitment plan: satisfaction, recommendation, and every complaint answered in time."""
    return [
        _target(
            "satisfaction", f"满意率 ≥ {rules.satisfaction_target:.0%}",
            summary.satisfaction_rate, rules.satisfaction_target,
        ),
        _target(
            "recommend", f"推荐率 ≥ {rules.recommend_target:.0%}",
            summary.recommend_rate, rules.recommend_target,
        ),
        _target(
            "complaint_reply", f"投诉 {rules.complaint_reply_hours} 小时内答复",
            complaint_share, 1.0,
        ),
    ]  # fmt: skip

"""`python -m bot report`: the satisfaction report of policy section 6, as one self-contained
HTML page (charts inline) and a JSON file of the same figures, from the real store.

    python -m bot report                                  # the last 12 months, into reports/satisfaction/
    python -m bot report --since 2026-11-01 --until 2026-12-01 --out /tmp/nov
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.clock import shop_now
from bot.config import PROJECT_ROOT
from bot.insights import figures as fig
from bot.insights.bot_quality import BotQuality, bot_quality
from bot.insights.figures import Group, RatingRow, Summary
from bot.insights.keywords import Keyword, keywords
from bot.insights.page import render_page
from bot.policy import Dimension, PolicyRules, configured_rules
from bot.store import open_repository
from bot.store.models import Rating

DEFAULT_OUT = PROJECT_ROOT / "reports" / "satisfaction"
DEFAULT_MONTHS = 12
GROUPINGS: dict[str, Callable[[RatingRow], str | None]] = {
    "topic": lambda r: r.topic,
    "product_line": lambda r: r.product_category,
    "channel": lambda r: r.channel,
    "team": lambda r: r.team,
}


@dataclass(frozen=True)
class Period:
    """[since, until) in the shop's time zone; `until` is exclusive."""

    since: dt.datetime
    until: dt.datetime

    @classmethod
    def of_days(cls, since: dt.date | None, until: dt.date | None, now: dt.datetime) -> Period:
        """Whole days, `until` included; the last 12 months up to today by default."""
        last = until or now.date()
        first = since or (last.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
        if first > last:
            raise ValueError(f"--since {first} is after --until {last}")
        tz = now.tzinfo
        return cls(
            dt.datetime.combine(first, dt.time(), tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz),
        )


def row_of(rating: Rating, tz: dt.tzinfo) -> RatingRow:
    """The stored rating as the figures read it, its time in the shop's zone."""
    return RatingRow(
        created_at=rating.created_at.astimezone(tz),
        channel=rating.channel,
        topic=rating.topic,
        product_category=rating.product_category,
        team=rating.team,
        scores={d: getattr(rating, d.value) for d in Dimension},
        solved=rating.solved,
        comment=rating.comment,
        flagged_extreme=rating.flagged_extreme,
        declined=rating.declined,
        subject=rating.subject,
    )


@dataclass(frozen=True)
class Loaded:
    """What the report reads: ratings, complaint reply times, the bot's own figures."""

    ratings: list[RatingRow]
    complaints: list[tuple[dt.datetime, dt.datetime | None]]
    bot: BotQuality


def load(period: Period, now: dt.datetime) -> Loaded:
    """The period's ratings and complaints from the store, and its conversations from the
    tracker store."""
    from bot.services.transcripts import events_between

    tz = period.since.tzinfo or dt.timezone.utc
    with open_repository() as repo:
        rows = [row_of(r, tz) for r in repo.ratings_between(*_utc(period))]
        complaints = repo.complaint_reply_times(*_utc(period))
    return Loaded(rows, complaints, bot_quality(events_between(period.since, period.until), now))


def _utc(period: Period) -> tuple[dt.datetime, dt.datetime]:
    return period.since.astimezone(dt.timezone.utc), period.until.astimezone(dt.timezone.utc)


def _plain(value: Any) -> Any:
    """Dataclasses, dates and enums as JSON's types."""
    if isinstance(value, Summary):
        return {**dataclasses.asdict(value), "response_rate": value.response_rate}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {getattr(k, "value", k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def figures_of(
    loaded: Loaded, period: Period, now: dt.datetime, rules: PolicyRules
) -> dict[str, Any]:
    """Every figure of the report, as plain data (what the JSON file holds)."""
    rows, complaints = loaded.ratings, loaded.complaints
    summary = fig.summarise(rows)
    monthly = fig.by_period(rows, fig.month_of)
    answered = [r for r in rows if not r.declined]
    unhappy = [r.comment or "" for r in answered if (r.scores.get(Dimension.OVERALL) or 5) <= 3]
    happy = [r.comment or "" for r in answered if (r.scores.get(Dimension.OVERALL) or 0) >= 4]
    complaint_share = fig.complaint_reply_share(complaints, now, rules.complaint_reply_hours)
    groups: dict[str, list[Group]] = {
        name: fig.by_group(rows, key, rules) for name, key in GROUPINGS.items()
    }
    pain: list[Keyword] = keywords(unhappy, pain_share=rules.pain_point_share)
    return _plain(
        {
            "generated_at": now,
            "since": period.since.date(),
            "until": (period.until - dt.timedelta(days=1)).date(),
            "summary": summary,
            "targets": fig.targets(summary, complaint_share, rules),
            "complaints_in_period": len(complaints),
            "monthly": monthly,
            "weekly": fig.by_period(rows, fig.week_of),
            "comparison": fig.compare_latest_month(monthly),
            "groups": groups,
            "group_below_mean_share": rules.group_below_mean_share,
            "keywords_dissatisfied": pain,
            "keywords_satisfied": keywords(happy),
            "pain_point_share": rules.pain_point_share,
            "comments": {"dissatisfied": sum(bool(c.strip()) for c in unhappy),
                         "satisfied": sum(bool(c.strip()) for c in happy)},
            "bot_quality": loaded.bot,
            "extreme_ratings": [
                {"created_at": r.created_at, "topic": r.topic, "channel": r.channel,
                 "subject": r.subject, "overall": r.scores.get(Dimension.OVERALL),
                 "comment": r.comment}
                for r in fig.extreme_ratings(rows)
            ],
        }
    )  # fmt: skip


def _png(draw: Callable[[Any], None], width: float = 7.5, height: float = 3.2) -> str:
    """A chart drawn by `draw(axes)`, as a base64 PNG for an inline <img>. Matplotlib's object
    API, not pyplot: the console may build reports in two threads at once."""
    from matplotlib.figure import Figure

    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # month labels look like dates
    figure = Figure(figsize=(width, height), dpi=110)
    draw(figure.subplots())
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def charts(data: dict[str, Any]) -> dict[str, str]:
    """The report's charts, by name. Labels are English: matplotlib's default fonts have no
    Chinese glyphs, and a report must not depend on which fonts a machine has."""
    result: dict[str, str] = {}
    monthly = data["monthly"]
    if monthly:
        months = list(monthly)
        rates = [monthly[m]["satisfaction_rate"] for m in months]
        recommend = [monthly[m]["recommend_rate"] for m in months]

        def trend(axes: Any) -> None:
            axes.plot(months, [r if r is not None else float("nan") for r in rates],
                      marker="o", label="satisfaction rate (4–5)")  # fmt: skip
            axes.plot(months, [r if r is not None else float("nan") for r in recommend],
                      marker="s", label="recommend rate (4–5)")  # fmt: skip
            for target, style in (("satisfaction", "--"), ("recommend", ":")):
                goal = _goal(data, target)
                if goal is not None:
                    axes.axhline(goal, linestyle=style, color="grey", linewidth=1)
            axes.set_ylim(0, 1)
            axes.set_ylabel("share of ratings")
            axes.tick_params(axis="x", labelrotation=45)
            axes.legend(loc="lower left")

        result["monthly"] = _png(trend)
    means = data["summary"]["means"]
    if any(v is not None for v in means.values()):

        def dimensions(axes: Any) -> None:
            names = [d for d in means if means[d] is not None]
            axes.barh(names, [means[d] for d in names], color="#4a7bb7")
            axes.set_xlim(1, 5)
            axes.set_xlabel("mean score (1–5)")
            axes.invert_yaxis()

        result["dimensions"] = _png(dimensions, height=2.8)
    return result


def _goal(data: dict[str, Any], name: str) -> float | None:
    return next((t["goal"] for t in data["targets"] if t["name"] == name), None)


def write_report(
    out: Path, since: dt.date | None = None, until: dt.date | None = None
) -> tuple[Path, Path]:
    """Write report.html and report.json for the period into `out`; returns both paths."""
    now = shop_now()
    period = Period.of_days(since, until, now)
    data = figures_of(load(period, now), period, now, configured_rules())
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "report.json", out / "report.html"
    _replace(json_path, json.dumps(data, ensure_ascii=False, indent=1))
    _replace(html_path, render_page(data, charts(data)))
    return html_path, json_path


def _replace(path: Path, text: str) -> None:
    """Write beside, then rename: a reader sees the old file or the new one, never half."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)

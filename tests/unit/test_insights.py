"""The satisfaction figures (policy section 6) against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.insights import figures as fig
from bot.insights.figures import RatingRow
from bot.insights.keywords import keywords, words_of
from bot.policy import Dimension, PolicyRules

TZ = ZoneInfo("Asia/Shanghai")
D = Dimension


def rated(
    overall: int | None,
    *,
    day: dt.date = dt.date(2026, 11, 10),
    recommend: int | None = None,
    solved: bool | None = None,
    comment: str | None = None,
    declined: bool = False,
    extreme: bool = False,
    **by: str,
) -> RatingRow:
    return RatingRow(
        created_at=dt.datetime.combine(day, dt.time(10), TZ),
        channel=by.get("channel", "web"),
        topic=by.get("topic", "return"),
        product_category=by.get("line"),
        scores={D.OVERALL: overall, D.RECOMMEND: recommend},
        solved=solved,
        comment=comment,
        declined=declined,
        flagged_extreme=extreme,
    )


def test_an_empty_period_has_no_rates_rather_than_zeros() -> None:
    summary = fig.summarise([])
    assert summary.offered == summary.answered == summary.extreme == 0
    assert summary.satisfaction_rate is None and summary.recommend_rate is None
    assert summary.first_contact_resolution is None and summary.response_rate is None
    assert set(summary.means.values()) == {None}
    assert fig.compare_latest_month(fig.by_period([], fig.month_of)) is None
    met = {t.name: t.met for t in fig.targets(summary, None, PolicyRules())}
    assert met == {"satisfaction": None, "recommend": None, "complaint_reply": None}


def test_a_single_rating() -> None:
    summary = fig.summarise([rated(4, recommend=3, solved=True)])
    assert summary.means["overall"] == 4 and summary.means["recommend"] == 3
    assert summary.means["patience"] is None  # not asked is not zero
    assert summary.satisfaction_rate == 1.0 and summary.recommend_rate == 0.0
    assert summary.first_contact_resolution == 1.0 and summary.response_rate == 1.0


def test_rates_count_only_those_who_answered_the_question() -> None:
    rows = [
        rated(5, recommend=5, solved=True),
        rated(4, solved=False),  # recommend skipped
        rated(3, recommend=4),  # solved not answered
        rated(1, recommend=1, solved=False),
        rated(None, declined=True),
    ]
    summary = fig.summarise(rows)
    assert (summary.offered, summary.answered, summary.response_rate) == (5, 4, 0.8)
    assert summary.means["overall"] == pytest.approx(13 / 4)
    assert summary.satisfaction_rate == pytest.approx(2 / 4)
    assert summary.recommend_rate == pytest.approx(2 / 3)
    assert summary.first_contact_resolution == pytest.approx(1 / 3)


def test_a_period_of_only_extreme_ratings_is_counted_and_listed_for_review() -> None:
    rows = [rated(1, recommend=1, extreme=True), rated(5, recommend=5, extreme=True)]
    summary = fig.summarise(rows)
    assert summary.extreme == 2 and summary.means["overall"] == 3  # kept in the figures
    assert summary.satisfaction_rate == 0.5
    assert fig.extreme_ratings(rows) == rows


def test_month_on_month_and_year_on_year() -> None:
    rows = [
        rated(5, day=dt.date(2025, 11, 3)),
        rated(2, day=dt.date(2026, 10, 30)),
        rated(4, day=dt.date(2026, 10, 31)),
        rated(3, day=dt.date(2026, 11, 1)),
        rated(5, day=dt.date(2026, 11, 28)),
    ]
    monthly = fig.by_period(rows, fig.month_of)
    assert list(monthly) == ["2025-11", "2026-10", "2026-11"]
    comparison = fig.compare_latest_month(monthly)
    assert comparison is not None and comparison.month == "2026-11"
    assert comparison.current.satisfaction_rate == 0.5
    assert comparison.previous_month is not None
    assert comparison.previous_month.satisfaction_rate == 0.5
    assert comparison.year_before is not None and comparison.year_before.means["overall"] == 5


def test_january_is_compared_with_december_of_the_year_before() -> None:
    monthly = fig.by_period(
        [rated(4, day=dt.date(2025, 12, 31)), rated(2, day=dt.date(2026, 1, 1))], fig.month_of
    )
    comparison = fig.compare_latest_month(monthly)
    assert comparison is not None and comparison.previous_month is not None
    assert comparison.previous_month.means["overall"] == 4


def test_iso_weeks_cross_the_new_year() -> None:
    assert fig.week_of(rated(4, day=dt.date(2026, 1, 1))) == "2026-W01"
    assert fig.week_of(rated(4, day=dt.date(2027, 1, 1))) == "2026-W53"


def test_a_group_15_percent_below_the_mean_is_flagged() -> None:
    # mean overall 4.0 over all ten; 家电 averages 3.4 = 15% below, 服装 4.4
    rows = [rated(s, line="家电") for s in (3, 3, 4, 4, 3)]
    rows += [rated(s, line="服装") for s in (5, 5, 4, 4, 5)]
    groups = fig.by_group(rows, lambda r: r.product_category, PolicyRules())
    assert [(g.name, g.flagged) for g in groups] == [("家电", True), ("服装", False)]
    assert groups[0].summary.means["overall"] == pytest.approx(3.4)
    just_above = [rated(s, line="A") for s in (3, 4)] + [rated(s, line="B") for s in (4, 4)]
    assert not any(g.flagged for g in fig.by_group(just_above, lambda r: r.product_category,
                                                   PolicyRules()))  # fmt: skip


def test_complaint_replies_in_time() -> None:
    now = dt.datetime(2026, 11, 28, 12, tzinfo=TZ)
    opened = now - dt.timedelta(hours=30)
    complaints = [
        (opened, opened + dt.timedelta(hours=23)),  # kept
        (opened, opened + dt.timedelta(hours=25)),  # late
        (opened, None),  # unanswered and past its 24 hours: missed
        (now - dt.timedelta(hours=2), None),  # not due yet: not counted
    ]
    share = fig.complaint_reply_share(complaints, now, 24)
    assert share == pytest.approx(1 / 3)
    assert fig.complaint_reply_share(complaints[3:], now, 24) is None
    summary = fig.summarise([rated(5, recommend=5)] * 9 + [rated(3, recommend=4)])
    met = {t.name: t.met for t in fig.targets(summary, share, PolicyRules())}
    assert met == {"satisfaction": True, "recommend": True, "complaint_reply": False}


def test_a_negation_stays_with_its_word() -> None:
    assert "不清晰" in words_of("客服解释不清晰，问了三遍")
    assert "清晰" not in words_of("客服解释不清晰")
    assert words_of("的了吧 ！！") == set()
    assert words_of("不是我想要的") == set() and words_of("客服不会解释") == {"客服", "解释"}


def test_a_keyword_in_more_than_a_fifth_of_comments_is_a_shared_pain_point() -> None:
    comments = ["等待时间太长了", "等了好久，等待时间长", "退款太慢", "客服态度差", "物流很慢", ""]
    found = {k.word: k for k in keywords(comments, pain_share=0.2)}
    assert found["等待时间"].comments == 2 and found["等待时间"].share == pytest.approx(2 / 5)
    assert found["等待时间"].shared_pain_point
    assert found["客服"].share == pytest.approx(1 / 5) and not found["客服"].shared_pain_point
    assert keywords([]) == [] and keywords(["   "]) == []


def test_promises_kept_per_week_count_only_what_fell_due() -> None:
    now = dt.datetime(2026, 11, 28, 12, tzinfo=TZ)  # Saturday of 2026-W48
    due = dt.datetime(2026, 11, 24, 9, tzinfo=TZ)  # Tuesday of W48
    promises = [
        ("complaint_reply", due, due - dt.timedelta(hours=1)),  # kept
        ("complaint_reply", due, due + dt.timedelta(minutes=1)),  # a minute late
        ("complaint_reply", due, None),  # never answered, past due: broken
        ("complaint_reply", now + dt.timedelta(hours=3), None),  # not due yet: not counted
        ("refund_pay", dt.date(2026, 11, 20), dt.date(2026, 11, 20)),  # paid on the day: W47
        ("refund_pay", dt.date(2026, 11, 27), None),  # unpaid after its day
    ]
    weeks = fig.kept_by_week(promises, now)
    assert weeks == {
        "2026-W47": {"refund_pay": (1, 1)},
        "2026-W48": {"complaint_reply": (1, 3), "refund_pay": (0, 1)},
    }

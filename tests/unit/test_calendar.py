"""Working days on China's statutory calendar, and beyond the years it knows."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.policy import HolidayFileError, WorkCalendar
from bot.policy.calendar import load_holiday_file

D = dt.date


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (D(2026, 10, 1), False),  # 国庆
        (D(2026, 10, 10), True),  # make-up Saturday (调休补班)
        (D(2026, 9, 20), True),  # make-up Sunday
        (D(2026, 2, 17), False),  # 春节
        (D(2026, 2, 14), True),  # make-up Saturday before 春节
        (D(2026, 11, 21), False),  # ordinary Saturday
        (D(2026, 11, 23), True),  # ordinary Monday
    ],
)
def test_statutory_calendar(calendar: WorkCalendar, day: dt.date, workday: bool) -> None:
    assert calendar.is_workday(day) == (workday, False)


def test_counting_skips_the_national_day_week_and_uses_the_make_up_saturday(
    calendar: WorkCalendar,
) -> None:
    # Wed 30 Sep; 1–7 Oct off; Thu 8 = 1, Fri 9 = 2, Sat 10 (补班) = 3
    assert calendar.add_working_days(D(2026, 9, 30), 3).date == D(2026, 10, 10)


def test_counting_across_spring_festival(calendar: WorkCalendar) -> None:
    # Thu 12 Feb; Fri 13 = 1, Sat 14 (补班) = 2, 15–23 off, Tue 24 = 3
    assert calendar.add_working_days(D(2026, 2, 12), 3).date == D(2026, 2, 24)


def test_start_day_never_counts_even_on_a_holiday(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(D(2026, 10, 3), 1).date == D(2026, 10, 8)
    assert calendar.add_working_days(D(2026, 11, 23), 0).date == D(2026, 11, 23)


def test_counting_backwards(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(D(2026, 11, 23), -1).date == D(2026, 11, 20)


def test_unannounced_year_counts_weekends_only_marks_estimate_and_warns_once(
    calendar: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        # Mon 28 Dec 2026: 29, 30, 31 = 3; Fri 1 Jan 2027 counted as a weekday (estimate) = 4
        result = calendar.add_working_days(D(2026, 12, 28), 4)
        calendar.add_working_days(D(2027, 3, 1), 10)
    assert result.date == D(2027, 1, 1) and result.estimated
    assert sum("2027" in r.getMessage() for r in caplog.records) == 1


def test_dates_inside_the_known_range_are_not_estimates(calendar: WorkCalendar) -> None:
    assert not calendar.add_working_days(D(2026, 12, 1), 10).estimated


def test_operator_holiday_file_covers_a_new_year(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yml"
    path.write_text("2027:\n  holidays: [2027-01-01]\n  workdays: [2027-01-09]\n", encoding="utf-8")
    calendar = WorkCalendar.from_file(path)
    result = calendar.add_working_days(D(2026, 12, 31), 1)
    assert result == type(result)(D(2027, 1, 4), estimated=False)  # New Year's Day skipped
    assert calendar.is_workday(D(2027, 1, 9)) == (True, False)  # a Saturday, made up


@pytest.mark.parametrize(
    "content",
    [
        "2027: [2027-01-01]\n",
        "2027:\n  holidays: [2026-12-31]\n",
        "2027:\n  holidays: [soon]\n",
        "- x\n",
    ],
)
def test_malformed_holiday_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "holidays.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(HolidayFileError):
        load_holiday_file(path)


def test_missing_holiday_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HolidayFileError):
        load_holiday_file(tmp_path / "absent.yml")

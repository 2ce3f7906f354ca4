"""China's working calendar: weekends and statutory holidays off, 调休 make-up days on.

The `chinesecalendar` package knows only the years the State Council has announced. For a
later year we use the operator's holiday file (`HOLIDAYS_FILE`) if it covers that year, and
otherwise count weekends only, log a warning, and mark the result as an estimate so replies
can say so. A date never makes this module raise.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import chinese_calendar
import yaml

logger = logging.getLogger(__name__)


class HolidayFileError(ValueError):
    """The operator's holiday file is unreadable or malformed."""


@dataclass(frozen=True)
class YearOverride:
    """One year's announced schedule, as the operator typed it in the holiday file."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]


@dataclass(frozen=True)
class WorkdayDate:
    """A date reached by counting working days; `estimated` if a year was unannounced."""

    date: dt.date
    estimated: bool = False


def _as_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise HolidayFileError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc


def load_holiday_file(path: Path) -> dict[int, YearOverride]:
    """Parse `{year: {holidays: [dates], workdays: [dates]}}` from a YAML file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise HolidayFileError(f"cannot read holiday file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise HolidayFileError(f"holiday file {path} must map years to schedules")
    years: dict[int, YearOverride] = {}
    for year, schedule in raw.items():
        if not isinstance(schedule, dict):
            raise HolidayFileError(f"{path}: year {year} must have holidays/workdays lists")
        holidays = frozenset(_as_date(d, f"{path} {year}") for d in schedule.get("holidays", []))
        workdays = frozenset(_as_date(d, f"{path} {year}") for d in schedule.get("workdays", []))
        for day in holidays | workdays:
            if day.year != int(year):
                raise HolidayFileError(f"{path}: {day} is listed under year {year}")
        years[int(year)] = YearOverride(holidays, workdays)
    return years


class WorkCalendar:
    """Answers 'is this a working day' and counts working days forward or back."""

    def __init__(self, overrides: dict[int, YearOverride] | None = None) -> None:
        self._overrides = overrides or {}
        self._warned_years: set[int] = set()

    @classmethod
    def from_file(cls, path: Path | None) -> WorkCalendar:
        """A calendar using the operator's holiday file, if one is configured."""
        return cls(load_holiday_file(path) if path else None)

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is it a working day, is that only an estimate)."""
        override = self._overrides.get(day.year)
        if override is not None:
            if day in override.workdays:
                return True, False
            return day.weekday() < 5 and day not in override.holidays, False
        try:
            return chinese_calendar.is_workday(day), False
        except NotImplementedError:
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                logger.warning(
                    "no holiday schedule for %s: counting weekends only (set HOLIDAYS_FILE)",
                    day.year,
                )
            return day.weekday() < 5, True

    def add_working_days(self, start: dt.date, days: int) -> WorkdayDate:
        """The `days`-th working day after `start` (before it, if `days` is negative).

        `start` itself never counts: an application made on a Friday with a 2-working-day
        review is due on Tuesday, and one made on a holiday starts counting after it.
        """
        step = dt.timedelta(days=1 if days >= 0 else -1)
        remaining = abs(days)
        current = start
        estimated = False
        while remaining:
            current += step
            workday, guess = self.is_workday(current)
            estimated = estimated or guess
            if workday:
                remaining -= 1
        return WorkdayDate(current, estimated)

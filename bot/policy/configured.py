"""The rules and calendar this process runs with, read once from the operator's config."""

from __future__ import annotations

from functools import lru_cache

from bot.config import get_settings
from bot.policy.calendar import WorkCalendar
from bot.policy.rules import PolicyRules, load_rules


@lru_cache(maxsize=1)
def configured_rules() -> PolicyRules:
    """Default rules with `POLICY_FILE`'s overrides."""
    return load_rules(get_settings().policy_file)


@lru_cache(maxsize=1)
def configured_calendar() -> WorkCalendar:
    """The working calendar with `HOLIDAYS_FILE`'s years added."""
    return WorkCalendar.from_file(get_settings().holidays_file)

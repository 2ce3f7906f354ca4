"""The shop's current time: the one place that reads the wall clock."""

from __future__ import annotations

import datetime as dt

from bot.config import get_settings


def shop_now() -> dt.datetime:
    """Now, as an aware datetime in the shop's time zone."""
    return dt.datetime.now(get_settings().tz)

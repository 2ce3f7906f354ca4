"""The shop's current time: the one place that reads the wall clock.

Everything else asks here, so tests can move time in one place and every date is counted in
the shop's time zone, never the server's.
"""

from __future__ import annotations

import datetime as dt

from bot.config import get_settings


def shop_now() -> dt.datetime:
    """Now, as an aware datetime in the shop's time zone."""
    return dt.datetime.now(get_settings().tz)


def utc_now() -> dt.datetime:
    """Now, as an aware datetime in UTC (what the store keeps)."""
    return shop_now().astimezone(dt.timezone.utc)

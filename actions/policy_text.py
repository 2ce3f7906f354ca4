"""Policy decisions as template values the customer can read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bot.chinese_dates import format_date, format_money
from bot.policy import Decision, Party

PARTY_NAMES = {Party.BUYER.value: "您", Party.MERCHANT.value: "商家"}


def readable(value: Any) -> Any:
    """Dates as 11月25日（周三）, money as 129.00元, parties as 您/商家."""
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, Party):
        return PARTY_NAMES[value.value]
    return value


def decision_values(decision: Decision) -> dict[str, Any]:
    """The decision's values, readable, for its `utter_policy_<code>` response."""
    return {key: readable(value) for key, value in decision.values.items()}

"""Dates and money as a Chinese customer reads them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bot.clock import shop_now

_WEEKDAYS = "一二三四五六日"


def format_date(day: dt.date) -> str:
    """2026-11-27 → '11月27日（周五）'; another year's date gets its year."""
    text = f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）"
    return text if day.year == shop_now().year else f"{day.year}年{text}"


def format_money(amount: Decimal) -> str:
    """Decimal('299.00') → '299.00元'."""
    return f"{amount:.2f}元"

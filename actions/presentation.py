"""How values look to a customer: dates, money, parties, payment routes, buttons.

The one place outside domain.yml where customer-facing words are chosen; the sentences
themselves stay in domain.yml responses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bot.chinese_dates import format_date, format_money
from bot.config import get_settings
from bot.policy import Decision, Party
from bot.services import OrderLine, OrderSummary

PARTY_NAMES = {Party.BUYER.value: "您", Party.MERCHANT.value: "商家"}
ROUTE_NAMES = {"alipay": "支付宝", "wechat": "微信", "card": "银行卡", "balance": "账户余额"}
ORDER_BUTTON = "{product}（{paid_on}下单）"
ITEM_BUTTON = "{number}. {product}"


def readable(value: Any) -> Any:
    """Dates as 11月25日（周三）, times as 11月25日（周三）14:00, money as 129.00元, parties
    as 您/商家."""
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, Party):
        return PARTY_NAMES[value.value]
    return value


def decision_values(decision: Decision) -> dict[str, Any]:
    """The decision's values, readable, for its `utter_policy_<code>` response."""
    return {key: readable(value) for key, value in decision.values.present().items()}


def route_name(route: str) -> str:
    """'alipay' → '支付宝'; an unknown route as stored."""
    return ROUTE_NAMES.get(route, route)


def local_time(moment: dt.datetime) -> str:
    """An aware time as the shop's local date and time: '11月25日（周三）14:00'."""
    local = moment.astimezone(get_settings().tz)
    return f"{format_date(local.date())}{local:%H:%M}"


def visit_window(start: dt.datetime, end: dt.datetime) -> str:
    """'11月24日（周二）14:00–18:00'."""
    return f"{format_date(start.date())}{start:%H:%M}–{end:%H:%M}"


def order_buttons(orders: list[OrderSummary]) -> list[dict[str, str]]:
    """One button per order for a signed-in customer; the payload names the order."""
    return [
        {
            "title": ORDER_BUTTON.format(
                product=o.product, paid_on=f"{o.paid_on.month}月{o.paid_on.day}日"
            ),
            "payload": f'/inform{{"order_id":"{o.order_no}"}}',
        }
        for o in orders
    ]


def item_buttons(lines: list[OrderLine]) -> list[dict[str, str]]:
    """One button per item of an order; the payload is its number in the list."""
    return [
        {"title": ITEM_BUTTON.format(number=n, product=line.product), "payload": str(n)}
        for n, line in enumerate(lines, start=1)
    ]

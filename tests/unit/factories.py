"""Small builders of policy facts for unit tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bot.policy import ItemFacts, OrderFacts, OrderStatus


def item(category: str = "服装", name: str = "纯棉T恤", price: str = "129.00") -> ItemFacts:
    return ItemFacts(product_name=name, category=category, unit_price=Decimal(price))


def delivered_order(
    delivered_on: dt.date,
    *,
    category: str = "服装",
    warranty_months: int = 0,
    status: OrderStatus = OrderStatus.DELIVERED,
) -> OrderFacts:
    return OrderFacts(
        order_no="202411150003",
        status=status,
        amount=Decimal("129.00"),
        shipping_fee=Decimal("10.00"),
        paid_on=delivered_on - dt.timedelta(days=3),
        shipped_on=delivered_on - dt.timedelta(days=2),
        delivered_on=delivered_on if status is OrderStatus.DELIVERED else None,
        warranty_months=warranty_months,
        items=(item(category),),
    )

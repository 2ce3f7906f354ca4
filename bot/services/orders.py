"""Orders as the conversations see them: does it exist, who owns it, what is in it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from bot.store import (
    InvalidPhone,
    MalformedOrderNumber,
    OrderNotFound,
    OwnershipNotVerified,
    open_repository,
)

MAX_VERIFY_ATTEMPTS = 3  # wrong phones before the order is locked for this conversation


class OrderCheck(str, Enum):
    """What an order number the customer typed turned out to be."""

    FOUND = "found"
    MALFORMED = "malformed"
    NOT_FOUND = "not_found"


class Verification(str, Enum):
    """The outcome of one ownership check."""

    VERIFIED = "verified"
    MISMATCH = "mismatch"
    INVALID = "invalid"  # not a phone number nor 4 digits


def check_order(order_no: str) -> tuple[OrderCheck, str | None]:
    """Is this an existing order? Returns the normalised number when found."""
    with open_repository() as repo:
        try:
            return OrderCheck.FOUND, repo.find_order(order_no).order_no
        except MalformedOrderNumber:
            return OrderCheck.MALFORMED, None
        except OrderNotFound:
            return OrderCheck.NOT_FOUND, None


def verify_owner(order_no: str, proof: str) -> Verification:
    """Does `proof` (the order's mobile number, or its last 4 digits) match the order?"""
    with open_repository() as repo:
        try:
            repo.verify_owner(order_no, proof)
        except InvalidPhone:
            return Verification.INVALID
        except OwnershipNotVerified:
            return Verification.MISMATCH
    return Verification.VERIFIED


def owned_by(order_no: str, customer_id: str) -> bool:
    """Is the order the customer's own? `customer_id` comes from a channel's verified token."""
    with open_repository() as repo:
        try:
            order = repo.find_order(order_no)
        except (MalformedOrderNumber, OrderNotFound):
            return False
        return str(order.customer_id) == customer_id


@dataclass(frozen=True)
class OrderLine:
    """One item of an order, for asking which one the customer means."""

    item_id: int
    product: str
    category: str
    quantity: int


def order_lines(order_no: str) -> list[OrderLine]:
    """The order's items in order of entry."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        return [
            OrderLine(item.id, item.product_name, item.category, item.quantity)
            for item in order.items
        ]


@dataclass(frozen=True)
class OrderSummary:
    """An order as a button shows it to its verified owner."""

    order_no: str
    product: str
    paid_on: dt.date


def recent_orders(customer_id: str, limit: int = 5) -> list[OrderSummary]:
    """The customer's newest orders, newest first (for a signed-in customer's buttons)."""
    with open_repository() as repo:
        return [
            OrderSummary(
                order.order_no, order.items[0].product_name, repo.local_date(order.paid_at)
            )
            for order in repo.orders_of_customer(customer_id, limit)
        ]

"""Orders as the conversations see them: does it exist, who owns it, what is in it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from bot.services.verification import require_proof
from bot.store import MalformedOrderNumber, OrderNotFound, open_repository
from bot.store.models import AfterSalesRequest, RepairBooking
from bot.store.repository import ACTIVE_BOOKING_STATUSES, OPEN_REQUEST_STATUSES


class OrderCheck(str, Enum):
    """What an order number the customer typed turned out to be."""

    FOUND = "found"
    MALFORMED = "malformed"
    NOT_FOUND = "not_found"


def check_order(order_no: str) -> tuple[OrderCheck, str | None]:
    """Is this an existing order? Returns the normalised number when found."""
    with open_repository() as repo:
        try:
            return OrderCheck.FOUND, repo.find_order(order_no).order_no
        except MalformedOrderNumber:
            return OrderCheck.MALFORMED, None
        except OrderNotFound:
            return OrderCheck.NOT_FOUND, None


@dataclass(frozen=True)
class OrderLine:
    """One item of an order, for asking which one the customer means."""

    item_id: int
    product: str
    category: str
    quantity: int


def order_lines(order_no: str, conversation_id: str) -> list[OrderLine]:
    """The items of an order this conversation proved it owns, in order of entry."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
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
            OrderSummary(order.order_no, order.items[0].product_name, repo.paid_on(order))
            for order in repo.orders_of_customer(customer_id, limit)
        ]


def open_application_for(
    order_no: str, conversation_id: str, item_id: int | None, job: str
) -> str | None:
    """The id of what is already open for the item (proof required): a return, exchange or
    refund-only application for job `return`, an active repair booking for job `repair`."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        item = repo.item_of(order, item_id)
        if job == "repair":
            return repo.open_for_item(RepairBooking, item, ACTIVE_BOOKING_STATUSES)
        return repo.open_for_item(AfterSalesRequest, item, OPEN_REQUEST_STATUSES)

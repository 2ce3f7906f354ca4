"""The plain facts the policy decides on, and the verdicts it returns.

The policy never sees a database row: the store turns rows into these frozen objects, so
every rule is a pure function that a unit test can call with a date and an order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from enum import Enum
from typing import Any


class PolicyInputError(ValueError):
    """The facts handed to the policy are impossible (e.g. delivered in the future)."""


class OrderStatus(str, Enum):
    """Where an order stands in its life."""

    PAID = "paid"  # paid, not shipped
    SHIPPED = "shipped"  # on its way, not signed for
    DELIVERED = "delivered"  # signed for
    CLOSED = "closed"  # cancelled or fully refunded


class ReturnReason(str, Enum):
    """Why the customer wants to send goods back; decides window and who pays shipping."""

    NO_REASON = "no_reason"  # changed mind, does not fit, do not like it
    QUALITY = "quality"
    WRONG_ITEM = "wrong_item"
    TRANSIT_DAMAGE = "transit_damage"

    @property
    def merchant_fault(self) -> bool:
        """True if the merchant caused it (and so pays return shipping)."""
        return self is not ReturnReason.NO_REASON


class Party(str, Enum):
    """Who pays return or repair shipping."""

    BUYER = "buyer"
    MERCHANT = "merchant"


class Verdict(str, Enum):
    """Every outcome the policy can reach. The value is the reason code; each has a
    customer-facing explanation in `domain.yml` named `utter_policy_<code>`."""

    # returns and exchanges
    NO_REASON_OK = "no_reason_ok"
    QUALITY_OK = "quality_ok"
    QUALITY_NEEDS_REVIEW = "quality_needs_review"
    NOT_SHIPPED_REFUND_ONLY = "not_shipped_refund_only"
    NOT_DELIVERED = "not_delivered"  # nothing to repair or exchange before it arrives
    SHIPPED_REFUND_WITH_RETURN = "shipped_refund_with_return"  # refused or intercepted
    ORDER_CLOSED = "order_closed"
    SPECIAL_CATEGORY = "special_category"
    NO_REASON_WINDOW_PASSED = "no_reason_window_passed"  # the quality path is still open
    RETURN_WINDOW_PASSED = "return_window_passed"  # every return window has closed
    BUYER_DAMAGE = "buyer_damage"
    # repairs
    REPAIR_COVERED = "repair_covered"
    REPAIR_OUT_OF_WARRANTY = "repair_out_of_warranty"
    REPAIR_HUMAN_DAMAGE = "repair_human_damage"
    REPAIR_NO_WARRANTY = "repair_no_warranty"
    # parcels on their way to the customer
    PARCEL_NOT_SHIPPED = "parcel_not_shipped"
    PARCEL_IN_TRANSIT = "parcel_in_transit"  # moving normally: nothing to chase yet
    PARCEL_STALLED = "parcel_stalled"
    PARCEL_NOT_RECEIVED = "parcel_not_received"  # signed for, but not by the customer
    PARCEL_CLAIM_PASSED = "parcel_claim_passed"  # too late to claim from the carrier
    # on-site time slots
    SLOT_OK = "slot_ok"
    SLOT_IN_PAST = "slot_in_past"
    SLOT_OUTSIDE_HOURS = "slot_outside_hours"
    SLOT_TOO_FAR = "slot_too_far"

    @property
    def message_key(self) -> str:
        """The domain response that explains this verdict to the customer."""
        return f"utter_policy_{self.value}"


@dataclass(frozen=True)
class ItemFacts:
    """One line of an order."""

    product_name: str
    category: str
    unit_price: Decimal
    quantity: int = 1


@dataclass(frozen=True)
class OrderFacts:
    """What the policy needs to know of an order."""

    order_no: str
    status: OrderStatus
    amount: Decimal
    shipping_fee: Decimal
    paid_on: dt.date
    items: tuple[ItemFacts, ...]
    shipped_on: dt.date | None = None
    delivered_on: dt.date | None = None
    warranty_months: int = 0

    def check_against(self, today: dt.date) -> None:
        """Raise PolicyInputError if the order's dates are impossible as of `today`."""
        dates = [
            ("paid", self.paid_on),
            ("shipped", self.shipped_on),
            ("delivered", self.delivered_on),
        ]
        for name, day in dates:
            if day is not None and day > today:
                raise PolicyInputError(
                    f"order {self.order_no} {name} on {day}, after today {today}"
                )
        if self.status is OrderStatus.DELIVERED and self.delivered_on is None:
            raise PolicyInputError(f"order {self.order_no} is delivered but has no delivery date")


@dataclass(frozen=True)
class DecisionValues:
    """Every value a verdict's explanation may need; a verdict sets the ones it uses and
    the others stay None. Names match the placeholders of the `utter_policy_*` responses."""

    product: str | None = None
    category: str | None = None
    # returns and exchanges
    day: int | None = None  # today's day since receipt, the day of receipt being day 1
    window_days: int | None = None
    last_day: dt.date | None = None
    no_reason_days: int | None = None
    quality_days: int | None = None
    shipping_payer: Party | None = None
    review_due: dt.date | None = None
    review_working_days: int | None = None
    processing_due: dt.date | None = None
    processing_latest: dt.date | None = None
    # repairs
    onsite: bool | None = None
    warranty_months: int | None = None
    warranty_last_day: dt.date | None = None
    respond_due: dt.date | None = None
    respond_working_days: int | None = None
    complete_due: dt.date | None = None
    complete_working_days: int | None = None
    # parcels
    parcel: str | None = None  # 中通快递 ZT7730012345678
    stalled_hours: int | None = None
    claim_days: int | None = None
    last_scan: str | None = None
    last_scan_at: dt.datetime | None = None
    stalled_at: dt.datetime | None = None  # when a parcel without a new scan counts as stalled
    check_due: dt.datetime | None = None
    claim_deadline: dt.date | None = None
    # on-site visiting times
    start_hour: int | None = None
    end_hour: int | None = None
    horizon_days: int | None = None

    def present(self) -> dict[str, Any]:
        """The values this verdict set, by name (for a response's placeholders)."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    def with_(self, **changes: Any) -> DecisionValues:
        """A copy with some values set."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Decision:
    """A verdict with the values its explanation needs (deadlines, days, amounts)."""

    verdict: Verdict
    allowed: bool
    values: DecisionValues = field(default_factory=DecisionValues)
    estimated: bool = False  # a date in it was counted without an announced holiday schedule

    @property
    def code(self) -> str:
        """Machine-readable reason code, for logs and analytics."""
        return self.verdict.value

    @property
    def message_key(self) -> str:
        """The domain response to show the customer."""
        return self.verdict.message_key

"""A parcel on its way to the customer that stalls, or that shows signed for but never
arrived (policy section 3: shipped but not signed for; the carrier's loss is claimed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from bot.policy.facts import Decision, DecisionValues, OrderFacts, OrderStatus, Verdict
from bot.policy.rules import PolicyRules


class ParcelProblem(str, Enum):
    """What the customer says is wrong with the delivery."""

    STALLED = "stalled"  # 物流不动了 / 还没到 / 丢了
    NOT_RECEIVED = "not_received"  # 显示签收但没收到


class ParcelRemedy(str, Enum):
    """What the customer wants if the parcel turns out lost."""

    RESHIP = "reship"
    REFUND = "refund"  # a parcel still moving is intercepted and refunded once back
    WAIT = "wait"  # the carrier's answer first


@dataclass(frozen=True)
class ParcelTracking:
    """The parcel and the carrier's latest scan of it, as the shop's order system holds it."""

    courier: str | None  # the carrier's name, as customers know it
    tracking_no: str | None
    last_scan: str | None
    last_scan_at: dt.datetime | None  # aware
    shipped_at: dt.datetime | None = None  # aware; the clock of a parcel never scanned

    @property
    def parcel(self) -> str:
        """The parcel as the customer knows it: 中通快递 ZT7730012345678, or just 快递."""
        return " ".join(part for part in (self.courier, self.tracking_no) if part) or "快递"


SHIPPED_SCAN = "已发货"  # what a parcel not yet scanned by the carrier shows


def decide_parcel(
    order: OrderFacts,
    problem: ParcelProblem,
    tracking: ParcelTracking,
    now: dt.datetime,
    rules: PolicyRules,
) -> Decision:
    """Is there something to chase with the carrier, and by when do we answer and claim?

    A parcel moving normally (scanned, or shipped, within `parcel_stalled_hours`) is not
    chased yet, unless the customer says it shows signed for (the order system may lag
    behind the carrier); one that stopped, or that was signed for but not received, opens a
    logistics check answered within `parcel_check_hours`, while a loss can still be claimed
    from the carrier (`carrier_claim_days` from shipping).
    """
    order.check_against(now.date())
    if order.status is OrderStatus.CLOSED:
        return Decision(Verdict.ORDER_CLOSED, allowed=False)
    if order.status is OrderStatus.PAID or order.shipped_on is None:
        return Decision(Verdict.PARCEL_NOT_SHIPPED, allowed=False)
    claim_deadline = order.shipped_on + dt.timedelta(days=rules.carrier_claim_days)
    last_seen = tracking.last_scan_at or tracking.shipped_at
    values = DecisionValues(
        parcel=tracking.parcel,
        stalled_hours=rules.parcel_stalled_hours,
        claim_days=rules.carrier_claim_days,
        last_scan=tracking.last_scan if tracking.last_scan_at else SHIPPED_SCAN,
        last_scan_at=last_seen,
        claim_deadline=claim_deadline,
        check_due=now + dt.timedelta(hours=rules.parcel_check_hours),
    )
    if now.date() > claim_deadline:
        return Decision(Verdict.PARCEL_CLAIM_PASSED, allowed=False, values=values)
    if order.status is OrderStatus.DELIVERED:
        # Signed for: whatever the customer first called it, nobody handed it to them.
        return Decision(Verdict.PARCEL_NOT_RECEIVED, allowed=True, values=values)
    if problem is ParcelProblem.STALLED and last_seen is not None:
        stalled_at = last_seen + dt.timedelta(hours=rules.parcel_stalled_hours)
        if now < stalled_at:
            return Decision(
                Verdict.PARCEL_IN_TRANSIT, allowed=False, values=values.with_(stalled_at=stalled_at)
            )
    return Decision(Verdict.PARCEL_STALLED, allowed=True, values=values)

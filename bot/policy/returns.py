"""Return and exchange eligibility (policy section 2)."""

from __future__ import annotations

import datetime as dt

from bot.policy.calendar import WorkCalendar
from bot.policy.facts import (
    Decision,
    DecisionValues,
    ItemFacts,
    OrderFacts,
    OrderStatus,
    Party,
    ReturnReason,
    Verdict,
)
from bot.policy.rules import PolicyRules


def day_of_receipt_count(delivered_on: dt.date, today: dt.date) -> int:
    """Which day after receipt `today` is; the day of receipt itself is day 1."""
    return (today - delivered_on).days + 1


def shipping_payer(reason: ReturnReason) -> Party:
    """Buyer's reason: the buyer pays return shipping; merchant's reason: the merchant does."""
    return Party.MERCHANT if reason.merchant_fault else Party.BUYER


def decide_return(
    order: OrderFacts,
    item: ItemFacts,
    reason: ReturnReason,
    today: dt.date,
    rules: PolicyRules,
    calendar: WorkCalendar,
    *,
    buyer_damage: bool = False,
) -> Decision:
    """May this item be returned or exchanged today, and on what terms?

    Returns and exchanges share the rules; the caller decides which one to open (an order
    not yet shipped or not yet signed for can only be refunded, never exchanged).
    """
    order.check_against(today)
    if order.status is OrderStatus.CLOSED:
        return Decision(Verdict.ORDER_CLOSED, allowed=False)
    if order.status is OrderStatus.PAID:
        return Decision(Verdict.NOT_SHIPPED_REFUND_ONLY, allowed=False)
    if order.status is OrderStatus.SHIPPED:
        return _refund_with_return(item, today, rules, calendar)
    if buyer_damage:
        return Decision(Verdict.BUYER_DAMAGE, allowed=False)

    assert order.delivered_on is not None  # check_against guarantees it for DELIVERED
    day = day_of_receipt_count(order.delivered_on, today)
    special = item.category in rules.special_categories
    window = rules.quality_return_days if reason.merchant_fault else rules.no_reason_return_days
    last_day = order.delivered_on + dt.timedelta(days=window - 1)
    values = DecisionValues(
        day=day,
        window_days=window,
        last_day=last_day,
        category=item.category,
        product=item.product_name,
    )

    if day > rules.quality_return_days:
        values = values.with_(
            no_reason_days=rules.no_reason_return_days, quality_days=rules.quality_return_days
        )
        return Decision(Verdict.RETURN_WINDOW_PASSED, allowed=False, values=values)
    if not reason.merchant_fault:
        if special:
            return Decision(Verdict.SPECIAL_CATEGORY, allowed=False, values=values)
        if day > window:
            values = values.with_(quality_days=rules.quality_return_days)
            return Decision(Verdict.NO_REASON_WINDOW_PASSED, allowed=False, values=values)
        verdict = Verdict.NO_REASON_OK
    else:
        verdict = Verdict.QUALITY_NEEDS_REVIEW if special else Verdict.QUALITY_OK

    review = calendar.add_working_days(today, rules.return_review_working_days)
    processed = calendar.add_working_days(today, rules.return_processing_working_days)
    latest = calendar.add_working_days(today, rules.return_processing_max_working_days)
    values = values.with_(
        shipping_payer=shipping_payer(reason),
        review_due=review.date,
        review_working_days=rules.return_review_working_days,
        processing_due=processed.date,
        processing_latest=latest.date,
    )
    estimated = review.estimated or processed.estimated or latest.estimated
    return Decision(verdict, allowed=True, values=values, estimated=estimated)


def _refund_with_return(
    item: ItemFacts, today: dt.date, rules: PolicyRules, calendar: WorkCalendar
) -> Decision:
    """Shipped but not signed for (section 3): a refund once the parcel is back, refused at
    the door or intercepted; nothing for the buyer to send. Only a return: an exchange
    waits until the goods arrive. Goods nobody has opened show no fault of the shop, so the
    way back is the buyer's whatever reason is given (a lost parcel is a logistics check)."""
    review = calendar.add_working_days(today, rules.return_review_working_days)
    processed = calendar.add_working_days(today, rules.return_processing_working_days)
    values = DecisionValues(
        product=item.product_name,
        category=item.category,
        shipping_payer=Party.BUYER,
        review_due=review.date,
        review_working_days=rules.return_review_working_days,
        processing_due=processed.date,
    )
    return Decision(
        Verdict.SHIPPED_REFUND_WITH_RETURN,
        allowed=True,
        values=values,
        estimated=review.estimated or processed.estimated,
    )


def decide_refund_only(today: dt.date, rules: PolicyRules, calendar: WorkCalendar) -> Decision:
    """Cancelling an item that has not shipped: nothing travels back, so the merchant bears
    any shipping cost; reviewed and processed within the return working days."""
    review = calendar.add_working_days(today, rules.return_review_working_days)
    processed = calendar.add_working_days(today, rules.return_processing_working_days)
    return Decision(
        Verdict.NOT_SHIPPED_REFUND_ONLY,
        allowed=True,
        values=DecisionValues(
            shipping_payer=Party.MERCHANT, review_due=review.date, processing_due=processed.date
        ),
        estimated=review.estimated or processed.estimated,
    )

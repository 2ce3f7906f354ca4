"""Returns, exchanges and refund-only applications for one item of a verified order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bot.clock import shop_now
from bot.policy import (
    Decision,
    Party,
    ReturnReason,
    Verdict,
    configured_calendar,
    configured_rules,
    decide_refund_only,
    decide_return,
    refund_amount,
    refund_schedule,
)
from bot.privacy.redact import mask_phones_in
from bot.reasons import DamageCause
from bot.services.verification import require_proof
from bot.store import AfterSalesRepository, DuplicateRequest, InvalidRequest, open_repository
from bot.store.models import Order, OrderItem


@dataclass(frozen=True)
class ReturnReceipt:
    """What the customer needs to know about the application just opened."""

    public_id: str
    kind: str  # return / exchange / refund_only
    product: str
    category: str
    shipping_payer: str  # buyer / merchant
    return_address: str | None
    review_due: dt.date
    processing_due: dt.date
    refund_amount: Decimal | None
    refund_working_days: int
    estimated: bool
    intercepted: bool = False  # not signed for: refused or intercepted, nothing to send back


def _refuse_beside_a_parcel_check(repo: AfterSalesRepository, order: Order) -> None:
    """A parcel being checked with the carrier already has the customer's wish (reship or
    refund) on its check: a refund beside it could pay twice for one parcel."""
    ticket = repo.open_parcel_check_of(order)
    if ticket is not None:
        raise DuplicateRequest(ticket.public_id)


def _masked(description: str | None) -> str | None:
    """The customer's words as the service team may read them: phone numbers masked."""
    return mask_phones_in(description) if description else None


def item_refund_amount(
    order: Order, item: OrderItem, *, buyer_reason: bool, shipped: bool
) -> Decimal:
    """The item's price; the order's shipping follows it only when it is the whole order
    (returning one of several items does not undo the delivery of the others)."""
    shipping = order.shipping_fee if len(order.items) == 1 else Decimal(0)
    goods = item.unit_price * item.quantity
    return refund_amount(goods, shipping, buyer_reason=buyer_reason, shipped=shipped)


def assess_return(
    order_no: str,
    reason: ReturnReason,
    conversation_id: str,
    item_id: int | None = None,
    today: dt.date | None = None,
    *,
    damage_cause: DamageCause | None = None,
) -> Decision:
    """The policy's verdict on returning or exchanging the item today (proof required);
    damage the customer says was an accident is not covered."""
    today = today or shop_now().date()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        item = repo.item_facts(repo.item_of(order, item_id))
        return decide_return(
            repo.order_facts(order), item, reason, today, configured_rules(), configured_calendar(),
            buyer_damage=damage_cause is DamageCause.HUMAN,
        )  # fmt: skip


def refund_only_amount(order_no: str, conversation_id: str, item_id: int | None = None) -> Decimal:
    """What cancelling an unshipped item refunds: all that was paid for it (proof required)."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        item = repo.item_of(order, item_id)
        return item_refund_amount(order, item, buyer_reason=True, shipped=False)


def open_return(
    order_no: str,
    kind: str,
    reason: ReturnReason,
    conversation_id: str,
    item_id: int | None = None,
    *,
    description: str | None = None,
    damage_cause: DamageCause | None = None,
) -> ReturnReceipt:
    """Open the application the policy allows (re-deciding: slots are not trusted), with
    the customer's own words and how they say any damage happened.

    A return of an unshipped order becomes a refund-only application with its refund; one
    of an order shipped but not signed for is refunded once the parcel is back (refused or
    intercepted), with no address to send it to.
    Raises InvalidRequest if the policy refuses or the item is not in the order.
    """
    now = shop_now()
    rules, calendar = configured_rules(), configured_calendar()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        item = repo.item_of(order, item_id)
        facts = repo.order_facts(order)
        decision = decide_return(
            facts, repo.item_facts(item), reason, now.date(), rules, calendar,
            buyer_damage=damage_cause is DamageCause.HUMAN,
        )  # fmt: skip
        if decision.verdict is Verdict.SHIPPED_REFUND_WITH_RETURN and kind != "return":
            raise InvalidRequest("no exchange before the goods arrive")
        if decision.verdict is Verdict.NOT_SHIPPED_REFUND_ONLY and kind == "return":
            return _open_refund_only(repo, order, item, reason, now, conversation_id, description)
        intercepted = decision.verdict is Verdict.SHIPPED_REFUND_WITH_RETURN
        if intercepted:
            _refuse_beside_a_parcel_check(repo, order)
            reason = ReturnReason.NO_REASON  # nobody has opened the parcel to find a fault
        request = repo.open_request(
            order, item, kind=kind, reason=reason, decision=decision, now=now,
            conversation_id=conversation_id, description=_masked(description),
            damage_cause=damage_cause.value if damage_cause else None,
            sent_back=not intercepted,
        )  # fmt: skip
        quality = reason.merchant_fault
        return ReturnReceipt(
            public_id=request.public_id,
            kind=kind,
            product=item.product_name,
            category=item.category,
            shipping_payer=request.shipping_payer,
            return_address=request.return_address,
            review_due=request.review_due,
            processing_due=request.processing_due,
            refund_amount=(
                item_refund_amount(order, item, buyer_reason=not quality, shipped=True)
                if kind == "return"
                else None
            ),
            refund_working_days=(
                rules.refund_working_days_quality
                if quality
                else rules.refund_working_days_no_quality
            ),
            estimated=decision.estimated,
            intercepted=intercepted,
        )


def _open_refund_only(
    repo: AfterSalesRepository, order: Order, item: OrderItem, reason: ReturnReason,
    now: dt.datetime, conversation_id: str, description: str | None,
) -> ReturnReceipt:  # fmt: skip
    rules, calendar = configured_rules(), configured_calendar()
    today = now.date()
    decision = decide_refund_only(today, rules, calendar)
    review_due, processing_due = decision.values.review_due, decision.values.processing_due
    assert review_due is not None and processing_due is not None  # refund-only sets both
    request = repo.open_request(
        order, item, kind="refund_only", reason=reason, decision=decision, now=now,
        conversation_id=conversation_id, description=_masked(description),
    )  # fmt: skip
    amount = item_refund_amount(order, item, buyer_reason=True, shipped=False)
    schedule = refund_schedule(today, quality=False, rules=rules, calendar=calendar)
    repo.open_refund(
        order, amount=amount, quality_problem=False, now=now, request=request, schedule=schedule
    )
    return ReturnReceipt(
        public_id=request.public_id,
        kind="refund_only",
        product=item.product_name,
        category=item.category,
        shipping_payer=Party.MERCHANT.value,
        return_address=None,
        review_due=review_due,
        processing_due=processing_due,
        refund_amount=amount,
        refund_working_days=rules.refund_working_days_no_quality,
        estimated=decision.estimated or schedule.estimated,
    )

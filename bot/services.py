"""Use cases the conversations call: each opens one unit of work and returns plain data.

Actions stay thin: they read slots, call one of these, and map the result to responses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from bot.clock import shop_now
from bot.identifiers import mask_phone
from bot.policy import (
    Decision,
    Dimension,
    Party,
    RefundStage,
    ReturnReason,
    Severity,
    Verdict,
    check_onsite_slot,
    complaint_deadlines,
    configured_calendar,
    configured_rules,
    decide_repair,
    decide_return,
    needs_human,
    refund_amount,
    refund_schedule,
    refund_stage,
)
from bot.store import (
    AfterSalesRepository,
    InvalidPhone,
    InvalidRequest,
    MalformedOrderNumber,
    OrderNotFound,
    OwnershipNotVerified,
    open_repository,
)
from bot.store.models import Order

MAX_VERIFY_ATTEMPTS = 3  # wrong phones before the order is locked for this conversation

ROUTE_NAMES = {"alipay": "支付宝", "wechat": "微信", "card": "银行卡", "balance": "账户余额"}


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


@dataclass(frozen=True)
class RefundStatus:
    """A refund as the customer should hear about it."""

    public_id: str
    stage: RefundStage
    amount: Decimal
    route: str  # in Chinese, e.g. 支付宝
    product: str
    due_on: dt.date | None
    credit_earliest: dt.date | None
    credit_latest: dt.date | None
    credited_on: dt.date | None
    category: str | None


def refund_status(order_no: str, today: dt.date | None = None) -> RefundStatus | None:
    """The newest refund of a (verified) order, or None if it has none."""
    today = today or shop_now().date()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        refunds = repo.refunds_for_order(order)
        if not refunds:
            return None
        refund = refunds[0]
        item = refund.request.item if refund.request and refund.request.item else order.items[0]
        stage = refund_stage(
            today,
            goods_received_on=refund.goods_received_on,
            refund_due=refund.due_on,
            paid_out_on=refund.paid_out_on,
            credited_on=refund.credited_on,
            needs_goods=refund.request is not None and refund.request.kind != "refund_only",
        )
        return RefundStatus(
            public_id=refund.public_id,
            stage=stage,
            amount=refund.amount,
            route=ROUTE_NAMES.get(refund.route, refund.route),
            product=item.product_name,
            due_on=refund.due_on,
            credit_earliest=refund.credit_earliest,
            credit_latest=refund.credit_latest,
            credited_on=refund.credited_on,
            category=item.category,
        )


def save_rating(
    *,
    conversation_id: str,
    channel: str,
    topic: str,
    overall: int,
    solved: bool | None,
    comment: str | None,
    product_category: str | None = None,
) -> None:
    """Store the conversation's rating (a second one in the same conversation updates it)."""
    with open_repository() as repo:
        repo.save_rating(
            conversation_id=conversation_id,
            channel=channel,
            topic=topic,
            scores={Dimension.OVERALL: overall},
            solved=solved,
            comment=comment,
            product_category=product_category,
            now=shop_now(),
        )


# --- returns, exchanges, refund-only -------------------------------------------------------


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


def assess_return(order_no: str, reason: ReturnReason, today: dt.date | None = None) -> Decision:
    """The policy's verdict on returning or exchanging the order's (first) item today."""
    today = today or shop_now().date()
    with open_repository() as repo:
        facts = repo.order_facts(repo.find_order(order_no))
        return decide_return(
            facts, facts.items[0], reason, today, configured_rules(), configured_calendar()
        )


def refund_only_amount(order_no: str) -> Decimal:
    """What an unshipped order refunds: everything paid, shipping included."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        return refund_amount(order.amount, order.shipping_fee, buyer_reason=True, shipped=False)


def open_return(
    order_no: str, kind: str, reason: ReturnReason, conversation_id: str
) -> ReturnReceipt:
    """Open the application the policy allows (re-deciding: slots are not trusted).

    A return of an unshipped order becomes a refund-only application with its refund.
    Raises InvalidRequest if the policy refuses.
    """
    now = shop_now()
    rules, calendar = configured_rules(), configured_calendar()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        item = order.items[0]
        facts = repo.order_facts(order)
        decision = decide_return(facts, facts.items[0], reason, now.date(), rules, calendar)
        if decision.verdict is Verdict.NOT_SHIPPED_REFUND_ONLY and kind == "return":
            return _open_refund_only(repo, order, reason, now, conversation_id)
        request = repo.open_request(
            order, item, kind=kind, reason=reason, decision=decision, now=now,
            conversation_id=conversation_id,
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
                refund_amount(order.amount, order.shipping_fee, buyer_reason=not quality)
                if kind == "return"
                else None
            ),
            refund_working_days=(
                rules.refund_working_days_quality
                if quality
                else rules.refund_working_days_no_quality
            ),
            estimated=decision.estimated,
        )


def _open_refund_only(
    repo: AfterSalesRepository, order: Order, reason: ReturnReason, now: dt.datetime,
    conversation_id: str,
) -> ReturnReceipt:  # fmt: skip
    rules, calendar = configured_rules(), configured_calendar()
    today = now.date()
    review = calendar.add_working_days(today, rules.return_review_working_days)
    processing = calendar.add_working_days(today, rules.return_processing_working_days)
    decision = Decision(
        Verdict.NOT_SHIPPED_REFUND_ONLY,
        allowed=True,
        values={
            "shipping_payer": Party.MERCHANT,
            "review_due": review.date,
            "processing_due": processing.date,
        },
    )
    request = repo.open_request(
        order, order.items[0], kind="refund_only", reason=reason, decision=decision, now=now,
        conversation_id=conversation_id,
    )  # fmt: skip
    amount = refund_amount(order.amount, order.shipping_fee, buyer_reason=True, shipped=False)
    schedule = refund_schedule(today, quality=False, rules=rules, calendar=calendar)
    repo.open_refund(
        order, amount=amount, quality_problem=False, now=now, request=request, schedule=schedule
    )
    item = order.items[0]
    return ReturnReceipt(
        public_id=request.public_id,
        kind="refund_only",
        product=item.product_name,
        category=item.category,
        shipping_payer=Party.MERCHANT.value,
        return_address=None,
        review_due=review.date,
        processing_due=processing.date,
        refund_amount=amount,
        refund_working_days=rules.refund_working_days_no_quality,
        estimated=review.estimated or processing.estimated or schedule.estimated,
    )


# --- complaints ----------------------------------------------------------------------------

_CATEGORY_WORDS = [
    ("delivery", r"快递|物流|配送|送货|驿站|签收|派送"),
    ("refund", r"退款|退钱|到账|赔偿|补偿"),
    ("quality", r"质量|假货|坏|破|瑕疵|次品|虚假宣传|不一样"),
    ("service", r"客服|态度|师傅|服务|回复|不理|骂|推卸|踢皮球|敷衍"),
]
_ANGER = (
    r"生气|气死|垃圾|骗子|奸商|黑心|太过分|欺诈|曝光|12315|消协|消费者协会|律师|起诉|!{2,}|！{2,}"
)


def complaint_category(text: str) -> str:
    """delivery / refund / quality / service / other, from the description."""
    for category, pattern in _CATEGORY_WORDS:
        if re.search(pattern, text):
            return category
    return "other"


def sounds_angry(text: str) -> bool:
    """Strong words, threats to go to 12315 or court, or shouting."""
    return re.search(_ANGER, text) is not None


@dataclass(frozen=True)
class ComplaintReceipt:
    """The ticket opened, its promises, and the person it went to if it did."""

    public_id: str
    reply_due: dt.datetime
    solution_due: dt.datetime
    handoff_id: str | None


def open_complaint(
    *,
    description: str,
    severity: Severity,
    order_no: str | None,
    conversation_id: str,
) -> ComplaintReceipt:
    """Open a complaint ticket with its SLA deadlines; angry, serious or repeated complaints
    also go to a person."""
    now = shop_now()
    rules = configured_rules()
    with open_repository() as repo:
        order = repo.find_order(order_no) if order_no else None
        earlier = repo.count_complaints(order) if order else 0
        angry = sounds_angry(description)
        escalate = needs_human(
            rules, severity=severity, angry=angry, earlier_complaints=earlier, asked=False
        )
        complaint = repo.open_complaint(
            category=complaint_category(description),
            severity=severity,
            description=description,
            deadlines=complaint_deadlines(now, rules, configured_calendar()),
            now=now,
            order=order,
            escalated=escalate,
            conversation_id=conversation_id,
        )
        handoff = None
        if escalate:
            reason = "angry" if angry else ("repeat" if earlier else "severe")
            handoff = repo.request_handoff(
                conversation_id=conversation_id, reason=reason, now=now, topic="complaint",
                order=order, complaint=complaint,
            )  # fmt: skip
        return ComplaintReceipt(
            public_id=complaint.public_id,
            reply_due=complaint.reply_due,
            solution_due=complaint.solution_due,
            handoff_id=handoff.public_id if handoff else None,
        )


# --- repairs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepairAssessment:
    """The warranty verdict and whether a technician can come to the customer."""

    decision: Decision
    onsite_possible: bool


def assess_repair(order_no: str, today: dt.date | None = None) -> RepairAssessment:
    """May the order's (first) item be repaired free of charge, and how?"""
    today = today or shop_now().date()
    rules = configured_rules()
    with open_repository() as repo:
        facts = repo.order_facts(repo.find_order(order_no))
        decision = decide_repair(facts, facts.items[0], today, rules, configured_calendar())
        return RepairAssessment(decision, facts.items[0].category in rules.onsite_categories)


def check_visit(start: dt.datetime, end: dt.datetime) -> tuple[Decision, dt.datetime, dt.datetime]:
    """A requested visit clipped to service hours, and the policy's verdict on it."""
    rules = configured_rules()
    opens = start.replace(hour=rules.onsite_service_start_hour, minute=0, second=0, microsecond=0)
    closes = opens.replace(hour=rules.onsite_service_end_hour - 1, minute=59)
    start, end = max(start, opens), min(end, closes + dt.timedelta(minutes=1))
    if end <= start:  # entirely outside service hours: keep it so the verdict says so
        start, end = start, start + dt.timedelta(hours=1)
    return check_onsite_slot(start, end, shop_now(), rules), start, end


@dataclass(frozen=True)
class RepairReceipt:
    """The booking as the customer should hear it."""

    public_id: str
    product: str
    mode: str
    contact: str  # masked
    respond_due: dt.date
    complete_due: dt.date | None
    slot: tuple[dt.datetime, dt.datetime] | None


def book_repair(
    *,
    order_no: str,
    fault: str,
    mode: str,
    conversation_id: str,
    address: str | None = None,
    slot: tuple[dt.datetime, dt.datetime] | None = None,
) -> RepairReceipt:
    """Book a covered repair (re-deciding warranty); the technician calls the order's phone."""
    now = shop_now()
    rules = configured_rules()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        facts = repo.order_facts(order)
        decision = decide_repair(facts, facts.items[0], now.date(), rules, configured_calendar())
        if not decision.allowed:
            raise InvalidRequest(f"repair not covered: {decision.code}")
        booking = repo.book_repair(
            order, order.items[0], fault=fault, mode=mode, decision=decision, now=now,
            address=address, contact_phone=order.buyer_phone if mode == "onsite" else None,
            slot=slot, conversation_id=conversation_id,
        )  # fmt: skip
        return RepairReceipt(
            public_id=booking.public_id,
            product=order.items[0].product_name,
            mode=mode,
            contact=mask_phone(order.buyer_phone),
            respond_due=booking.respond_due,
            complete_due=booking.complete_due,
            slot=slot,
        )

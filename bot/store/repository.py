"""The after-sales store's intention-revealing operations.

A repository wraps one session (one unit of work); callers open it with
`bot.store.open_repository()` and everything they do inside commits together.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.identifiers import normalise_last4, normalise_order_no, normalise_phone
from bot.policy import (
    ComplaintDeadlines,
    Decision,
    Dimension,
    ItemFacts,
    OrderFacts,
    OrderStatus,
    RefundSchedule,
    ReturnReason,
    Severity,
    is_extreme,
    is_valid_score,
)
from bot.store.errors import (
    DuplicateRequest,
    InvalidPhone,
    InvalidRequest,
    MalformedOrderNumber,
    OrderNotFound,
    OwnershipNotVerified,
)
from bot.store.ids import next_public_id
from bot.store.models import (
    AfterSalesRequest,
    ChannelDelivery,
    Complaint,
    Customer,
    HandoffRequest,
    Order,
    OrderItem,
    OwnershipCheck,
    Rating,
    Refund,
    RepairBooking,
)

REQUEST_KINDS = ("return", "exchange", "refund_only")
# Applications and bookings that are still being handled: a second one for the same item
# would duplicate the work (and, for refund-only, the money).
OPEN_REQUEST_STATUSES = ("submitted", "approved", "received")
ACTIVE_BOOKING_STATUSES = ("booked", "in_progress")
T = TypeVar("T")


def _required(value: T | None) -> T:
    """A value an allowing decision always sets; its absence is a bug, not bad input."""
    if value is None:
        raise InvalidRequest("the decision lacks a value the request needs")
    return value


PROOF_KINDS = ("phone", "last4", "token")


class AfterSalesRepository:
    """Orders, after-sales requests, tickets and ratings, for one unit of work."""

    def __init__(self, session: Session, tz: ZoneInfo, return_address: str) -> None:
        self.session = session
        self.tz = tz
        self.return_address = return_address

    # --- orders and ownership -------------------------------------------------------------

    def find_order(self, order_no: str, *, for_update: bool = False) -> Order:
        """The order with this number; MalformedOrderNumber or OrderNotFound otherwise.

        `for_update` locks the row until the unit of work ends (PostgreSQL; SQLite serialises
        writers anyway), so concurrent ownership checks of one order are counted one by one.
        """
        normalised = normalise_order_no(order_no)
        if normalised is None:
            raise MalformedOrderNumber("an order number has 10–20 digits, optionally after letters")
        query = select(Order).where(Order.order_no == normalised)
        order = self.session.execute(
            query.with_for_update() if for_update else query
        ).scalar_one_or_none()
        if order is None:
            raise OrderNotFound(f"no order {normalised}")
        return order

    def verify_owner(self, order_no: str, phone_or_last4: str) -> Order:
        """The order, if `phone_or_last4` (a full mobile or its last 4 digits) is the buyer's."""
        order = self.find_order(order_no)
        phone = normalise_phone(phone_or_last4)
        if phone is not None:
            matches = hmac.compare_digest(phone, order.buyer_phone)
        else:
            last4 = normalise_last4(phone_or_last4)
            if last4 is None:
                raise InvalidPhone("give the order's mobile number or its last 4 digits")
            matches = hmac.compare_digest(last4, order.buyer_phone[-4:])
        if not matches:
            raise OwnershipNotVerified(f"phone does not match order {order.order_no}")
        return order

    def record_ownership_check(
        self,
        order: Order,
        *,
        conversation_id: str,
        proof_kind: str,
        succeeded: bool,
        now: dt.datetime,
    ) -> None:
        """Remember one attempt to prove ownership of `order` (phone, last4 or token)."""
        if proof_kind not in PROOF_KINDS:
            raise InvalidRequest(f"unknown proof kind {proof_kind!r}")
        self.session.add(
            OwnershipCheck(
                order_id=order.id,
                conversation_id=conversation_id,
                proof_kind=proof_kind,
                succeeded=succeeded,
                created_at=now,
            )
        )
        self.session.flush()

    def failed_ownership_checks(
        self, *, since: dt.datetime, order: Order | None = None, conversation_id: str | None = None
    ) -> int:
        """Failed proofs since `since`, of one order or by one conversation (or both)."""
        query = (
            select(func.count())
            .select_from(OwnershipCheck)
            .where(OwnershipCheck.succeeded.is_(False), OwnershipCheck.created_at >= since)
        )
        if order is not None:
            query = query.where(OwnershipCheck.order_id == order.id)
        if conversation_id is not None:
            query = query.where(OwnershipCheck.conversation_id == conversation_id)
        return self.session.execute(query).scalar_one()

    def has_ownership_proof(self, order: Order, conversation_id: str, since: dt.datetime) -> bool:
        """Did this conversation prove it owns `order` at or after `since`?"""
        found = self.session.execute(
            select(OwnershipCheck.id)
            .where(
                OwnershipCheck.order_id == order.id,
                OwnershipCheck.conversation_id == conversation_id,
                OwnershipCheck.succeeded.is_(True),
                OwnershipCheck.created_at >= since,
            )
            .limit(1)
        ).first()
        return found is not None

    def customer_id_of_phone(self, phone: str) -> str | None:
        """The id of the customer registered with this mobile, if any (demo sign-in)."""
        found = self.session.execute(
            select(Customer.id).where(Customer.phone == normalise_phone(phone))
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def orders_of_customer(self, customer_id: str, limit: int) -> list[Order]:
        """The customer's newest orders (by payment time); none for an id that is not a number."""
        if not customer_id.isdigit():
            return []
        return list(
            self.session.execute(
                select(Order)
                .where(Order.customer_id == int(customer_id))
                .order_by(Order.paid_at.desc())
                .limit(limit)
            ).scalars()
        )

    def local_date(self, moment: dt.datetime | None) -> dt.date | None:
        """A stored UTC time as a calendar date in the shop's time zone."""
        return None if moment is None else moment.astimezone(self.tz).date()

    def paid_on(self, order: Order) -> dt.date:
        """The shop-zone date the order was paid (paid_at is NOT NULL)."""
        return order.paid_at.astimezone(self.tz).date()

    def order_facts(self, order: Order) -> OrderFacts:
        """The policy's view of an order."""
        paid_on = self.paid_on(order)
        return OrderFacts(
            order_no=order.order_no,
            status=OrderStatus(order.status),
            amount=order.amount,
            shipping_fee=order.shipping_fee,
            paid_on=paid_on,
            shipped_on=self.local_date(order.shipped_at),
            delivered_on=self.local_date(order.delivered_at),
            warranty_months=order.warranty_months,
            items=tuple(self.item_facts(item) for item in order.items),
        )

    @staticmethod
    def item_facts(item: OrderItem) -> ItemFacts:
        """The policy's view of an order line."""
        return ItemFacts(item.product_name, item.category, item.unit_price, item.quantity)

    @staticmethod
    def item_of(order: Order, item_id: int | None) -> OrderItem:
        """The order's line `item_id`, or its only line when `item_id` is None."""
        if item_id is None and len(order.items) == 1:
            return order.items[0]
        for item in order.items:
            if item.id == item_id:
                return item
        raise InvalidRequest(f"order {order.order_no} has no such item")

    # --- returns, exchanges, refunds --------------------------------------------------------

    def _refuse_second(
        self, model: type[AfterSalesRequest] | type[RepairBooking], item: OrderItem,
        statuses: tuple[str, ...],
    ) -> None:  # fmt: skip
        """Raise DuplicateRequest if the item already has a `model` row in one of `statuses`."""
        found = self.session.execute(
            select(model.public_id).where(model.item_id == item.id, model.status.in_(statuses))
        ).first()
        if found is not None:
            raise DuplicateRequest(found.public_id)

    def open_request(
        self,
        order: Order,
        item: OrderItem,
        *,
        kind: str,
        reason: ReturnReason,
        decision: Decision,
        now: dt.datetime,
        description: str | None = None,
        conversation_id: str | None = None,
    ) -> AfterSalesRequest:
        """Record an application the policy allowed; returns it with its public id."""
        if kind not in REQUEST_KINDS:
            raise InvalidRequest(f"unknown request kind {kind!r}")
        if not decision.allowed:
            raise InvalidRequest(f"policy refused this request: {decision.code}")
        if item.order_id != order.id:
            raise InvalidRequest("item is not part of this order")
        self._refuse_second(AfterSalesRequest, item, OPEN_REQUEST_STATUSES)
        request = AfterSalesRequest(
            public_id=next_public_id(self.session, kind, now.astimezone(self.tz).date()),
            order_id=order.id,
            item_id=item.id,
            kind=kind,
            reason=reason.value,
            quality_problem=reason is ReturnReason.QUALITY,
            description=description,
            status="submitted",
            shipping_payer=_required(decision.values.shipping_payer).value,
            return_address=self.return_address if kind != "refund_only" else None,
            review_due=_required(decision.values.review_due),
            processing_due=_required(decision.values.processing_due),
            conversation_id=conversation_id,
            created_at=now,
        )
        self.session.add(request)
        self.session.flush()
        return request

    def open_refund(
        self,
        order: Order,
        *,
        amount: Decimal,
        quality_problem: bool,
        now: dt.datetime,
        request: AfterSalesRequest | None = None,
        goods_received_on: dt.date | None = None,
        schedule: RefundSchedule | None = None,
    ) -> Refund:
        """Record a refund owed to the customer, paid back by the order's payment route.
        All of an order's refunds together never exceed what was paid for it."""
        paid = order.amount + order.shipping_fee
        refunded = sum((r.amount for r in self.refunds_for_order(order)), Decimal(0))
        if amount <= 0 or refunded + amount > paid:
            raise InvalidRequest("refunds must be positive and at most what was paid in all")
        refund = Refund(
            public_id=next_public_id(self.session, "refund", now.astimezone(self.tz).date()),
            order_id=order.id,
            request_id=request.id if request else None,
            amount=amount,
            route=order.payment_route,
            quality_problem=quality_problem,
            goods_received_on=goods_received_on,
            due_on=schedule.refund_due if schedule else None,
            credit_earliest=schedule.credit_earliest if schedule else None,
            credit_latest=schedule.credit_latest if schedule else None,
            created_at=now,
        )
        self.session.add(refund)
        self.session.flush()
        return refund

    def refunds_for_order(self, order: Order) -> list[Refund]:
        """Every refund of the order, newest first."""
        return list(
            self.session.execute(
                select(Refund).where(Refund.order_id == order.id).order_by(Refund.id.desc())
            ).scalars()
        )

    # --- repairs ------------------------------------------------------------------------------

    def book_repair(
        self,
        order: Order,
        item: OrderItem,
        *,
        fault: str,
        mode: str,
        decision: Decision,
        now: dt.datetime,
        address: str | None = None,
        contact_phone: str | None = None,
        slot: tuple[dt.datetime, dt.datetime] | None = None,
        conversation_id: str | None = None,
    ) -> RepairBooking:
        """Record a repair booking with the deadlines the policy set."""
        if mode not in ("onsite", "send_in"):
            raise InvalidRequest(f"unknown repair mode {mode!r}")
        if mode == "onsite" and (not address or slot is None or contact_phone is None):
            raise InvalidRequest("an on-site repair needs an address, a contact phone and a slot")
        if contact_phone is not None and normalise_phone(contact_phone) is None:
            raise InvalidPhone("contact phone is not a mainland mobile number")
        self._refuse_second(RepairBooking, item, ACTIVE_BOOKING_STATUSES)
        booking = RepairBooking(
            public_id=next_public_id(self.session, "repair", now.astimezone(self.tz).date()),
            order_id=order.id,
            item_id=item.id,
            fault=fault,
            mode=mode,
            covered=decision.allowed,
            address=address,
            contact_phone=normalise_phone(contact_phone) if contact_phone else None,
            slot_start=slot[0] if slot else None,
            slot_end=slot[1] if slot else None,
            status="booked",
            respond_due=decision.values.respond_due or now.astimezone(self.tz).date(),
            complete_due=decision.values.complete_due,
            conversation_id=conversation_id,
            created_at=now,
        )
        self.session.add(booking)
        self.session.flush()
        return booking

    # --- complaints and handoff ---------------------------------------------------------------

    def open_complaint(
        self,
        *,
        category: str,
        severity: Severity,
        description: str,
        deadlines: ComplaintDeadlines,
        now: dt.datetime,
        order: Order | None = None,
        escalated: bool = False,
        conversation_id: str | None = None,
        amount_asked: Decimal | None = None,
    ) -> Complaint:
        """Record a complaint ticket carrying its SLA deadlines (and, for a request for
        compensation, the amount the customer named)."""
        if not description.strip():
            raise InvalidRequest("a complaint needs a description")
        complaint = Complaint(
            public_id=next_public_id(self.session, "complaint", now.astimezone(self.tz).date()),
            order_id=order.id if order else None,
            category=category,
            severity=severity.value,
            description=description,
            status="open",
            escalated=escalated,
            amount_asked=amount_asked,
            reply_due=deadlines.reply_due,
            solution_due=deadlines.solution_due,
            result_due=deadlines.dispute_result_due,
            conversation_id=conversation_id,
            created_at=now,
        )
        self.session.add(complaint)
        self.session.flush()
        return complaint

    def count_complaints(self, order: Order) -> int:
        """How many complaints were already made about this order."""
        return self.session.execute(
            select(func.count()).select_from(Complaint).where(Complaint.order_id == order.id)
        ).scalar_one()

    def request_handoff(
        self,
        *,
        conversation_id: str,
        reason: str,
        now: dt.datetime,
        topic: str | None = None,
        order: Order | None = None,
        complaint: Complaint | None = None,
    ) -> HandoffRequest:
        """Queue the conversation for a human agent; one waiting request per conversation."""
        waiting = self.session.execute(
            select(HandoffRequest).where(
                HandoffRequest.conversation_id == conversation_id,
                HandoffRequest.status == "waiting",
            )
        ).scalar_one_or_none()
        if waiting is not None:
            return waiting
        handoff = HandoffRequest(
            public_id=next_public_id(self.session, "handoff", now.astimezone(self.tz).date()),
            conversation_id=conversation_id,
            reason=reason,
            topic=topic,
            order_id=order.id if order else None,
            complaint_id=complaint.id if complaint else None,
            status="waiting",
            created_at=now,
        )
        self.session.add(handoff)
        self.session.flush()
        return handoff

    # --- ratings ------------------------------------------------------------------------------

    def save_rating(
        self,
        *,
        conversation_id: str,
        channel: str,
        topic: str,
        scores: Mapping[Dimension, int | None],
        now: dt.datetime,
        solved: bool | None = None,
        comment: str | None = None,
        product_category: str | None = None,
        team: str = "bot",
    ) -> Rating:
        """Store the conversation's rating; a second rating of the same conversation updates it."""
        if scores.get(Dimension.OVERALL) is None:
            raise InvalidRequest("the overall score is required")
        for dimension, score in scores.items():
            if score is not None and not is_valid_score(score):
                raise InvalidRequest(f"{dimension.value} must be a whole number from 1 to 5")
        rating = self.session.execute(
            select(Rating).where(Rating.conversation_id == conversation_id)
        ).scalar_one_or_none()
        if rating is None:
            rating = Rating(conversation_id=conversation_id, created_at=now)
            self.session.add(rating)
        rating.channel = channel
        rating.topic = topic
        rating.product_category = product_category
        rating.team = team
        for dimension, score in scores.items():
            setattr(rating, dimension.value, score)
        rating.solved = solved
        rating.comment = comment.strip() if comment and comment.strip() else None
        rating.flagged_extreme = is_extreme({d: getattr(rating, d.value) for d in Dimension})
        rating.updated_at = now
        self.session.flush()
        return rating

    # --- channel deliveries -------------------------------------------------------------------

    def record_delivery(
        self, channel: str, delivery_key: str, *, now: dt.datetime, forget_before: dt.datetime
    ) -> bool:
        """Remember one platform delivery; False if it was already recorded (a replay).

        One atomic INSERT ... ON CONFLICT DO NOTHING, so two replicas receiving the same
        delivery at once cannot both see it as new. Deliveries older than `forget_before`
        are dropped: a signed request that old is refused as stale before it gets here.
        """
        self.session.execute(
            delete(ChannelDelivery).where(ChannelDelivery.received_at < forget_before)
        )
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = self.session.execute(
            dialect.insert(ChannelDelivery.__table__)
            .values(channel=channel, delivery_key=delivery_key, received_at=now)
            .on_conflict_do_nothing(index_elements=["channel", "delivery_key"])
        )
        return bool(inserted.rowcount == 1)

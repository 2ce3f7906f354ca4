"""SQLAlchemy models of the order and after-sales store.

Written in the SQLAlchemy 1.4 style that 2.0 keeps (declarative classes, `select()`), so the
upgrade Rasa will one day allow is a version bump. Times are stored as UTC; calendar dates
(warranty, windows) are derived in the shop's time zone by the repository.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.clock import utc_now

# Named constraints keep later migrations (and SQLite's batch mode) deterministic.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING))


class Money(TypeDecorator):
    """Yuan as Decimal in Python, whole fen (分) as an integer in the database.

    SQLite has no exact decimal type; integers are exact on every backend.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        fen = Decimal(value) * 100
        if fen != fen.to_integral_value():
            raise ValueError(f"amount {value} has more than two decimal places")
        return int(fen)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


def _utcnow() -> dt.datetime:
    return utc_now()


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False)
    phone = Column(String(16), nullable=False, unique=True)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)

    orders = relationship("Order", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    order_no = Column(String(32), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    buyer_phone = Column(String(16), nullable=False)  # the phone on the order, for verification
    amount: Decimal = Column(Money, nullable=False)  # goods total, shipping excluded
    shipping_fee: Decimal = Column(Money, nullable=False, default=Decimal("0.00"))
    payment_route = Column(String(16), nullable=False)  # alipay / wechat / card / balance
    status = Column(String(16), nullable=False)  # bot.policy.OrderStatus values
    shipping_address = Column(Text, nullable=False)
    warranty_months = Column(Integer, nullable=False, default=0)
    paid_at = Column(UtcDateTime, nullable=False)
    shipped_at = Column(UtcDateTime)
    delivered_at = Column(UtcDateTime)
    # The outbound parcel, as the shop's order system last heard from the carrier.
    courier = Column(String(8))  # bot.tracking.COURIERS code
    tracking_no = Column(String(32))
    last_scan = Column(String(64))  # where the parcel was last scanned
    last_scan_at = Column(UtcDateTime)

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")


class OrderItem(Base):
    __tablename__ = "order_items"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    product_name = Column(String(128), nullable=False)
    category = Column(String(32), nullable=False)  # product line: 服装, 家电, 食品 …
    unit_price: Decimal = Column(Money, nullable=False)
    quantity = Column(Integer, nullable=False, default=1)

    order = relationship("Order", back_populates="items")


class AfterSalesRequest(Base):
    """A return, exchange or refund-only application."""

    __tablename__ = "after_sales_requests"

    id = Column(Integer, primary_key=True)
    public_id = Column(String(24), nullable=False, unique=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    item_id = Column(ForeignKey("order_items.id"))
    kind = Column(String(16), nullable=False)  # return / exchange / refund_only
    reason = Column(String(16), nullable=False)  # bot.policy.ReturnReason values
    quality_problem = Column(Boolean, nullable=False, default=False)
    description = Column(Text)  # the customer's own words
    damage_cause = Column(String(8))  # bot.reasons.DamageCause values, as the customer said
    status = Column(
        String(16), nullable=False
    )  # submitted/approved/rejected/received/completed/cancelled
    shipping_payer = Column(String(8), nullable=False)  # buyer / merchant
    return_address = Column(Text)
    courier = Column(String(8))  # the return parcel's courier code (bot.tracking.COURIERS)
    tracking_no = Column(String(32))
    goods_received_on = Column(Date)
    review_due = Column(Date, nullable=False)
    processing_due = Column(Date, nullable=False)
    conversation_id = Column(String(128))
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)

    order = relationship("Order")
    item = relationship("OrderItem")
    refund = relationship("Refund", back_populates="request", uselist=False)


class Refund(Base):
    __tablename__ = "refunds"

    id = Column(Integer, primary_key=True)
    public_id = Column(String(24), nullable=False, unique=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    request_id = Column(ForeignKey("after_sales_requests.id"), unique=True)
    amount: Decimal = Column(Money, nullable=False)
    route = Column(String(16), nullable=False)  # original payment route
    quality_problem = Column(Boolean, nullable=False, default=False)
    goods_received_on = Column(Date)  # returned goods back at the warehouse
    due_on = Column(Date)  # merchant must pay out by then
    paid_out_on = Column(Date)
    credit_earliest = Column(Date)
    credit_latest = Column(Date)
    credited_on = Column(Date)
    cancelled_on = Column(Date)  # a refund-only application withdrawn before pay-out
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)

    order = relationship("Order")
    request = relationship("AfterSalesRequest", back_populates="refund")


class RepairBooking(Base):
    __tablename__ = "repair_bookings"

    id = Column(Integer, primary_key=True)
    public_id = Column(String(24), nullable=False, unique=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    item_id = Column(ForeignKey("order_items.id"))
    fault = Column(Text, nullable=False)
    damage_cause = Column(String(8))  # bot.reasons.DamageCause values, as the customer said
    mode = Column(String(8), nullable=False)  # onsite / send_in
    covered = Column(Boolean, nullable=False)  # free under warranty, else paid repair
    address = Column(Text)
    contact_phone = Column(String(16))
    slot_start = Column(UtcDateTime)
    slot_end = Column(UtcDateTime)
    status = Column(String(16), nullable=False)  # booked / in_progress / done / cancelled
    respond_due = Column(Date, nullable=False)
    complete_due = Column(Date)  # None for a manufacturer repair with its own cycle
    finished_at = Column(UtcDateTime)
    conversation_id = Column(String(128))
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)

    order = relationship("Order")
    item = relationship("OrderItem")


class Complaint(Base):
    __tablename__ = "complaints"

    id = Column(Integer, primary_key=True)
    public_id = Column(String(24), nullable=False, unique=True)
    order_id = Column(ForeignKey("orders.id"), index=True)
    # compensation / delivery / quality / service / refund / other
    category = Column(String(32), nullable=False)
    severity = Column(String(8), nullable=False)  # bot.policy.Severity values
    description = Column(Text, nullable=False)
    amount_asked: Decimal | None = Column(Money)  # what a compensation request named, if any
    status = Column(String(16), nullable=False)  # open / replied / resolved / closed
    escalated = Column(Boolean, nullable=False, default=False)
    reply_due = Column(UtcDateTime, nullable=False)
    solution_due = Column(UtcDateTime, nullable=False)
    result_due = Column(Date, nullable=False)
    replied_at = Column(UtcDateTime)
    reply = Column(Text)  # what the service team answered
    conversation_id = Column(String(128))
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)

    order = relationship("Order")


class ParcelTicket(Base):
    """A logistics check: a parcel stalled on its way, or signed for but not received."""

    __tablename__ = "parcel_tickets"
    # One open check per order, kept by the database too: two conversations about the same
    # parcel at once cannot both open one.
    __table_args__ = (
        Index(
            "uq_parcel_tickets_open_order", "order_id", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
    )  # fmt: skip

    id = Column(Integer, primary_key=True)
    public_id = Column(String(24), nullable=False, unique=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    problem = Column(String(16), nullable=False)  # bot.policy.ParcelProblem values
    remedy = Column(String(8), nullable=False)  # what the customer wants: reship / refund / wait
    status = Column(String(16), nullable=False)  # open / found / reshipped / refunded
    check_due = Column(UtcDateTime, nullable=False)  # we answer by then
    claim_deadline = Column(Date, nullable=False)  # the carrier takes a loss claim until then
    outcome = Column(Text)  # what the check found, as the service team wrote it
    conversation_id = Column(String(128))
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)

    order = relationship("Order")


class HandoffRequest(Base):
    """A conversation waiting for a human agent (转人工)."""

    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    public_id = Column(String(24), nullable=False, unique=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    reason = Column(String(32), nullable=False)  # asked / angry / repeat / lockout / fallback
    topic = Column(String(16))
    order_id = Column(ForeignKey("orders.id"))
    complaint_id = Column(ForeignKey("complaints.id"))
    status = Column(String(16), nullable=False, default="waiting")
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)


class Rating(Base):
    """The answers to one satisfaction survey: one row per service rated (a conversation may
    rate several). A survey offered and not answered is a row too (`declined`, no scores),
    for the response rate."""

    __tablename__ = "ratings"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    topic = Column(
        String(16), nullable=False
    )  # return / exchange / refund / repair / complaint / faq
    subject = Column(String(24), index=True)  # the request, booking, ticket or answer rated
    product_category = Column(String(32))
    team = Column(String(32))  # who served: "bot" or an agent team
    responsiveness = Column(SmallInteger)
    resolution = Column(SmallInteger)
    professionalism = Column(SmallInteger)
    patience = Column(SmallInteger)
    proactiveness = Column(SmallInteger)
    overall = Column(SmallInteger)  # None only when declined
    recommend = Column(SmallInteger)
    solved = Column(Boolean)  # first-contact resolution
    comment = Column(Text)
    flagged_extreme = Column(Boolean, nullable=False, default=False)
    declined = Column(Boolean, nullable=False, default=False, server_default=false())
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=_utcnow)


class IdCounter(Base):
    """Per-prefix, per-day sequence behind readable ids such as RT20261122-0007."""

    __tablename__ = "id_counters"
    __table_args__ = (UniqueConstraint("prefix", "day"),)

    id = Column(Integer, primary_key=True)
    prefix = Column(String(4), nullable=False)
    day = Column(String(8), nullable=False)
    last_value = Column(Integer, nullable=False)


class OwnershipCheck(Base):
    """One attempt to prove a conversation owns an order (a phone, its last 4 digits, or a
    sign-in token). Failures drive the lockout; successes are the proof later look-ups need.

    Kept in the store, not in a conversation, so a new sender id or a success elsewhere
    resets nothing.
    """

    __tablename__ = "ownership_checks"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    proof_kind = Column(String(8), nullable=False)  # phone / last4 / token
    succeeded = Column(Boolean, nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)


class ConsoleLogin(Base):
    """One attempt to sign in to the operator console. Failures drive its lockout, kept here
    so that a restart or a second replica forgets nothing. `client` is a keyed digest of the
    address, not the address."""

    __tablename__ = "console_logins"

    id = Column(Integer, primary_key=True)
    client = Column(String(32), nullable=False)
    succeeded = Column(Boolean, nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow, index=True)


class ConsoleSession(Base):
    """A signed-in operator's session: the cookie names it, and it ends at sign-out, at its
    expiry, or when the console's password changes (`password_key` no longer matches)."""

    __tablename__ = "console_sessions"

    id = Column(String(32), primary_key=True)
    password_key = Column(String(16), nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)
    expires_at = Column(UtcDateTime, nullable=False)
    ended_at = Column(UtcDateTime)


class ChannelDelivery(Base):
    """One callback a messaging platform delivered (a message or event id, or a signature
    that covers no body), so a replay or re-delivery is handled once, whichever server
    replica receives it and across restarts."""

    __tablename__ = "channel_deliveries"
    __table_args__ = (UniqueConstraint("channel", "delivery_key"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(16), nullable=False)
    delivery_key = Column(String(64), nullable=False)  # SHA-256 of the platform's id
    received_at = Column(UtcDateTime, nullable=False, default=_utcnow, index=True)


class ConversationEvent(Base):
    """One conversation event as the event broker delivered it (already redacted), for the
    service team's analytics (`python -m bot events` writes them in the production profile).
    `event_key` is the SHA-256 of the delivered body, so a redelivery is stored once."""

    __tablename__ = "conversation_events"

    id = Column(Integer, primary_key=True)
    event_key = Column(String(64), nullable=False, unique=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    type_name = Column(String(32), nullable=False)  # user, bot, action, slot, …
    event_time = Column(UtcDateTime, nullable=False, index=True)  # when Rasa recorded it
    intent = Column(String(64))  # of a customer message
    action = Column(String(128))  # of an action run
    body = Column(Text, nullable=False)  # the event's JSON as delivered
    received_at = Column(UtcDateTime, nullable=False, default=_utcnow)


class ConversationStart(Base):
    """A conversation seen from a client address, kept an hour for the limit on how many one
    address may start (`bot.services.admission`). Both are kept as SHA-256 digests."""

    __tablename__ = "conversation_starts"
    __table_args__ = (UniqueConstraint("client_key", "conversation_key"),)

    id = Column(Integer, primary_key=True)
    client_key = Column(String(64), nullable=False)
    conversation_key = Column(String(64), nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow, index=True)


class RequestEvent(Base):
    """One thing that happened to a request, booking, ticket or handoff: who, when, what.

    Kept for audit and never updated. A system event that must happen once (an escalation,
    a compensation offer) carries a `once_key`, so a scheduled job run twice records it once.
    """

    __tablename__ = "request_events"

    id = Column(Integer, primary_key=True)
    subject = Column(String(24), nullable=False, index=True)  # the public id: RT…, RP…, CP…
    event = Column(String(32), nullable=False)  # bot.store.repository.EVENTS
    actor = Column(String(32), nullable=False)  # customer / system / agent
    conversation_id = Column(String(128))
    detail = Column(Text)  # JSON: what changed (old and new values), never a phone number
    once_key = Column(String(96), unique=True)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)


class CustomerNotice(Base):
    """A message the shop owes a customer unasked (refund credited, technician tomorrow),
    queued for the conversation's channel; `dedupe_key` makes queueing it idempotent."""

    __tablename__ = "customer_notices"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    kind = Column(String(32), nullable=False)  # the response utter_notice_<kind>
    subject = Column(String(24), nullable=False)
    values = Column(Text, nullable=False)  # JSON: the response's template values
    dedupe_key = Column(String(96), nullable=False, unique=True)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)
    sent_at = Column(UtcDateTime)


class Photo(Base):
    """A photo a customer sent as evidence for a request (a quality or wrong-item return).

    Stored re-encoded, without the camera's metadata (a phone photo's EXIF carries where it
    was taken), and served only to the service team. A request keeps one copy of each
    picture: the same file sent twice is one row.
    """

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("subject", "sha256"),)

    id = Column(Integer, primary_key=True)
    subject = Column(String(24), nullable=False, index=True)  # the request's public id: RT…
    content_type = Column(String(16), nullable=False)  # image/jpeg: every photo is re-encoded
    width = Column(Integer, nullable=False)
    height = Column(Integer, nullable=False)
    size = Column(Integer, nullable=False)  # bytes of `data`
    sha256 = Column(String(64), nullable=False)  # of what the customer sent, for the dedupe
    data = Column(LargeBinary, nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=_utcnow)

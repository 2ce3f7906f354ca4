"""The after-sales store's intention-revealing operations.

A repository wraps one session (one unit of work); callers open it with
`bot.store.open_repository()` and everything they do inside commits together.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from bot.identifiers import normalise_last4, normalise_order_no, normalise_phone
from bot.policy import (
    ComplaintDeadlines,
    Decision,
    Dimension,
    ItemFacts,
    OrderFacts,
    OrderStatus,
    ParcelProblem,
    ParcelRemedy,
    ParcelTracking,
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
    RequestClosed,
    TooManyPhotos,
)
from bot.store.ids import next_public_id
from bot.store.models import (
    AfterSalesRequest,
    ChannelDelivery,
    Complaint,
    ConsoleLogin,
    ConsoleSession,
    ConversationEvent,
    ConversationStart,
    Customer,
    CustomerNotice,
    HandoffRequest,
    Order,
    OrderItem,
    OwnershipCheck,
    ParcelTicket,
    Photo,
    Rating,
    Refund,
    RepairBooking,
    RequestEvent,
)
from bot.tracking import COURIERS

REQUEST_KINDS = ("return", "exchange", "refund_only")
# (what is promised, public id, due date or moment, conversation id): see open_commitments
Commitment = tuple[str, str, "dt.date | dt.datetime", "str | None"]
# Applications and bookings that are still being handled: a second one for the same item
# would duplicate the work (and, for refund-only, the money).
OPEN_REQUEST_STATUSES = ("submitted", "approved", "received")
ACTIVE_BOOKING_STATUSES = ("booked", "in_progress")
PARCEL_REMEDIES = tuple(remedy.value for remedy in ParcelRemedy)
MAX_PHOTOS = 6  # per request: the problem, the label, the packaging, from a few angles
T = TypeVar("T")


def _required(value: T | None) -> T:
    """A value an allowing decision always sets; its absence is a bug, not bad input."""
    if value is None:
        raise InvalidRequest("the decision lacks a value the request needs")
    return value


PROOF_KINDS = ("phone", "last4", "token")
ACTORS = ("customer", "system", "agent")


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
        found = self.open_for_item(model, item, statuses)
        if found is not None:
            raise DuplicateRequest(found)

    def open_for_item(
        self, model: type[AfterSalesRequest] | type[RepairBooking], item: OrderItem,
        statuses: tuple[str, ...],
    ) -> str | None:  # fmt: skip
        """The public id of the item's `model` row in one of `statuses`, if there is one."""
        found = self.session.execute(
            select(model.public_id).where(model.item_id == item.id, model.status.in_(statuses))
        ).first()
        return None if found is None else str(found.public_id)

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
        damage_cause: str | None = None,
        conversation_id: str | None = None,
        sent_back: bool = True,
    ) -> AfterSalesRequest:
        """Record an application the policy allowed; returns it with its public id. Goods
        the customer sends back get the return address; a parcel refused at the door or
        intercepted (`sent_back` False) and a refund-only application get none."""
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
            damage_cause=damage_cause,
            status="submitted",
            shipping_payer=_required(decision.values.shipping_payer).value,
            return_address=self.return_address if sent_back and kind != "refund_only" else None,
            review_due=_required(decision.values.review_due),
            processing_due=_required(decision.values.processing_due),
            conversation_id=conversation_id,
            created_at=now,
        )
        self.session.add(request)
        self.session.flush()
        self.record_event(
            request.public_id, "opened", actor="customer", now=now,
            conversation_id=conversation_id,
            detail={"kind": kind, "reason": reason.value, "damage_cause": damage_cause},
        )  # fmt: skip
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
        """Every refund of the order that was not withdrawn, newest first."""
        return list(
            self.session.execute(
                select(Refund)
                .where(Refund.order_id == order.id, Refund.cancelled_on.is_(None))
                .order_by(Refund.id.desc())
            ).scalars()
        )

    def requests_of_order(self, order: Order) -> list[AfterSalesRequest]:
        """The order's return, exchange and refund-only applications, newest first."""
        return list(
            self.session.execute(
                select(AfterSalesRequest)
                .where(AfterSalesRequest.order_id == order.id)
                .order_by(AfterSalesRequest.id.desc())
            ).scalars()
        )

    def find_request(self, public_id: str) -> AfterSalesRequest:
        """The application with this public id; InvalidRequest if there is none."""
        return self._by_public_id(AfterSalesRequest, public_id)

    def _by_public_id(self, model: type[T], public_id: str) -> T:
        found = self.session.execute(
            select(model).where(model.public_id == public_id)  # type: ignore[attr-defined]
        ).scalar_one_or_none()
        if found is None:
            raise InvalidRequest(f"no {model.__name__} {public_id}")
        return found

    # --- photos -------------------------------------------------------------------------------

    def add_photo(
        self,
        subject: str,
        *,
        data: bytes,
        width: int,
        height: int,
        sha256: str,
        content_type: str,
        now: dt.datetime,
    ) -> tuple[int, bool]:
        """Keep a photo for the open application `subject`: (photos it now has, whether this
        one is new). The same file again is not stored twice. InvalidRequest if there is no
        such application; TooManyPhotos or RequestClosed if it takes no more."""
        # A write that changes nothing, first: it locks the application's row (PostgreSQL) or
        # the database (SQLite) until commit, so two uploads at once cannot both pass the cap.
        locked = self.session.execute(
            update(AfterSalesRequest)
            .where(AfterSalesRequest.public_id == subject)
            .values(status=AfterSalesRequest.status)
        )
        if locked.rowcount == 0:
            raise InvalidRequest(f"no application {subject}")
        count, known = self.photo_room(subject, sha256)
        if known:
            return count, False
        photo = Photo(
            subject=subject, content_type=content_type, width=width, height=height,
            size=len(data), sha256=sha256, data=data, created_at=now,
        )  # fmt: skip
        self.session.add(photo)
        self.session.flush()
        self.record_event(
            subject, "photo_added", actor="customer", now=now,
            detail={"photo": photo.id, "bytes": len(data)},
        )  # fmt: skip
        return count + 1, True

    def photo_room(self, subject: str, sha256: str) -> tuple[int, bool]:
        """(photos the open application `subject` has, whether this file is one of them);
        InvalidRequest, RequestClosed or TooManyPhotos if it takes no new one. Asked before
        an upload is decoded, and again, locked, when it is kept."""
        request = self.find_request(subject)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise RequestClosed(subject)
        kept = self.photos_of(subject)
        if any(photo.sha256 == sha256 for photo in kept):
            return len(kept), True
        if len(kept) >= MAX_PHOTOS:
            raise TooManyPhotos(subject)
        return len(kept), False

    def refused_photos(self, subject: str, since: dt.datetime) -> dict[str, str]:
        """The files refused for `subject` since `since`: fingerprint → the reason's name.
        A file refused once is refused again without being decoded, and a link that keeps
        sending files that are refused is stopped (see bot.services.photos)."""
        details = self.session.execute(
            select(RequestEvent.detail).where(
                RequestEvent.subject == subject,
                RequestEvent.event == "photo_refused",
                RequestEvent.created_at >= since,
            )
        ).scalars()
        refused = (json.loads(detail) for detail in details if detail)
        return {str(d.get("sha256")): str(d.get("reason")) for d in refused}

    def photos_of(self, subject: str) -> list[Photo]:
        """A request's photos, oldest first, without their bytes (loaded only if read)."""
        return list(
            self.session.execute(
                select(Photo)
                .where(Photo.subject == subject)
                .options(defer(Photo.data))
                .order_by(Photo.id)
            ).scalars()
        )

    def purge_photos(self, sent_before: dt.datetime) -> dict[str, int]:
        """Delete the photos sent before `sent_before` of applications that have ended; how
        many went, per application. An open application keeps its photos however old."""
        ended = select(AfterSalesRequest.public_id).where(
            AfterSalesRequest.status.not_in(OPEN_REQUEST_STATUSES)
        )
        rows = self.session.execute(
            select(Photo.id, Photo.subject).where(
                Photo.created_at < sent_before, Photo.subject.in_(ended)
            )
        ).all()
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.subject] = counts.get(row.subject, 0) + 1
        if rows:
            self.session.execute(
                delete(Photo)
                .where(Photo.id.in_([row.id for row in rows]))
                .execution_options(synchronize_session=False)
            )
        return counts

    def photo(self, photo_id: int) -> Photo | None:
        """One photo with its bytes, or None."""
        return self.session.get(Photo, photo_id)

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
        damage_cause: str | None = None,
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
            damage_cause=damage_cause,
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
        self.record_event(
            booking.public_id, "opened", actor="customer", now=now,
            conversation_id=conversation_id,
            detail={"mode": mode, "covered": booking.covered, "damage_cause": damage_cause},
        )  # fmt: skip
        return booking

    def bookings_of_order(self, order: Order) -> list[RepairBooking]:
        """The order's repair bookings, newest first."""
        return list(
            self.session.execute(
                select(RepairBooking)
                .where(RepairBooking.order_id == order.id)
                .order_by(RepairBooking.id.desc())
            ).scalars()
        )

    def find_booking(self, public_id: str) -> RepairBooking:
        """The repair booking with this public id; InvalidRequest if there is none."""
        return self._by_public_id(RepairBooking, public_id)

    # --- parcels on their way ------------------------------------------------------------------

    @staticmethod
    def tracking_of(order: Order) -> ParcelTracking:
        """The order's parcel and the carrier's latest scan of it, as the order system holds it."""
        courier = COURIERS.get(order.courier or "")
        return ParcelTracking(
            courier=courier.name if courier else order.courier,
            tracking_no=order.tracking_no,
            last_scan=order.last_scan,
            last_scan_at=order.last_scan_at,
            shipped_at=order.shipped_at,
        )

    def open_parcel_ticket(
        self,
        order: Order,
        *,
        problem: ParcelProblem,
        remedy: str,
        decision: Decision,
        now: dt.datetime,
        conversation_id: str | None = None,
    ) -> ParcelTicket:
        """Record a logistics check the policy allowed, with its answer and claim deadlines;
        one open check per order (a second is refused with the first one's id)."""
        if remedy not in PARCEL_REMEDIES:
            raise InvalidRequest(f"unknown parcel remedy {remedy!r}")
        if not decision.allowed:
            raise InvalidRequest(f"policy refused a parcel check: {decision.code}")
        found = self.open_parcel_check_of(order)
        if found is not None:
            raise DuplicateRequest(found.public_id)
        ticket = ParcelTicket(
            public_id=next_public_id(self.session, "parcel", now.astimezone(self.tz).date()),
            order_id=order.id,
            problem=problem.value,
            remedy=remedy,
            status="open",
            check_due=_required(decision.values.check_due),
            claim_deadline=_required(decision.values.claim_deadline),
            conversation_id=conversation_id,
            created_at=now,
        )
        try:
            with self.session.begin_nested():  # the index refuses a second open check
                self.session.add(ticket)
        except IntegrityError:
            raced = self.open_parcel_check_of(order)
            raise DuplicateRequest(raced.public_id if raced else "") from None
        self.record_event(
            ticket.public_id, "opened", actor="customer", now=now,
            conversation_id=conversation_id, detail={"problem": problem.value, "remedy": remedy},
        )  # fmt: skip
        return ticket

    def open_parcel_check_of(self, order: Order) -> ParcelTicket | None:
        """The order's logistics check still waiting for the carrier's answer, if any."""
        return self.session.execute(
            select(ParcelTicket)
            .where(ParcelTicket.order_id == order.id, ParcelTicket.status == "open")
            .limit(1)
        ).scalar_one_or_none()

    def parcel_tickets_of_order(self, order: Order) -> list[ParcelTicket]:
        """The order's logistics checks, newest first."""
        return list(
            self.session.execute(
                select(ParcelTicket)
                .where(ParcelTicket.order_id == order.id)
                .order_by(ParcelTicket.id.desc())
            ).scalars()
        )

    def parcel_checks_overdue(self, now: dt.datetime) -> list[ParcelTicket]:
        """Logistics checks still open after the time promised for their answer."""
        return list(
            self.session.execute(
                select(ParcelTicket).where(
                    ParcelTicket.status == "open", ParcelTicket.check_due < now
                )
            ).scalars()
        )

    def find_parcel_ticket(self, public_id: str) -> ParcelTicket:
        """The logistics check with this public id; InvalidRequest if there is none."""
        return self._by_public_id(ParcelTicket, public_id)

    # --- complaints and handoff ---------------------------------------------------------------

    def complaints_of_order(self, order: Order) -> list[Complaint]:
        """The complaints about the order, newest first."""
        return list(
            self.session.execute(
                select(Complaint)
                .where(Complaint.order_id == order.id)
                .order_by(Complaint.id.desc())
            ).scalars()
        )

    def find_handoff(self, public_id: str) -> HandoffRequest:
        """The handoff with this public id; InvalidRequest if there is none."""
        return self._by_public_id(HandoffRequest, public_id)

    def has_rated(self, conversation_id: str) -> bool:
        """Did the conversation give a score to anything (a declined survey does not count)?"""
        found = self.session.execute(
            select(Rating.id)
            .where(Rating.conversation_id == conversation_id, Rating.overall.is_not(None))
            .limit(1)
        ).first()
        return found is not None

    def ratings_between(self, since: dt.datetime, until: dt.datetime) -> list[Rating]:
        """Every survey offered in [since, until), declined ones included, oldest first."""
        return list(
            self.session.execute(
                select(Rating)
                .where(Rating.created_at >= since, Rating.created_at < until)
                .order_by(Rating.created_at, Rating.id)
            ).scalars()
        )

    def complaint_reply_times(
        self, since: dt.datetime, until: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime | None]]:
        """(opened, first replied) of the complaints opened in [since, until), except those
        the customer withdrew before any reply."""
        rows = self.session.execute(
            select(Complaint.created_at, Complaint.replied_at).where(
                Complaint.created_at >= since,
                Complaint.created_at < until,
                (Complaint.status != "closed") | Complaint.replied_at.is_not(None),
            )
        ).all()
        return [(opened, replied) for opened, replied in rows]

    def promises_due_between(
        self, since: dt.datetime, until: dt.datetime
    ) -> list[tuple[str, dt.date | dt.datetime, dt.date | dt.datetime | None]]:
        """(what, due, when done or None) of the promises falling due in [since, until) that
        the store can check: complaint replies and solutions, refund pay-outs."""
        found: list[tuple[str, dt.date | dt.datetime, dt.date | dt.datetime | None]] = []
        resolved = {
            subject: moment
            for subject, moment in self.session.execute(
                select(RequestEvent.subject, func.min(RequestEvent.created_at))
                .where(RequestEvent.event == "resolved", RequestEvent.subject.like("CP%"))
                .group_by(RequestEvent.subject)
            ).all()
        }
        for complaint in self.session.execute(
            select(Complaint).where(Complaint.reply_due >= since, Complaint.reply_due < until)
        ).scalars():
            if complaint.status == "closed" and complaint.replied_at is None:
                continue  # withdrawn by the customer before any reply: nothing was owed
            found.append(("complaint_reply", complaint.reply_due, complaint.replied_at))
            solved = resolved.get(complaint.public_id)
            if solved is not None or complaint.status in ("open", "replied"):
                found.append(("complaint_solution", complaint.solution_due, solved))
            # resolved or closed with no record of when: not counted either way
        first, last = since.astimezone(self.tz).date(), until.astimezone(self.tz).date()
        for refund in self.session.execute(
            select(Refund).where(
                Refund.due_on >= first, Refund.due_on < last, Refund.cancelled_on.is_(None)
            )
        ).scalars():
            found.append(("refund_pay", refund.due_on, refund.paid_out_on))
        return found

    def find_complaint(self, public_id: str) -> Complaint:
        """The complaint with this public id; InvalidRequest if there is none."""
        return self._by_public_id(Complaint, public_id)

    def find_subject(self, public_id: str) -> AfterSalesRequest | RepairBooking | Complaint:
        """The application, booking or complaint with this public id; InvalidRequest if none."""
        for model in (AfterSalesRequest, RepairBooking, Complaint):
            found = self.session.execute(
                select(model).where(model.public_id == public_id)
            ).scalar_one_or_none()
            if found is not None:
                return found
        raise InvalidRequest(f"no request {public_id}")

    def waiting_handoff(self, conversation_id: str) -> HandoffRequest | None:
        """This conversation's request for a person that no one has taken yet, if any."""
        return self.session.execute(
            select(HandoffRequest).where(
                HandoffRequest.conversation_id == conversation_id,
                HandoffRequest.status == "waiting",
            )
        ).scalar_one_or_none()

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
        self.record_event(
            complaint.public_id, "opened", actor="customer", now=now,
            conversation_id=conversation_id, detail={"category": category},
        )  # fmt: skip
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
        actor: str = "customer",
    ) -> HandoffRequest:
        """Queue the conversation for a human agent; one waiting request per conversation
        (`actor` "system" when the shop escalates a request itself). Asking again after an
        agent took the last one queues a new one: the customer still wants someone."""
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
        self.record_event(
            handoff.public_id, "opened", actor=actor, now=now,
            conversation_id=conversation_id, detail={"reason": reason},
        )  # fmt: skip
        return handoff

    # --- ratings ------------------------------------------------------------------------------

    def _rating_of(self, conversation_id: str, subject: str | None) -> Rating | None:
        """The conversation's survey of `subject` (None: of no particular request)."""
        same_subject = Rating.subject.is_(None) if subject is None else Rating.subject == subject
        return self.session.execute(
            select(Rating)
            .where(Rating.conversation_id == conversation_id, same_subject)
            .order_by(Rating.id.desc())
            .limit(1)
        ).scalar_one_or_none()

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
        subject: str | None = None,
        team: str = "bot",
    ) -> Rating:
        """Store a survey's answers; rating the same service again in the conversation (or
        answering a survey recorded as offered) updates its row."""
        if scores.get(Dimension.OVERALL) is None:
            raise InvalidRequest("the overall score is required")
        for dimension, score in scores.items():
            if score is not None and not is_valid_score(score):
                raise InvalidRequest(f"{dimension.value} must be a whole number from 1 to 5")
        rating = self._rating_of(conversation_id, subject)
        if rating is None:
            rating = Rating(conversation_id=conversation_id, created_at=now)
            self.session.add(rating)
        rating.channel = channel
        rating.topic = topic
        rating.subject = subject
        rating.product_category = product_category
        rating.team = team
        for dimension, score in scores.items():
            setattr(rating, dimension.value, score)
        rating.solved = solved
        rating.comment = comment.strip() if comment and comment.strip() else None
        rating.flagged_extreme = is_extreme({d: getattr(rating, d.value) for d in Dimension})
        rating.declined = False
        rating.updated_at = now
        self.session.flush()
        return rating

    def record_declined_survey(
        self,
        *,
        conversation_id: str,
        channel: str,
        topic: str,
        now: dt.datetime,
        subject: str | None = None,
        product_category: str | None = None,
    ) -> Rating:
        """A survey offered and not (yet) answered, for the response rate. A rating already
        given for the same service in the conversation is kept as it is."""
        rating = self._rating_of(conversation_id, subject)
        if rating is not None:
            return rating
        rating = Rating(
            conversation_id=conversation_id, channel=channel, topic=topic, subject=subject,
            product_category=product_category, team="bot", declined=True, created_at=now,
            updated_at=now,
        )  # fmt: skip
        self.session.add(rating)
        self.session.flush()
        return rating

    def record_resolution(self, subject: str, solved: bool, now: dt.datetime) -> int:
        """When a rated request closes, its outcome is the rating's resolution, unless the
        customer already answered "solved?"; returns how many ratings it set."""
        ratings = self.session.execute(
            select(Rating).where(
                Rating.subject == subject, Rating.solved.is_(None), Rating.declined.is_(False)
            )
        ).scalars()
        count = 0
        for rating in ratings:
            rating.solved = solved
            rating.updated_at = now
            count += 1
        self.session.flush()
        return count

    # --- events and notices -------------------------------------------------------------------

    def _insert_once(self, model: type, values: dict[str, object], *keys: str) -> bool:
        """INSERT … ON CONFLICT DO NOTHING on the unique column(s) `keys`; True if inserted."""
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = self.session.execute(
            dialect.insert(model.__table__)  # type: ignore[attr-defined]
            .values(**values)
            .on_conflict_do_nothing(index_elements=list(keys))
        )
        return bool(inserted.rowcount == 1)

    def record_event(
        self,
        subject: str,
        event: str,
        *,
        actor: str,
        now: dt.datetime,
        conversation_id: str | None = None,
        detail: Mapping[str, object] | None = None,
        once: bool = False,
    ) -> bool:
        """Add one entry to a request's audit trail. With `once`, an event already recorded
        for the subject is not recorded again (False), so a job run twice acts once."""
        if actor not in ACTORS:
            raise InvalidRequest(f"unknown actor {actor!r}")
        values: dict[str, object] = {
            "subject": subject,
            "event": event,
            "actor": actor,
            "conversation_id": conversation_id,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            "once_key": f"{subject}:{event}" if once else None,
            "created_at": now,
        }
        return self._insert_once(RequestEvent, values, "once_key")

    def events_of(self, subject: str) -> list[RequestEvent]:
        """A request's audit trail, oldest first."""
        return list(
            self.session.execute(
                select(RequestEvent)
                .where(RequestEvent.subject == subject)
                .order_by(RequestEvent.created_at, RequestEvent.id)
            ).scalars()
        )

    def queue_notice(
        self,
        *,
        conversation_id: str,
        kind: str,
        subject: str,
        values: Mapping[str, object],
        now: dt.datetime,
        dedupe_key: str | None = None,
    ) -> bool:
        """Queue a message for the customer's channel; False if it was already queued."""
        row: dict[str, object] = {
            "conversation_id": conversation_id,
            "kind": kind,
            "subject": subject,
            "values": json.dumps(values, ensure_ascii=False, default=str),
            "dedupe_key": dedupe_key or f"{subject}:{kind}",
            "created_at": now,
        }
        return self._insert_once(CustomerNotice, row, "dedupe_key")

    def unsent_notices(self, limit: int = 100) -> list[CustomerNotice]:
        """Notices not yet delivered, oldest first."""
        return list(
            self.session.execute(
                select(CustomerNotice)
                .where(CustomerNotice.sent_at.is_(None))
                .order_by(CustomerNotice.id)
                .limit(limit)
            ).scalars()
        )

    # --- the operator console's sign-in ------------------------------------------------------

    def record_console_login(self, client: str, succeeded: bool, now: dt.datetime) -> int:
        """Keep one sign-in attempt (`client`: a digest of where it came from); its id."""
        attempt = ConsoleLogin(client=client, succeeded=succeeded, created_at=now)
        self.session.add(attempt)
        self.session.flush()
        return int(attempt.id)

    def console_login_succeeded(self, attempt_id: int) -> None:
        """The attempt, recorded as failed while the password was checked, succeeded."""
        self.session.execute(
            update(ConsoleLogin).where(ConsoleLogin.id == attempt_id).values(succeeded=True)
        )

    def open_console_session(
        self, session_id: str, password_key: str, now: dt.datetime, expires: dt.datetime
    ) -> None:
        """Remember a new console session."""
        self.session.add(
            ConsoleSession(
                id=session_id, password_key=password_key, created_at=now, expires_at=expires
            )
        )

    def console_session_live(self, session_id: str, password_key: str, now: dt.datetime) -> bool:
        """Is the session known, not ended, not expired, and made under today's password?"""
        found = self.session.get(ConsoleSession, session_id)
        return (
            found is not None
            and found.ended_at is None
            and found.expires_at > now
            and hmac.compare_digest(found.password_key, password_key)
        )

    def end_console_session(self, session_id: str, now: dt.datetime) -> None:
        """Sign-out: the session's cookie opens nothing any more."""
        self.session.execute(
            update(ConsoleSession).where(ConsoleSession.id == session_id).values(ended_at=now)
        )

    def console_failures_since(self, since: dt.datetime, client: str | None = None) -> int:
        """Failed sign-ins since `since`: from `client`, or from anywhere."""
        query = select(func.count(ConsoleLogin.id)).where(
            ConsoleLogin.succeeded.is_(False), ConsoleLogin.created_at >= since
        )
        if client is not None:
            query = query.where(ConsoleLogin.client == client)
        return int(self.session.execute(query).scalar_one())

    # --- what the scheduled job and the operators look at --------------------------------------

    def open_commitments(self) -> list[Commitment]:
        """(what, public id, due, conversation) of every promise still open: a date is due by
        its end in the shop's zone, a moment at that moment. A waiting handoff is given with
        when it was asked (its deadline depends on the agents' hours, which the caller knows)."""
        found: list[Commitment] = []
        for complaint in self.session.execute(
            select(Complaint).where(Complaint.status.in_(("open", "replied")))
        ).scalars():
            talk = complaint.conversation_id
            if complaint.replied_at is None:
                found.append(("complaint_reply", complaint.public_id, complaint.reply_due, talk))
            found.append(("complaint_solution", complaint.public_id, complaint.solution_due, talk))
        for request in self.session.execute(
            select(AfterSalesRequest).where(AfterSalesRequest.status.in_(("submitted", "received")))
        ).scalars():
            talk = request.conversation_id
            if request.status == "submitted":
                found.append(("review", request.public_id, request.review_due, talk))
            elif request.kind == "exchange":
                found.append(("exchange_ship", request.public_id, request.processing_due, talk))
        for refund in self.session.execute(
            select(Refund).where(
                Refund.due_on.is_not(None),
                Refund.paid_out_on.is_(None),
                Refund.cancelled_on.is_(None),
            )
        ).scalars():
            talk = refund.request.conversation_id if refund.request else None
            found.append(("refund_pay", refund.public_id, refund.due_on, talk))
        for booking in self.session.execute(
            select(RepairBooking).where(RepairBooking.status.in_(ACTIVE_BOOKING_STATUSES))
        ).scalars():
            talk = booking.conversation_id
            if booking.status == "booked" and booking.slot_start is not None:
                found.append(("repair_visit", booking.public_id, booking.slot_end, talk))
            if booking.complete_due is not None:
                found.append(("repair_complete", booking.public_id, booking.complete_due, talk))
        for ticket in self.session.execute(
            select(ParcelTicket).where(ParcelTicket.status == "open")
        ).scalars():
            found.append(
                ("parcel_check", ticket.public_id, ticket.check_due, ticket.conversation_id)
            )
        for handoff in self.session.execute(
            select(HandoffRequest).where(HandoffRequest.status == "waiting")
        ).scalars():
            talk = handoff.conversation_id
            found.append(("handoff", handoff.public_id, handoff.created_at, talk))
        return found

    def reviews_overdue(self, today: dt.date) -> list[AfterSalesRequest]:
        """Applications still unreviewed after their review date."""
        return list(
            self.session.execute(
                select(AfterSalesRequest).where(
                    AfterSalesRequest.status == "submitted", AfterSalesRequest.review_due < today
                )
            ).scalars()
        )

    def repairs_open_past(self, today: dt.date) -> list[RepairBooking]:
        """Repairs not finished by the date promised."""
        return list(
            self.session.execute(
                select(RepairBooking).where(
                    RepairBooking.status.in_(ACTIVE_BOOKING_STATUSES),
                    RepairBooking.complete_due < today,
                )
            ).scalars()
        )

    def unanswered_complaints_due_by(self, moment: dt.datetime) -> list[Complaint]:
        """Open complaints whose reply deadline falls before `moment`."""
        return list(
            self.session.execute(
                select(Complaint).where(Complaint.status == "open", Complaint.reply_due <= moment)
            ).scalars()
        )

    def refunds_credited_since(self, day: dt.date) -> list[Refund]:
        """Refunds that reached the customer on or after `day`."""
        return list(self.session.execute(select(Refund).where(Refund.credited_on >= day)).scalars())

    def visits_between(self, start: dt.datetime, end: dt.datetime) -> list[RepairBooking]:
        """Booked technician visits starting in [start, end)."""
        return list(
            self.session.execute(
                select(RepairBooking).where(
                    RepairBooking.status == "booked",
                    RepairBooking.slot_start >= start,
                    RepairBooking.slot_start < end,
                )
            ).scalars()
        )

    def repairs_finished_since(self, moment: dt.datetime) -> list[RepairBooking]:
        """Repairs finished at or after `moment`."""
        return list(
            self.session.execute(
                select(RepairBooking).where(RepairBooking.finished_at >= moment)
            ).scalars()
        )

    def complaints_replied_since(self, moment: dt.datetime) -> list[Complaint]:
        """Complaints the team answered at or after `moment`."""
        return list(
            self.session.execute(
                select(Complaint).where(
                    Complaint.replied_at >= moment, Complaint.reply.is_not(None)
                )
            ).scalars()
        )

    # --- channel deliveries -------------------------------------------------------------------

    def record_conversation_event(
        self,
        *,
        event_key: str,
        conversation_id: str,
        type_name: str,
        event_time: dt.datetime,
        intent: str | None,
        action: str | None,
        body: str,
        now: dt.datetime,
    ) -> bool:
        """Keep one conversation event for analytics; False if this delivery was already kept
        (an atomic INSERT ... ON CONFLICT DO NOTHING, as for platform deliveries)."""
        values: dict[str, object] = {
            "event_key": event_key, "conversation_id": conversation_id, "type_name": type_name,
            "event_time": event_time, "intent": intent, "action": action, "body": body,
            "received_at": now,
        }  # fmt: skip
        return self._insert_once(ConversationEvent, values, "event_key")

    def admit_conversation(
        self, client_key: str, conversation_key: str, *, now: dt.datetime,
        window: dt.timedelta, limit: int,
    ) -> bool:  # fmt: skip
        """Whether the client may write to this conversation: yes if it did within `window`
        (the conversation stays active), else if fewer than `limit` others of this client are
        active; a conversation admitted is recorded as active now. Records older than the
        window are dropped when one is added."""
        pair = (ConversationStart.client_key == client_key) & (
            ConversationStart.conversation_key == conversation_key
        )
        refreshed = self.session.execute(
            update(ConversationStart)
            .where(pair, ConversationStart.created_at >= now - window)
            .values(created_at=now)
        )
        if refreshed.rowcount:
            return True  # one statement per message of an active conversation
        self.forget_conversation_starts(before=now - window)
        active = self.session.scalar(
            select(func.count()).where(ConversationStart.client_key == client_key)
        )
        if (active or 0) >= limit:
            return False
        values = {"client_key": client_key, "conversation_key": conversation_key, "created_at": now}
        self._insert_once(ConversationStart, values, "client_key", "conversation_key")
        return True

    def forget_conversation_starts(self, *, before: dt.datetime) -> None:
        """Drop the conversations of the address limit last active before `before`."""
        self.session.execute(delete(ConversationStart).where(ConversationStart.created_at < before))

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
        values = {"channel": channel, "delivery_key": delivery_key, "received_at": now}
        return self._insert_once(ChannelDelivery, values, "channel", "delivery_key")

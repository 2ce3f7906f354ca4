"""The repository on a real, migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.policy import (
    Dimension,
    PolicyRules,
    ReturnReason,
    Severity,
    WorkCalendar,
    complaint_deadlines,
    decide_repair,
    decide_return,
)
from bot.store import (
    AfterSalesRepository,
    DuplicateRequest,
    InvalidPhone,
    InvalidRequest,
    MalformedOrderNumber,
    OrderNotFound,
    OwnershipNotVerified,
)
from bot.store.db import unit_of_work
from bot.store.models import Customer, Order, OrderItem, Rating
from tests.conftest import RETURN_ADDRESS, SHANGHAI

PUBLIC_ID = re.compile(r"[A-Z]{2}\d{8}-\d{4}")


@pytest.fixture
def order(repo: AfterSalesRepository, now: dt.datetime) -> Order:
    customer = Customer(name="张伟", phone="13800138000")
    order = Order(
        order_no="202411150003",
        customer=customer,
        buyer_phone="13800138000",
        amount=Decimal("129.00"),
        shipping_fee=Decimal("10.00"),
        payment_route="alipay",
        status="delivered",
        shipping_address="北京市朝阳区",
        warranty_months=12,
        paid_at=now - dt.timedelta(days=6),
        shipped_at=now - dt.timedelta(days=5),
        delivered_at=now - dt.timedelta(days=3),
    )
    order.items = [OrderItem(product_name="纯棉T恤", category="服装", unit_price=Decimal("129.00"))]
    repo.session.add(order)
    repo.session.flush()
    return order


def test_find_order_accepts_spaced_numbers(repo: AfterSalesRepository, order: Order) -> None:
    assert repo.find_order(" 2024 1115 0003").id == order.id


def test_find_order_errors_are_typed(repo: AfterSalesRepository, order: Order) -> None:
    with pytest.raises(MalformedOrderNumber):
        repo.find_order("abc")
    with pytest.raises(OrderNotFound):
        repo.find_order("209911150003")


@pytest.mark.parametrize("proof", ["13800138000", "+86 138-0013-8000", "8000"])
def test_owner_verified_by_full_phone_or_last_four(
    repo: AfterSalesRepository, order: Order, proof: str
) -> None:
    assert repo.verify_owner("202411150003", proof).id == order.id


def test_wrong_phone_is_refused_without_revealing_it(
    repo: AfterSalesRepository, order: Order
) -> None:
    with pytest.raises(OwnershipNotVerified) as error:
        repo.verify_owner("202411150003", "13900139000")
    assert "138" not in str(error.value)
    with pytest.raises(OwnershipNotVerified):
        repo.verify_owner("202411150003", "1234")
    with pytest.raises(InvalidPhone):
        repo.verify_owner("202411150003", "手机号")


def test_ownership_checks_count_failures_and_keep_proof_per_conversation(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    for succeeded, conversation in ((False, "c-1"), (False, "c-2"), (True, "c-1")):
        repo.record_ownership_check(
            order, conversation_id=conversation, proof_kind="last4", succeeded=succeeded, now=now
        )
    earlier = now - dt.timedelta(minutes=1)
    assert repo.failed_ownership_checks(since=earlier, order=order) == 2
    assert repo.failed_ownership_checks(since=earlier, conversation_id="c-2") == 1
    assert repo.failed_ownership_checks(since=now + dt.timedelta(seconds=1), order=order) == 0
    assert repo.has_ownership_proof(order, "c-1", earlier)
    assert not repo.has_ownership_proof(order, "c-2", earlier)  # failed there, proved elsewhere
    assert not repo.has_ownership_proof(order, "c-1", now + dt.timedelta(seconds=1))
    with pytest.raises(InvalidRequest):
        repo.record_ownership_check(
            order, conversation_id="c-1", proof_kind="guess", succeeded=True, now=now
        )


def test_order_facts_use_shop_dates(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    facts = repo.order_facts(order)
    assert facts.delivered_on == (now - dt.timedelta(days=3)).date()
    assert facts.amount == Decimal("129.00") and facts.items[0].category == "服装"


def test_money_round_trips_exactly(
    engine: Engine, repo: AfterSalesRepository, order: Order
) -> None:
    repo.session.commit()
    with unit_of_work(engine) as session:
        stored = session.execute(select(Order)).scalar_one()
        assert stored.amount == Decimal("129.00") and stored.shipping_fee == Decimal("10.00")


def _allowed_return(repo: AfterSalesRepository, order: Order, now: dt.datetime):
    facts = repo.order_facts(order)
    return decide_return(
        facts, facts.items[0], ReturnReason.NO_REASON, now.date(), PolicyRules(), WorkCalendar()
    )


def test_open_request_gets_readable_unique_ids(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    decision = _allowed_return(repo, order, now)
    first = repo.open_request(
        order,
        order.items[0],
        kind="return",
        reason=ReturnReason.NO_REASON,
        decision=decision,
        now=now,
    )
    first.status = "completed"  # one application at a time per item
    second = repo.open_request(
        order,
        order.items[0],
        kind="exchange",
        reason=ReturnReason.NO_REASON,
        decision=decision,
        now=now,
    )
    second.status = "cancelled"
    third = repo.open_request(
        order,
        order.items[0],
        kind="return",
        reason=ReturnReason.NO_REASON,
        decision=decision,
        now=now,
    )
    assert (first.public_id, second.public_id, third.public_id) == (
        "RT20261123-0001",
        "EX20261123-0001",
        "RT20261123-0002",
    )
    assert first.shipping_payer == "buyer" and first.return_address == RETURN_ADDRESS
    assert first.review_due == dt.date(2026, 11, 25)


def test_refused_decision_cannot_be_recorded(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    facts = repo.order_facts(order)
    refused = decide_return(
        facts,
        facts.items[0],
        ReturnReason.NO_REASON,
        now.date() + dt.timedelta(days=30),
        PolicyRules(),
        WorkCalendar(),
    )
    with pytest.raises(InvalidRequest):
        repo.open_request(
            order,
            order.items[0],
            kind="return",
            reason=ReturnReason.NO_REASON,
            decision=refused,
            now=now,
        )


def test_refund_amount_is_bounded_by_what_was_paid(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    refund = repo.open_refund(order, amount=Decimal("139.00"), quality_problem=True, now=now)
    assert refund.public_id.startswith("RF") and refund.route == "alipay"
    assert repo.refunds_for_order(order)[0].amount == Decimal("139.00")
    with pytest.raises(InvalidRequest):
        repo.open_refund(order, amount=Decimal("139.01"), quality_problem=True, now=now)


def test_book_onsite_repair(repo: AfterSalesRepository, order: Order, now: dt.datetime) -> None:
    facts = repo.order_facts(order)
    decision = decide_repair(facts, facts.items[0], now.date(), PolicyRules(), WorkCalendar())
    slot = (now + dt.timedelta(days=1, hours=4), now + dt.timedelta(days=1, hours=6))
    booking = repo.book_repair(
        order,
        order.items[0],
        fault="不开机",
        mode="onsite",
        decision=decision,
        now=now,
        address="北京市朝阳区",
        contact_phone="138 0013 8000",
        slot=slot,
    )
    assert PUBLIC_ID.fullmatch(booking.public_id) and booking.covered
    assert booking.contact_phone == "13800138000" and booking.slot_start == slot[0]
    with pytest.raises(InvalidRequest):
        repo.book_repair(
            order, order.items[0], fault="不开机", mode="onsite", decision=decision, now=now
        )


def test_complaints_count_and_handoff_is_not_duplicated(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    deadlines = complaint_deadlines(now, PolicyRules(), WorkCalendar())
    complaint = repo.open_complaint(
        category="delivery",
        severity=Severity.MEDIUM,
        description="快递太慢",
        deadlines=deadlines,
        now=now,
        order=order,
    )
    assert complaint.reply_due == now + dt.timedelta(hours=24)
    assert repo.count_complaints(order) == 1
    first = repo.request_handoff(conversation_id="c1", reason="angry", now=now, complaint=complaint)
    again = repo.request_handoff(conversation_id="c1", reason="asked", now=now)
    assert first.id == again.id and first.public_id.startswith("HO")
    with pytest.raises(InvalidRequest):
        repo.open_complaint(
            category="other", severity=Severity.LOW, description="  ", deadlines=deadlines, now=now
        )


def test_rating_is_stored_once_per_conversation(
    repo: AfterSalesRepository, now: dt.datetime
) -> None:
    repo.save_rating(
        conversation_id="c9",
        channel="web",
        topic="return",
        scores={Dimension.OVERALL: 4},
        solved=True,
        comment="  ",
        now=now,
    )
    later = now + dt.timedelta(minutes=2)
    rating = repo.save_rating(
        conversation_id="c9",
        channel="web",
        topic="return",
        scores={Dimension.OVERALL: 5, Dimension.RECOMMEND: 5},
        solved=True,
        comment="很快",
        now=later,
    )
    count = repo.session.execute(select(func.count()).select_from(Rating)).scalar_one()
    assert count == 1 and rating.overall == 5 and rating.comment == "很快"
    assert rating.flagged_extreme and rating.updated_at == later and rating.created_at == now


@pytest.mark.parametrize(
    "scores", [{Dimension.OVERALL: 0}, {Dimension.OVERALL: 6}, {Dimension.RECOMMEND: 5}]
)
def test_invalid_ratings_are_refused(repo: AfterSalesRepository, now: dt.datetime, scores) -> None:
    with pytest.raises(InvalidRequest):
        repo.save_rating(conversation_id="c1", channel="web", topic="faq", scores=scores, now=now)


def test_naive_datetimes_are_refused(repo: AfterSalesRepository) -> None:
    with pytest.raises(Exception, match="naive"):
        repo.save_rating(
            conversation_id="c2",
            channel="web",
            topic="faq",
            scores={Dimension.OVERALL: 3},
            now=dt.datetime(2026, 11, 23),
        )


def test_repository_uses_the_shop_time_zone_for_ids(engine: Engine) -> None:
    late_utc = dt.datetime(
        2026, 11, 23, 17, 30, tzinfo=dt.timezone.utc
    )  # 01:30 on the 24th in Shanghai
    with unit_of_work(engine) as session:
        repo = AfterSalesRepository(session, SHANGHAI, RETURN_ADDRESS)
        handoff = repo.request_handoff(conversation_id="late", reason="asked", now=late_utc)
    assert handoff.public_id == "HO20261124-0001"


def test_item_of_picks_the_only_line_or_the_named_one(
    repo: AfterSalesRepository, order: Order
) -> None:
    only = order.items[0]
    assert repo.item_of(order, None) is only
    assert repo.item_of(order, only.id) is only
    with pytest.raises(InvalidRequest):
        repo.item_of(order, only.id + 999)


def test_refunds_of_an_order_never_exceed_what_was_paid(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    paid = order.amount + order.shipping_fee
    repo.open_refund(order, amount=paid - Decimal("1.00"), quality_problem=False, now=now)
    with pytest.raises(InvalidRequest):
        repo.open_refund(order, amount=Decimal("1.01"), quality_problem=False, now=now)
    repo.open_refund(order, amount=Decimal("1.00"), quality_problem=False, now=now)


def test_no_second_application_while_one_is_open(
    repo: AfterSalesRepository, order: Order, now: dt.datetime
) -> None:
    decision = _allowed_return(repo, order, now)
    first = repo.open_request(
        order, order.items[0], kind="return", reason=ReturnReason.NO_REASON,
        decision=decision, now=now,
    )  # fmt: skip
    with pytest.raises(DuplicateRequest) as raised:
        repo.open_request(
            order, order.items[0], kind="exchange", reason=ReturnReason.NO_REASON,
            decision=decision, now=now,
        )  # fmt: skip
    assert raised.value.public_id == first.public_id


def test_a_delivery_is_recorded_once_per_channel_and_forgotten_later(
    repo: AfterSalesRepository, now: dt.datetime
) -> None:
    long_ago = now - dt.timedelta(days=3)
    assert repo.record_delivery("feishu", "a" * 64, now=now, forget_before=long_ago)
    assert not repo.record_delivery("feishu", "a" * 64, now=now, forget_before=long_ago)
    assert repo.record_delivery("wecom", "a" * 64, now=now, forget_before=long_ago)
    # Once the signature that carried it is too old to be accepted, the id may be forgotten.
    later = now + dt.timedelta(days=3)
    assert repo.record_delivery(
        "feishu", "a" * 64, now=later, forget_before=later - dt.timedelta(days=2)
    )


def test_a_redelivered_conversation_event_is_kept_once(
    repo: AfterSalesRepository, now: dt.datetime
) -> None:
    event = {
        "event_key": "e" * 64, "conversation_id": "chat-1", "type_name": "user",
        "event_time": now, "intent": "ask_refund_status", "action": None, "body": "{}",
    }  # fmt: skip
    assert repo.record_conversation_event(**event, now=now)
    assert not repo.record_conversation_event(**event, now=now)
    assert repo.record_conversation_event(**{**event, "event_key": "f" * 64}, now=now)


def test_one_address_starts_a_bounded_number_of_conversations(
    repo: AfterSalesRepository, now: dt.datetime
) -> None:
    hour = dt.timedelta(hours=1)

    def admit(client: str, chat: str, at: dt.datetime = now) -> bool:
        return repo.admit_conversation(client, chat, now=at, window=hour, limit=3)

    assert all(admit("a" * 64, f"chat-{i}") for i in range(3))
    assert not admit("a" * 64, "chat-3")  # the fourth new one within the hour
    assert admit("a" * 64, "chat-0") and admit("a" * 64, "chat-2")  # the started ones go on
    assert admit("b" * 64, "chat-3")  # another address has its own share
    half = now + hour / 2
    assert admit("a" * 64, "chat-0", half)  # still talking: stays active
    later = now + hour + dt.timedelta(minutes=1)
    assert admit("a" * 64, "chat-3", later)  # chat-1 and chat-2 went quiet an hour ago
    assert admit("a" * 64, "chat-0", later)
    assert admit("a" * 64, "chat-4", later) and not admit("a" * 64, "chat-5", later)


def test_the_database_keeps_one_open_logistics_check_per_order(
    engine: Engine, now: dt.datetime
) -> None:
    """Even two conversations that both passed the code's check cannot open two."""
    from sqlalchemy.exc import IntegrityError

    from bot.store.models import ParcelTicket

    def ticket(order_id: int, number: int, status: str) -> ParcelTicket:
        return ParcelTicket(
            public_id=f"LG20261123-{number:04d}", order_id=order_id, problem="stalled",
            remedy="wait", status=status, check_due=now, claim_deadline=now.date(),
        )  # fmt: skip

    with unit_of_work(engine) as session:
        repo = AfterSalesRepository(session, SHANGHAI, RETURN_ADDRESS)
        order = Order(order_no="202411150099", customer=Customer(name="陈静", phone="13500135000"),
                      buyer_phone="13500135000", amount=Decimal("99.00"),
                      shipping_fee=Decimal("0"), payment_route="wechat", status="shipped",
                      shipping_address="上海", warranty_months=0, paid_at=now,
                      shipped_at=now)  # fmt: skip
        repo.session.add(order)
        repo.session.flush()
        order_id = order.id
        session.add_all([ticket(order_id, 1, "found"), ticket(order_id, 2, "open")])
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        session.add(ticket(order_id, 3, "open"))

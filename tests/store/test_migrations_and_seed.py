"""Migrations match the models, and the demo data says what the team's tests rely on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.policy import (
    PolicyRules,
    RefundPath,
    RefundStage,
    ReturnReason,
    Verdict,
    WorkCalendar,
    decide_repair,
    decide_return,
    refund_path,
    refund_stage,
)
from bot.store import AfterSalesRepository
from bot.store.db import unit_of_work
from bot.store.migrate import revision_status
from bot.store.models import Base, Complaint, Rating, RepairBooking
from bot.store.seed import seed
from tests.conftest import RETURN_ADDRESS, SHANGHAI


def test_migrated_schema_matches_the_models(engine: Engine, database_url: str) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    current, head = revision_status(database_url)
    assert current == head


@pytest.fixture
def seeded(engine: Engine, now: dt.datetime) -> Engine:
    with unit_of_work(engine) as session:
        seed(session, now, SHANGHAI, WorkCalendar())
    return engine


def _decide(repo: AfterSalesRepository, order_no: str, reason: ReturnReason, today: dt.date):
    facts = repo.order_facts(repo.find_order(order_no))
    return decide_return(facts, facts.items[0], reason, today, PolicyRules(), WorkCalendar())


@pytest.mark.parametrize(
    ("order_no", "reason", "verdict"),
    [
        ("202411150003", ReturnReason.NO_REASON, Verdict.NO_REASON_OK),  # T-shirt, day 4
        ("202410010002", ReturnReason.NO_REASON, Verdict.RETURN_WINDOW_PASSED),  # shoes, day 41
        ("202411180005", ReturnReason.NO_REASON, Verdict.SPECIAL_CATEGORY),  # nuts: food
        ("202411180005", ReturnReason.QUALITY, Verdict.QUALITY_NEEDS_REVIEW),
        ("202411100008", ReturnReason.NO_REASON, Verdict.ORDER_CLOSED),  # cup, refunded
        ("202411190010", ReturnReason.NO_REASON, Verdict.NOT_SHIPPED_REFUND_ONLY),  # toothbrush
    ],
)
def test_demo_orders_reach_the_documented_verdicts(
    seeded: Engine, now: dt.datetime, order_no: str, reason: ReturnReason, verdict: Verdict
) -> None:
    with unit_of_work(seeded) as session:
        repo = AfterSalesRepository(session, SHANGHAI, RETURN_ADDRESS)
        assert _decide(repo, order_no, reason, now.date()).verdict is verdict


def test_demo_owners_and_repairs(seeded: Engine, now: dt.datetime) -> None:
    rules, calendar = PolicyRules(), WorkCalendar()
    with unit_of_work(seeded) as session:
        repo = AfterSalesRepository(session, SHANGHAI, RETURN_ADDRESS)
        washer = repo.order_facts(repo.verify_owner("202409010033", "13700137000"))
        tv = repo.order_facts(repo.verify_owner("202201050009", "7000"))
        toothbrush = repo.order_facts(repo.find_order("202411190010"))
        today = now.date()
        assert (
            decide_repair(washer, washer.items[0], today, rules, calendar).verdict
            is Verdict.REPAIR_COVERED
        )
        assert (
            decide_repair(tv, tv.items[0], today, rules, calendar).verdict
            is Verdict.REPAIR_OUT_OF_WARRANTY
        )
        assert refund_path(toothbrush) is RefundPath.REFUND_ONLY


def test_demo_refunds_are_in_the_documented_stages(seeded: Engine, now: dt.datetime) -> None:
    with unit_of_work(seeded) as session:
        repo = AfterSalesRepository(session, SHANGHAI, RETURN_ADDRESS)
        earphones = repo.refunds_for_order(repo.find_order("202411020007"))[0]
        cup = repo.refunds_for_order(repo.find_order("202411100008"))[0]

        def stage(refund):
            return refund_stage(
                now.date(),
                goods_received_on=refund.goods_received_on,
                refund_due=refund.due_on,
                paid_out_on=refund.paid_out_on,
                credited_on=refund.credited_on,
            )

        assert stage(earphones) is RefundStage.PROCESSING
        assert earphones.goods_received_on == dt.date(2026, 11, 20)  # one working day before Mon 23
        assert earphones.amount == Decimal("299.00") and earphones.request.quality_problem
        assert stage(cup) is RefundStage.CREDITED
        assert cup.credited_on == now.date() - dt.timedelta(days=2)
        assert cup.amount == Decimal("89.00")  # changed mind: the 8.00 shipping is kept back


def test_history_is_there_for_reports(seeded: Engine) -> None:
    with unit_of_work(seeded) as session:
        ratings = session.execute(select(func.count()).select_from(Rating)).scalar_one()
        months = {r.created_at.strftime("%Y-%m") for r in session.execute(select(Rating)).scalars()}
        teams = session.execute(select(func.count(func.distinct(Rating.team)))).scalar_one()
        flagged = session.execute(select(func.count()).where(Rating.flagged_extreme)).scalar_one()
        tickets = session.execute(select(func.count()).select_from(Complaint)).scalar_one()
        repairs = session.execute(select(func.count()).select_from(RepairBooking)).scalar_one()
    assert ratings >= 300 and len(months) >= 12 and teams >= 3
    assert flagged >= 1 and tickets >= 10 and repairs >= 5


def test_seeding_twice_is_refused(seeded: Engine, now: dt.datetime) -> None:
    with pytest.raises(RuntimeError), unit_of_work(seeded) as session:
        seed(session, now, SHANGHAI, WorkCalendar())

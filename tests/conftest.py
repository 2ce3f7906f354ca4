"""Shared fixtures: a real store on a temporary SQLite file and on a throw-away PostgreSQL
database, migrated with the project's own Alembic migrations."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from bot.policy import PolicyRules, WorkCalendar
from bot.store import AfterSalesRepository
from bot.store.db import make_engine, unit_of_work
from bot.store.migrate import upgrade

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
RETURN_ADDRESS = "测试仓库 售后部收"


@pytest.fixture
def rules() -> PolicyRules:
    return PolicyRules()


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh database on the local server, dropped afterwards."""
    admin = create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
    name = f"aftersales_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'test.db'}"
        upgrade(url)
        yield url
        return
    with _postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> Iterator[AfterSalesRepository]:
    """A repository in one unit of work, committed at the end of the test."""
    with unit_of_work(engine) as session:
        yield AfterSalesRepository(session, SHANGHAI, RETURN_ADDRESS)


@pytest.fixture
def now() -> dt.datetime:
    """A fixed moment: Monday 2026-11-23 10:00 in Shanghai."""
    return dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def use_demo_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the services at the migrated store `url` (DATABASE_URL) and seed the demo data
    as of now; the caller clears `get_settings` again when done."""
    from bot.config import get_settings
    from bot.store.seed import seed

    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        seed(session, dt.datetime.now(SHANGHAI), SHANGHAI, WorkCalendar())
    engine.dispose()


def an_application(status: str) -> str:
    """The public id of a demo application in `status` (submitted, approved, completed…)."""
    from sqlalchemy import select

    from bot.store import open_repository
    from bot.store.models import AfterSalesRequest

    with open_repository() as repo:
        statement = select(AfterSalesRequest.public_id).where(AfterSalesRequest.status == status)
        return str(repo.session.execute(statement).scalars().first())

"""Engines and sessions, made lazily from settings: nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from bot.config import get_settings

# How long a query waits for a lock or a connection before the store gives up: shorter than
# the time Rasa gives an action (ACTION_TIMEOUT_SECONDS, 8 s), so the customer hears the
# action's own apology ("nothing was changed"), not the generic one.
LOCK_WAIT_S = 4
CONNECT_TIMEOUT_S = 3


def make_engine(url: str) -> Engine:
    """A new engine for `url`; SQLite gets foreign keys on. A locked row or database, a full
    connection pool or an unreachable server fails within seconds (a slow query does not:
    reports may take long)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"timeout": LOCK_WAIT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if url.startswith("postgresql"):
        timeouts = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c lock_timeout={LOCK_WAIT_S * 1000}",  # (PgBouncer: set it per role)
            # A server that went away without closing the connection is noticed in seconds.
            "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
            "keepalives_count": 2,
        }  # fmt: skip
        return create_engine(
            url, future=True, pool_pre_ping=True, pool_timeout=LOCK_WAIT_S,
            connect_args=timeouts,
        )  # fmt: skip
    return create_engine(url, future=True, pool_pre_ping=True)


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database `url` names if it does not exist (its server's
    `postgres` database must be reachable); True if it was created. SQLite makes its file."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return False
    server = create_engine(
        parsed.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT"
    )
    try:
        with server.connect() as conn:
            exists = conn.execute(
                text("select 1 from pg_database where datname = :name"), {"name": parsed.database}
            ).first()
            if exists:
                return False
            quoted = server.dialect.identifier_preparer.quote_identifier(parsed.database)
            conn.execute(text(f"create database {quoted}"))
            return True
    finally:
        server.dispose()


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One shared engine (and connection pool) per database URL in this process."""
    return make_engine(url)


def default_engine() -> Engine:
    """The engine for the configured `DATABASE_URL`."""
    return engine_for(get_settings().database_url)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    session = Session(engine or default_engine(), future=True, expire_on_commit=False)
    with session, session.begin():
        yield session

"""Engines and sessions, made lazily from settings: nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.config import get_settings


def make_engine(url: str) -> Engine:
    """A new engine for `url`; SQLite gets foreign keys on and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


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

"""The order and after-sales store: models, a repository, migrations and demo data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, get_settings
from bot.store.db import engine_for, unit_of_work
from bot.store.errors import (
    DuplicateRequest,
    InvalidPhone,
    InvalidRequest,
    MalformedOrderNumber,
    OrderNotFound,
    OwnershipNotVerified,
    RequestClosed,
    StoreError,
    StoreUnavailable,
    TooManyPhotos,
)
from bot.store.repository import AfterSalesRepository

__all__ = [
    "AfterSalesRepository",
    "DuplicateRequest",
    "InvalidPhone",
    "InvalidRequest",
    "MalformedOrderNumber",
    "OrderNotFound",
    "OwnershipNotVerified",
    "RequestClosed",
    "StoreError",
    "StoreUnavailable",
    "TooManyPhotos",
    "open_repository",
]


@contextmanager
def open_repository(
    settings: Settings | None = None, engine: Engine | None = None
) -> Iterator[AfterSalesRepository]:
    """One unit of work on the configured store: committed on success, rolled back on error."""
    settings = settings or get_settings()
    try:
        with unit_of_work(engine or engine_for(settings.database_url)) as session:
            yield AfterSalesRepository(session, settings.tz, settings.return_address)
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"database error: {type(exc).__name__}") from exc

"""Readable, unique ids for what the customer is told: RT20261122-0007."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import IdCounter

# One prefix per kind of record a customer can quote back to us.
PREFIXES = {
    "return": "RT",
    "exchange": "EX",
    "refund_only": "RO",
    "refund": "RF",
    "repair": "RP",
    "complaint": "CP",
    "handoff": "HO",
    "parcel": "LG",  # 物流 (logistics) check
}


def next_public_id(session: Session, kind: str, day: dt.date) -> str:
    """The next id of `kind` for `day`, e.g. 'RT20261122-0007'.

    The counter row is incremented with an UPDATE, which locks it until commit, so two
    conversations opening requests at once never get the same number.
    """
    prefix = PREFIXES[kind]
    key = day.strftime("%Y%m%d")
    bump = (
        update(IdCounter)
        .where(IdCounter.prefix == prefix, IdCounter.day == key)
        .values(last_value=IdCounter.last_value + 1)
    )
    if session.execute(bump).rowcount == 0:
        try:
            with session.begin_nested():
                session.add(IdCounter(prefix=prefix, day=key, last_value=1))
        except IntegrityError:  # another transaction created the row first
            session.execute(bump)
    value = session.execute(
        select(IdCounter.last_value).where(IdCounter.prefix == prefix, IdCounter.day == key)
    ).scalar_one()
    return f"{prefix}{key}-{value:04d}"

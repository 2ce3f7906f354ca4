"""A conversation as the service team reads it: who said what and when, from the tracker
store the bot writes (already redacted; phone numbers are masked once more here)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bot.config import get_settings
from bot.insights.bot_quality import Event
from bot.privacy.redact import mask_phones_in

MAX_CONVERSATION_ID = 128
MAX_LINES = 500  # the latest turns of a very long conversation


@dataclass(frozen=True)
class Line:
    """One message of a conversation."""

    speaker: str  # "customer" / "bot"
    text: str
    at: dt.datetime  # in the shop's zone


def _moment(timestamp: float | None, tz: dt.tzinfo) -> dt.datetime:
    """A stored event's time; one that cannot be a time reads as the epoch."""
    try:
        return dt.datetime.fromtimestamp(timestamp or 0, tz)
    except (OverflowError, ValueError, OSError):
        return dt.datetime.fromtimestamp(0, tz)


def _shown(text: str) -> str:
    """Text without control and direction-override characters (which could make a line read
    as something else), keeping line breaks and tabs."""
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf"))


def tracker_url() -> str:
    """The tracker store's database: TRACKER_STORE_URL (production), else the embedded
    default's SQLite file TRACKER_DB."""
    return get_settings().conversations_url


_EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("data", sa.Text),
)


# What the bot-quality figures read: messages, actions run, forms and their questions.
QUALITY_EVENTS = ("user", "action", "active_loop", "slot")


def _rows(query: sa.sql.Select, url: str | None) -> list[sa.Row]:
    """The query's rows from the tracker store's `events` table; none when the store holds no
    conversations yet (and no empty SQLite file is made by looking)."""
    url = url or tracker_url()
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return []
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                return []
            return list(connection.execute(query).all())
    finally:
        engine.dispose()


def events_between(since: dt.datetime, until: dt.datetime, url: str | None = None) -> list[Event]:
    """Every conversation event in [since, until) that the bot-quality figures read, in order;
    none when the store holds no conversations yet."""
    query = (
        sa.select(_EVENTS.c.sender_id, _EVENTS.c.type_name, _EVENTS.c.timestamp, _EVENTS.c.data)
        .where(
            _EVENTS.c.type_name.in_(QUALITY_EVENTS),
            _EVENTS.c.timestamp >= since.timestamp(),
            _EVENTS.c.timestamp < until.timestamp(),
        )
        .order_by(_EVENTS.c.id)
    )
    rows = _rows(query, url)
    tz = get_settings().tz
    events = []
    for sender, kind, timestamp, data in rows:
        try:
            parsed = json.loads(data or "{}")
        except ValueError:
            continue
        if isinstance(parsed, dict):
            events.append(Event(sender, kind, _moment(timestamp, tz), parsed))
    return events


def transcript(conversation_id: str, url: str | None = None) -> list[Line]:
    """The conversation's messages, oldest first (the latest MAX_LINES of them); none for an
    unknown conversation or a store that holds no conversations yet."""
    if not conversation_id or len(conversation_id) > MAX_CONVERSATION_ID:
        return []
    query = (
        sa.select(_EVENTS.c.type_name, _EVENTS.c.timestamp, _EVENTS.c.data)
        .where(_EVENTS.c.sender_id == conversation_id, _EVENTS.c.type_name.in_(("user", "bot")))
        .order_by(_EVENTS.c.id.desc())
        .limit(MAX_LINES)
    )
    rows = _rows(query, url)
    tz = get_settings().tz
    lines = []
    for type_name, timestamp, data in reversed(rows):
        try:
            text = str(json.loads(data or "{}").get("text") or "")
        except (ValueError, AttributeError):
            text = ""
        speaker = "customer" if type_name == "user" else "bot"
        lines.append(Line(speaker, _shown(mask_phones_in(text)), _moment(timestamp, tz)))
    return lines

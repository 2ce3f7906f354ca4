"""`python -m bot events`: the event broker's consumer (production profile).

Rasa publishes every (redacted) conversation event to RabbitMQ; this process writes each one
into the store's `conversation_events` table for the service team's analytics. A message is
acknowledged only once its row is committed, so a crash or a store outage loses nothing (the
broker delivers it again) and a redelivery is stored once (`event_key`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from bot.cli.endpoints import events_queue
from bot.store import StoreUnavailable, open_repository

logger = logging.getLogger(__name__)

STORE_RETRY_S = 2.0  # pause before a message the store could not take is delivered again
PREFETCH = 64


@dataclass(frozen=True)
class StoredEvent:
    """The columns of one conversation event."""

    event_key: str
    conversation_id: str
    type_name: str
    event_time: dt.datetime
    intent: str | None
    action: str | None
    body: str


def parse_event(body: bytes) -> StoredEvent | None:
    """The columns of one broker message, or None if it is not a conversation event."""
    try:  # decoded first: json.loads would also take UTF-16 and UTF-32
        text = body.decode("utf-8")
        event: Any = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("sender_id"), str):
        return None
    try:
        when = dt.datetime.fromtimestamp(float(event["timestamp"]), tz=dt.timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
    parse_data = event.get("parse_data")
    intent = (parse_data or {}).get("intent") if isinstance(parse_data, dict) else None
    intent_name = intent.get("name") if isinstance(intent, dict) else None
    action = event.get("name") if event.get("event") == "action" else None
    return StoredEvent(
        event_key=hashlib.sha256(body).hexdigest(),
        conversation_id=event["sender_id"][:128],
        type_name=str(event.get("event") or "unknown")[:32],
        event_time=when,
        intent=intent_name[:64] if isinstance(intent_name, str) else None,
        action=action[:128] if isinstance(action, str) else None,
        body=text,
    )


def store_event(event: StoredEvent) -> bool:
    """Write one event; False if it was stored before. StoreUnavailable if the store fails."""
    with open_repository() as repo:
        return repo.record_conversation_event(
            event_key=event.event_key, conversation_id=event.conversation_id,
            type_name=event.type_name, event_time=event.event_time, intent=event.intent,
            action=event.action, body=event.body, now=dt.datetime.now(dt.timezone.utc),
        )  # fmt: skip


async def consume(url: str) -> None:
    """Consume the events queue at `url` until cancelled."""
    import aio_pika

    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.declare_queue(events_queue(), durable=True)
        logger.info("events: consuming %s", queue.name)
        async with queue.iterator() as messages:
            async for message in messages:
                event = parse_event(message.body)
                if event is None:
                    logger.warning("events: dropped a message that is not a conversation event")
                    await message.ack()
                elif await _stored(event):
                    await message.ack()
                else:
                    await asyncio.sleep(STORE_RETRY_S)
                    await message.nack(requeue=True)


async def _stored(event: StoredEvent) -> bool:
    """Whether the event is done with: stored, or one the store will never take (dropped with
    an error). False only while the database cannot be reached: the event comes again."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    try:
        await asyncio.to_thread(store_event, event)
        return True
    except StoreUnavailable as exc:
        cause = exc.__cause__
        if isinstance(cause, OperationalError) or (
            isinstance(cause, DBAPIError) and cause.connection_invalidated
        ):
            logger.error("events: the store is unreachable (%s); the event will come again", exc)
            return False
        logger.error("events: the store refused an event (%s); dropped", exc)
        return True


def run_consumer(url: str) -> int:
    """Run `consume` until Ctrl-C or SIGTERM."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(consume(url))
    return 0

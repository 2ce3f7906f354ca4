"""The production profile's event broker: Rasa's RabbitMQ broker, which never holds up a
conversation or a replica's start.

Rasa's own broker connects before the Rasa server starts, 20 attempts 5 s apart, then stops
the server: with RabbitMQ down, no replica starts. This one starts at once and connects in the
background (again and again, up to a minute apart, an error in the log a minute at most).
Events published meanwhile are kept, up to MAX_KEPT (the oldest dropped beyond), and sent once
it is connected; after that Rasa's own reconnection does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any

import rasa.shared.core.events  # noqa: F401  Rasa's pika broker uses it without importing it
from rasa.core.brokers.pika import PikaEventBroker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

MAX_KEPT = 10_000
MAX_PAUSE_S = 60.0


class PatientPikaEventBroker(PikaEventBroker):
    """Rasa's pika broker, connecting in the background."""

    def __init__(self, host: str, *args: Any, **kwargs: Any) -> None:
        """As PikaEventBroker; one connection attempt at a time (the retrying is ours)."""
        kwargs.setdefault("connection_attempts", 1)
        kwargs.setdefault("retry_delay_in_seconds", 0)
        super().__init__(host, *args, **kwargs)
        self._unpublished_events: deque[dict[str, Any]] = deque(maxlen=MAX_KEPT)
        self._connecting: asyncio.Task | None = None

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None, event_loop: Any = None
    ) -> PatientPikaEventBroker | None:
        """The broker, connecting in the background."""
        if broker_config is None:
            return None
        broker = cls(broker_config.url, **broker_config.kwargs, event_loop=event_loop)
        broker._connecting = asyncio.get_running_loop().create_task(broker._connect_patiently())
        return broker

    async def _connect_patiently(self) -> None:
        pause, last_error = 1.0, 0.0
        while True:
            try:
                await self.connect()
            except Exception as exc:
                connection: Any = getattr(self, "_connection", None)
                if connection is not None:  # connected, then failed: not left retrying
                    with contextlib.suppress(Exception):
                        await connection.close()
                    self._connection = None
                if time.monotonic() - last_error >= MAX_PAUSE_S:
                    last_error = time.monotonic()
                    logger.error(
                        "RabbitMQ unreachable (%s): conversation events are kept (up to %d) "
                        "until it answers",
                        type(exc).__name__, MAX_KEPT,
                    )  # fmt: skip
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_S)
                continue
            self._publish_unpublished_messages()
            return

    async def _publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        if self._exchange is None:  # not connected yet: keep it for later
            self._unpublished_events.append(event)
            return
        await super()._publish(event, headers)

    async def close(self) -> None:
        """Stop connecting, then close as Rasa does."""
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        await super().close()

"""The production profile's lock store: Redis, and each replica's own lock while Redis is down.

Rasa's Redis lock store makes sure two replicas never handle one conversation at once. When
Redis cannot be reached, Rasa's own store fails every message (the REST client gets an empty
answer). This one says so in the log (an error a minute at most) and, until Redis answers
again, locks conversations in the replica's memory: conversations go on, and the one thing
lost is the guarantee across replicas, which matters only if one conversation sends two
messages at the same moment through different replicas (the widget sends one at a time).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

ERROR_EVERY_S = 60.0
RETRY_AFTER_S = 10.0


class FallbackRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, falling back to an in-memory lock while Redis is down."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        """`endpoint_config` is endpoints.yml's lock_store section (as for `type: redis`)."""
        kwargs: dict[str, Any] = dict(endpoint_config.kwargs)
        super().__init__(host=endpoint_config.url or "localhost", **kwargs)
        self._local = InMemoryLockStore()
        self._last_error = 0.0
        self._local_until = 0.0  # after a failure, Redis is not asked again until then

    def _redis_answers(self) -> bool:
        import redis

        now = time.monotonic()
        if now < self._local_until:
            return False
        try:
            self.red.ping()
            return True
        except redis.RedisError as exc:
            self._local_until = now + RETRY_AFTER_S
            if now - self._last_error >= ERROR_EVERY_S:
                self._last_error = now
                logger.error(
                    "Redis lock store unreachable (%s): conversations are locked per replica "
                    "until it answers again",
                    type(exc).__name__,
                )
            return False

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:  # fmt: skip
        """The conversation's lock in Redis, or in this replica while Redis is down."""
        # The ping may wait for a connection: not on the event loop, other turns go on.
        store: LockStore = self if await asyncio.to_thread(self._redis_answers) else self._local
        async with LockStore.lock(
            store, conversation_id, lock_lifetime, wait_time_in_seconds
        ) as held:
            yield held

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Release the ticket; if Redis went away meanwhile, the ticket expires by itself (the
        turn itself is done and saved: it must not fail now)."""
        import redis

        try:
            super().cleanup(conversation_id, ticket_number)
        except redis.RedisError as exc:
            logger.warning("Redis went away before a lock was released (%s)", type(exc).__name__)

"""The production lock store: Redis while it answers, the replica's own lock while it does not."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.locking import FallbackRedisLockStore


def _store(port: int) -> FallbackRedisLockStore:
    config = EndpointConfig(
        url="127.0.0.1", port=port, db=1, key_prefix="locktest", socket_timeout=1,
        type="bot.locking.FallbackRedisLockStore",
    )  # fmt: skip
    return FallbackRedisLockStore(config)


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is


def test_with_redis_down_conversations_are_still_locked_one_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = _store(_dead_port())
    order: list[str] = []

    async def turn(name: str) -> None:
        async with store.lock("chat-1", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(turn("a"), turn("b"))

    with caplog.at_level(logging.ERROR, logger="bot.locking"):
        asyncio.run(both())
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    errors = [r for r in caplog.records if "Redis lock store unreachable" in r.getMessage()]
    assert len(errors) == 1  # said once, not at every message


def test_with_redis_up_the_lock_is_in_redis() -> None:
    store = _store(6379)
    try:
        store.red.ping()
    except Exception:
        pytest.skip("no Redis at 127.0.0.1:6379")

    async def held() -> bool:
        async with store.lock("chat-2"):
            return bool(store.red.exists(store.key_prefix + "chat-2"))

    assert asyncio.run(held())
    assert not store.red.exists(store.key_prefix + "chat-2")  # released

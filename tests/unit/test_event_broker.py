"""The production event broker: a replica starts without RabbitMQ, keeps what it publishes
meanwhile, and sends it once RabbitMQ answers."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot import event_broker
from bot.cli.endpoints import pika_event_broker
from bot.event_broker import PatientPikaEventBroker


def _config(port: int, queue: str) -> EndpointConfig:
    return EndpointConfig(
        url="127.0.0.1", port=port, username="guest", password="guest", queues=[queue],
        type="bot.event_broker.PatientPikaEventBroker", connection_attempts=1,
    )  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_rabbitmq_it_starts_at_once_and_keeps_the_events(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_broker, "MAX_KEPT", 3)

    async def scenario() -> list[dict]:
        started = asyncio.get_running_loop().time()
        broker = await PatientPikaEventBroker.from_endpoint_config(_config(_closed_port(), "q"))
        assert broker is not None
        assert asyncio.get_running_loop().time() - started < 1  # not 20 attempts 5 s apart
        for n in range(5):
            broker.publish({"event": "user", "sender_id": "c", "n": n})
        await asyncio.sleep(0.5)
        kept = list(broker._unpublished_events)
        await broker.close()
        return kept

    with caplog.at_level(logging.ERROR, logger="bot.event_broker"):
        kept = asyncio.run(scenario())
    assert [event["n"] for event in kept] == [2, 3, 4]  # the newest MAX_KEPT
    assert any("RabbitMQ unreachable" in r.getMessage() for r in caplog.records)


def test_with_rabbitmq_what_was_published_before_the_connection_arrives() -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("no RabbitMQ at 127.0.0.1:5672")
    import aio_pika

    queue_name = f"broker_test_{uuid.uuid4().hex[:8]}"

    # The section serve writes for RABBITMQ_URL, password quoted as Rasa needs it.
    section = pika_event_broker("amqp://guest:guest@127.0.0.1:5672/")

    async def scenario() -> list[dict]:
        config = EndpointConfig.from_dict({**section, "queues": [queue_name]})
        broker = await PatientPikaEventBroker.from_endpoint_config(config)
        assert broker is not None
        broker.publish({"event": "user", "sender_id": "c", "n": 1})  # before it is connected
        for _ in range(100):
            if broker._exchange is not None:
                break
            await asyncio.sleep(0.05)
        broker.publish({"event": "user", "sender_id": "c", "n": 2})
        await asyncio.sleep(0.5)
        await broker.close()
        connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
        received = []
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, durable=True)
            while (message := await queue.get(fail=False, timeout=5)) is not None:
                received.append(json.loads(message.body))
                await message.ack()
            await channel.queue_delete(queue_name)
        return received

    assert sorted(event["n"] for event in asyncio.run(scenario())) == [1, 2]

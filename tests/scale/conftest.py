"""The production profile started as `make run-prod` starts it: two Rasa replicas behind
nginx, the action server, the event consumer, on a throw-away PostgreSQL database, Redis
and a throw-away RabbitMQ queue. Skipped, saying why, when a service or nginx is missing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bot.cli.balancer import nginx_binary
from bot.cli.serve import MODEL_PATH
from bot.config import PROJECT_ROOT
from bot.store.db import ensure_database

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
REPLICAS = 2
STARTUP_TIMEOUT_S = 240


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _missing() -> list[str]:
    missing = [] if nginx_binary() else ["nginx (make setup installs it)"]
    for name, url, default in (
        ("PostgreSQL", POSTGRES, 5432), ("Redis", REDIS_URL, 6379), ("RabbitMQ", RABBITMQ_URL, 5672),
    ):  # fmt: skip
        parsed = make_url(url) if "://" in url else None
        host = (parsed.host if parsed else None) or "127.0.0.1"
        if not _reachable(host, (parsed.port if parsed else None) or default):
            missing.append(f"{name} at {host}")
    return missing


def _free_run(count: int) -> int:
    """A port p with p … p+count-1 all free."""
    for _ in range(200):
        base = random.randint(20000, 60000)
        if not any(_reachable("127.0.0.1", base + i) for i in range(count)):
            return base
    raise RuntimeError("no free ports")


class Serve:
    """`python -m bot serve` in the production profile, stopped and started as an operator
    does (Ctrl-C, then start again)."""

    def __init__(self, env: dict[str, str], log: Path, urls: list[str]) -> None:
        self.env, self.log, self.urls = env, log, urls
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], cwd=PROJECT_ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        _wait_up(self.process, self.urls, self.log)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            assert self.process.wait(timeout=90) == 0, "serve did not stop cleanly on Ctrl-C"
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            pytest.fail("serve did not stop within 90 s of Ctrl-C")
        finally:
            self.process = None


@dataclass(frozen=True)
class Production:
    balancer_url: str
    replica_urls: tuple[str, ...]
    action_port: int
    database: Engine
    log: Path
    serve: Serve

    def say(self, url: str, sender: str, message: str) -> list[dict]:
        """One message over the REST channel at `url` (the balancer or one replica)."""
        response = requests.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=90
        )
        response.raise_for_status()
        return response.json()

    def rows(self, sql: str, **params: object) -> list[sa.Row]:
        with self.database.connect() as conn:
            return list(conn.execute(sa.text(sql), params))


def _wait_up(process: subprocess.Popen[bytes], urls: list[str], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(pending[0], timeout=2).ok:
                pending.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(0.5)
    if pending:
        pytest.fail(f"{pending} not up after {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


async def _delete_queue(name: str) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    missing = _missing()
    if missing:
        pytest.skip(f"the production profile needs {', '.join(missing)}")
    if not MODEL_PATH.exists():
        pytest.fail("no trained model: run 'make train'")
    workdir = tmp_path_factory.mktemp("scale")
    name = f"aftersales_scale_{uuid.uuid4().hex[:8]}"
    database_url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    queue = f"aftersales_scale_{uuid.uuid4().hex[:8]}"
    rasa_port, action_port, web_port = _free_run(REPLICAS + 1), _free_run(2), _free_run(1)
    env = {
        **os.environ,
        "BOT_PROFILE": "prod",
        "BOT_DEMO": "1",
        "DATABASE_URL": database_url,
        "TRACKER_STORE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "RABBITMQ_URL": RABBITMQ_URL,
        "RABBITMQ_QUEUE": queue,
        "RASA_REPLICAS": str(REPLICAS),
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "WEB_PORT": str(web_port),
        "TICK_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "NEW_CHATS_PER_ADDRESS_PER_HOUR": "1000",  # every simulated customer is 127.0.0.1
    }
    ensure_database(database_url)
    engine = sa.create_engine(database_url, future=True)
    log = workdir / "serve.log"
    replicas = tuple(f"http://127.0.0.1:{rasa_port + i}" for i in range(1, REPLICAS + 1))
    balancer = f"http://127.0.0.1:{rasa_port}"
    serve = Serve(env, log, [*(f"{u}/" for u in replicas), f"{balancer}/"])
    try:
        for command in (["migrate"], ["seed", "--if-empty"]):
            subprocess.run(
                [sys.executable, "-m", "bot", *command],
                env=env, cwd=PROJECT_ROOT, check=True, capture_output=True,
            )  # fmt: skip
        serve.start()
        yield Production(balancer, replicas, action_port, engine, log, serve)
    finally:
        serve.stop()
        engine.dispose()
        admin = sa.create_engine(
            make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
        asyncio.run(_delete_queue(queue))

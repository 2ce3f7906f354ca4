"""The production profile started as `make run-prod` starts it (bench/production.py): two
Rasa replicas behind nginx, the action server, the event consumer, on a throw-away PostgreSQL
database, Redis and a throw-away RabbitMQ queue. Skipped, saying why, when a service or nginx
is missing."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bench.production import POSTGRES, RABBITMQ_URL, REDIS_URL, ProductionProfile
from bot.cli.balancer import nginx_binary
from bot.cli.serve import MODEL_PATH

REPLICAS = 2


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _missing() -> list[str]:
    missing = [] if nginx_binary() else ["nginx (make setup installs it)"]
    for name, url, default in (
        ("PostgreSQL", POSTGRES, 5432), ("Redis", REDIS_URL, 6379), ("RabbitMQ", RABBITMQ_URL, 5672),
    ):  # fmt: skip
        parsed = make_url(url)
        host = parsed.host or "127.0.0.1"
        if not _reachable(host, parsed.port or default):
            missing.append(f"{name} at {host}")
    return missing


@dataclass(frozen=True)
class Production:
    profile: ProductionProfile
    database: Engine
    tokens: dict[str, str] = field(default_factory=dict)  # conversation id -> session token

    def new_customer(self) -> str:
        """A new REST conversation, its token kept for `say`."""
        sender, token = self.profile.new_conversation()
        self.tokens[sender] = token
        return sender

    @property
    def balancer_url(self) -> str:
        return self.profile.balancer_url

    @property
    def replica_urls(self) -> tuple[str, ...]:
        return self.profile.replica_urls

    def say(self, url: str, sender: str, message: str) -> list[dict]:
        """One message over the REST channel at `url` (the balancer or one replica)."""
        response = requests.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
            headers={"Authorization": f"Bearer {self.tokens[sender]}"}, timeout=180,
        )  # fmt: skip
        response.raise_for_status()
        return response.json()

    def rows(self, sql: str, **params: object) -> list[sa.Row]:
        with self.database.connect() as conn:
            return list(conn.execute(sa.text(sql), params))


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    missing = _missing()
    if missing:
        pytest.skip(f"the production profile needs {', '.join(missing)}")
    if not MODEL_PATH.exists():
        pytest.fail("no trained model: run 'make train'")
    profile = ProductionProfile(REPLICAS, tmp_path_factory.mktemp("scale") / "serve.log")
    try:
        try:
            profile.start()
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n{profile.log.read_text()[-3000:]}")
        engine = sa.create_engine(profile.database_url, future=True)
        yield Production(profile, engine)
        engine.dispose()
    finally:
        profile.close()

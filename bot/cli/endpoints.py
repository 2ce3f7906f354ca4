"""The endpoints.yml Rasa runs with, for the embedded default and the production profile.

Embedded (`make run`): the redacting tracker store on the SQLite file TRACKER_DB, Rasa's
in-memory lock store, no event broker. Production (`BOT_PROFILE=prod`, `make run-prod`): the
redacting tracker store on PostgreSQL (TRACKER_STORE_URL), Redis as the lock store so two
replicas never handle one conversation at once (REDIS_URL), and RabbitMQ as the event broker
(RABBITMQ_URL) feeding `python -m bot events`. The connection settings are URLs, read here
into the sections Rasa's stores take, so no password is written into a committed file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import yaml

from bot.cli.action_server import ACTION_KEY_HEADER
from bot.config import PROJECT_ROOT, get_settings

REDACTING_STORE = "bot.privacy.tracker_store.RedactingTrackerStore"
DEFAULT_EVENTS_QUEUE = "aftersales_events"
LOCK_KEY_PREFIX = "aftersales"
PROD_SETTINGS = ("DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL", "RABBITMQ_URL")


class ProfileError(ValueError):
    """A production setting missing or unusable; the message names it."""


def is_production(environ: dict[str, str] | None = None) -> bool:
    """BOT_PROFILE=prod (or production)."""
    env = os.environ if environ is None else environ
    return env.get("BOT_PROFILE", "").strip().lower() in ("prod", "production")


def events_queue(environ: dict[str, str] | None = None) -> str:
    """The RabbitMQ queue Rasa publishes to and `python -m bot events` consumes:
    RABBITMQ_QUEUE, default aftersales_events."""
    env = os.environ if environ is None else environ
    return env.get("RABBITMQ_QUEUE") or DEFAULT_EVENTS_QUEUE


def sql_tracker_store(url: str) -> dict[str, Any]:
    """Rasa's `type: sql` section for a SQLAlchemy URL (sqlite:///file or postgresql://…)."""
    parts = urlsplit(url)
    dialect = parts.scheme.split("+", 1)[0]
    if dialect == "sqlite":
        return {"type": "sql", "dialect": "sqlite", "db": unquote(parts.path[1:])}
    if dialect not in ("postgresql", "postgres"):
        raise ProfileError(f"TRACKER_STORE_URL: unsupported database {parts.scheme!r}")
    section: dict[str, Any] = {
        "type": "sql",
        "dialect": "postgresql",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "db": unquote(parts.path.lstrip("/")) or "postgres",
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
    }
    if parts.query:
        section["query"] = dict(parse_qsl(parts.query))
    return section


def redis_lock_store(url: str) -> dict[str, Any]:
    """The lock store section for redis://[:password@]host[:port][/db]: Rasa's Redis lock
    store, with a fallback while Redis is down (bot/locking.py)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ProfileError("REDIS_URL must look like redis://host:6379/1")
    return {
        "type": "bot.locking.FallbackRedisLockStore",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 1),
        "password": unquote(parts.password) if parts.password else None,
        "use_ssl": parts.scheme == "rediss",
        "key_prefix": LOCK_KEY_PREFIX,
        "socket_timeout": 2,
    }


def pika_event_broker(url: str) -> dict[str, Any]:
    """The event broker section for amqp://user:password@host:port/: Rasa's RabbitMQ broker,
    connecting in the background (bot/event_broker.py)."""
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ProfileError("RABBITMQ_URL must look like amqp://user:password@host:5672/vhost")
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    # Rasa joins an amqp:// `url` with the user and password as given, so they stay quoted;
    # the virtual host, the query and TLS (amqps) travel in the URL.
    address = f"{parts.scheme}://{parts.hostname}:{port}{parts.path or '/'}"
    return {
        "type": "bot.event_broker.PatientPikaEventBroker",
        "url": address + (f"?{parts.query}" if parts.query else ""),
        "port": port,
        "username": quote(unquote(parts.username or "guest"), safe=""),
        "password": quote(unquote(parts.password or "guest"), safe=""),
        "queues": [events_queue()],
        # Its own exchange: Rasa's default, rasa-exchange, is shared by every Rasa on the
        # broker, and each would receive the others' conversations.
        "exchange_name": events_queue(),
        "raise_on_failure": False,  # a broker outage must not stop conversations
        "connection_attempts": 1,  # connected again and again by the broker itself
    }


@dataclass(frozen=True)
class ProductionUrls:
    """The four connections of the production profile."""

    database: str
    tracker_store: str
    redis: str
    rabbitmq: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ProductionUrls:
        """Read them; ProfileError naming every one that is missing or on SQLite."""
        env = os.environ if environ is None else environ
        missing = [name for name in PROD_SETTINGS if not env.get(name)]
        if missing:
            raise ProfileError(f"the production profile needs {', '.join(missing)}")
        on_sqlite = [n for n in PROD_SETTINGS[:2] if env[n].startswith("sqlite")]
        if on_sqlite:
            raise ProfileError(f"{', '.join(on_sqlite)}: the production profile runs on PostgreSQL")
        # Each is read now, so a wrong one stops start-up with its name, not a trace.
        for name, section in (
            ("TRACKER_STORE_URL", sql_tracker_store), ("REDIS_URL", redis_lock_store),
            ("RABBITMQ_URL", pika_event_broker),
        ):  # fmt: skip
            try:
                section(env[name])
            except ValueError as exc:  # ProfileError, or a port or number that is not one
                raise ProfileError(f"{name}: {exc}") from exc
        return cls(*(env[name] for name in PROD_SETTINGS))


def _committed_endpoints() -> dict[str, Any]:
    text = (PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def tracker_store_section(production: ProductionUrls | None = None) -> dict[str, Any]:
    """endpoints.yml's tracker store; the redacting store gets the profile's conversations
    database as its inner store unless endpoints.yml names one."""
    store: dict[str, Any] = _committed_endpoints().get("tracker_store") or {}
    if store.get("type") == REDACTING_STORE and not store.get("inner"):
        url = production.tracker_store if production else get_settings().conversations_url
        store["inner"] = sql_tracker_store(url)
    return store


def rasa_endpoints(action_url: str, action_key: str, production: ProductionUrls | None) -> dict:
    """The endpoints Rasa runs with: the committed endpoints.yml, the action server's URL and
    key, and the stores of the profile."""
    endpoints = _committed_endpoints()
    endpoints["action_endpoint"] = {"url": action_url, "headers": {ACTION_KEY_HEADER: action_key}}
    endpoints["tracker_store"] = tracker_store_section(production)
    if production:
        endpoints["lock_store"] = redis_lock_store(production.redis)
        endpoints["event_broker"] = pika_event_broker(production.rabbitmq)
    return endpoints


def write_endpoints(endpoints: dict, directory: Path) -> Path:
    """endpoints.yml in `directory`, readable by this user only (it holds keys)."""
    path = directory / "endpoints.yml"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return path

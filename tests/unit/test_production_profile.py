"""The production profile's pieces that need no running service: the endpoints Rasa gets
from the connection URLs, nginx's configuration (checked by nginx itself when installed),
and how the event consumer reads a broker message."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cli.action_server import ACTION_KEY_HEADER
from bot.cli.balancer import Upstream, nginx_binary, nginx_config
from bot.cli.endpoints import (
    PROD_SETTINGS,
    ProductionUrls,
    ProfileError,
    is_production,
    pika_event_broker,
    rasa_endpoints,
    redis_lock_store,
    sql_tracker_store,
    write_endpoints,
)
from bot.cli.events import parse_event
from bot.cli.serve import replica_count
from bot.config import PROJECT_ROOT

PROD_ENV = {
    "DATABASE_URL": "postgresql://bot:s3cr%40t@db.internal:6543/aftersales?sslmode=require",
    "TRACKER_STORE_URL": "postgresql://bot:s3cr%40t@db.internal:6543/aftersales?sslmode=require",
    "REDIS_URL": "redis://:r3dis@cache.internal:6380/2",
    "RABBITMQ_URL": "amqp://bot:rabb%2Fit@mq.internal:5673/",
}


def test_the_tracker_store_url_becomes_rasas_sql_section() -> None:
    assert sql_tracker_store(PROD_ENV["TRACKER_STORE_URL"]) == {
        "type": "sql", "dialect": "postgresql", "url": "db.internal", "port": 6543,
        "db": "aftersales", "username": "bot", "password": "s3cr@t",
        "query": {"sslmode": "require"},
    }  # fmt: skip
    assert sql_tracker_store("sqlite:////var/lib/bot/conversations.db") == {
        "type": "sql", "dialect": "sqlite", "db": "/var/lib/bot/conversations.db",
    }  # fmt: skip
    with pytest.raises(ProfileError, match="unsupported"):
        sql_tracker_store("mysql://bot@db/aftersales")


def test_redis_and_rabbitmq_urls() -> None:
    lock = redis_lock_store(PROD_ENV["REDIS_URL"])
    assert (lock["url"], lock["port"], lock["db"], lock["password"]) == (
        "cache.internal", 6380, 2, "r3dis",
    )  # fmt: skip
    assert redis_lock_store("redis://localhost")["db"] == 1 and not lock["use_ssl"]
    broker = pika_event_broker(PROD_ENV["RABBITMQ_URL"])
    # Rasa puts user and password into the URL as given: they stay quoted.
    assert (broker["url"], broker["port"], broker["username"], broker["password"]) == (
        "amqp://mq.internal:5673/", 5673, "bot", "rabb%2Fit",
    )  # fmt: skip
    with_vhost = pika_event_broker("amqps://u:p@mq.internal/prod?heartbeat=30")
    assert with_vhost["url"] == "amqps://mq.internal:5671/prod?heartbeat=30"
    with pytest.raises(ProfileError):
        redis_lock_store("http://cache.internal")
    with pytest.raises(ProfileError):
        pika_event_broker("redis://mq.internal")


def test_the_production_profile_names_what_is_missing() -> None:
    assert is_production({"BOT_PROFILE": "prod"}) and not is_production({})
    with pytest.raises(ProfileError, match="REDIS_URL, RABBITMQ_URL"):
        ProductionUrls.from_env({k: PROD_ENV[k] for k in ("DATABASE_URL", "TRACKER_STORE_URL")})
    with pytest.raises(ProfileError, match="PostgreSQL"):
        ProductionUrls.from_env({**PROD_ENV, "DATABASE_URL": "sqlite:///x.db"})
    with pytest.raises(ProfileError, match="REDIS_URL"):
        ProductionUrls.from_env({**PROD_ENV, "REDIS_URL": "redis://cache/abc"})
    with pytest.raises(ProfileError, match="RABBITMQ_URL"):
        ProductionUrls.from_env({**PROD_ENV, "RABBITMQ_URL": "amqp:///"})
    assert ProductionUrls.from_env(PROD_ENV).redis == PROD_ENV["REDIS_URL"]


def test_endpoints_of_each_profile(tmp_path: Path) -> None:
    embedded = rasa_endpoints("http://127.0.0.1:5055/webhook", "k" * 32, None)
    assert embedded["action_endpoint"]["headers"] == {ACTION_KEY_HEADER: "k" * 32}
    assert embedded["tracker_store"]["inner"]["dialect"] == "sqlite"
    assert "lock_store" not in embedded and "event_broker" not in embedded
    prod = rasa_endpoints(
        "http://127.0.0.1:5055/webhook", "k" * 32, ProductionUrls.from_env(PROD_ENV)
    )
    assert prod["tracker_store"]["type"] == "bot.privacy.tracker_store.RedactingTrackerStore"
    assert prod["tracker_store"]["inner"]["dialect"] == "postgresql"
    assert prod["lock_store"]["type"] == "bot.locking.FallbackRedisLockStore"
    assert prod["event_broker"]["type"] == "bot.event_broker.PatientPikaEventBroker"
    path = write_endpoints(prod, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the action server's key


def test_replica_counts_are_bounded() -> None:
    assert replica_count({}, "RASA_REPLICAS", 2) == 2
    assert replica_count({"RASA_REPLICAS": "3"}, "RASA_REPLICAS", 2) == 3
    assert replica_count({"RASA_REPLICAS": "0"}, "RASA_REPLICAS", 2) == 1
    assert replica_count({"RASA_REPLICAS": "lots"}, "RASA_REPLICAS", 2) == 2


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    config = nginx_config(
        [Upstream("rasa", "0.0.0.0", 5005, (5006, 5007), 1024 * 1024, 25, retry_sent=True),
         Upstream("actions", "127.0.0.1", 5055, (5056,), 0, 13)],
        tmp_path,
    )  # fmt: skip
    assert "server 127.0.0.1:5006" in config and "server 127.0.0.1:5007" in config
    assert "listen 0.0.0.0:5005;" in config and "keepalive" not in config
    rasa, actions = config.split("listen 127.0.0.1:5055;")
    assert "client_max_body_size 1048576;" in rasa and "non_idempotent" in rasa
    assert "client_max_body_size 0;" in actions and "non_idempotent" not in actions
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (make setup installs it)")
    (tmp_path / "nginx.conf").write_text(config, encoding="utf-8")
    checked = subprocess.run(
        [binary, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def _body(**event: object) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode()


def test_broker_messages_become_rows() -> None:
    user = parse_event(_body(
        event="user", sender_id="chat-1", timestamp=1764300000.5, text="退款到哪了",
        parse_data={"intent": {"name": "ask_refund_status", "confidence": 0.9}},
    ))  # fmt: skip
    assert user is not None
    assert (user.conversation_id, user.type_name, user.intent, user.action) == (
        "chat-1", "user", "ask_refund_status", None,
    )  # fmt: skip
    assert user.event_time.timestamp() == 1764300000.5 and len(user.event_key) == 64
    action = parse_event(_body(event="action", sender_id="chat-1", timestamp=1.0, name="action_x"))
    assert action is not None and action.action == "action_x" and action.intent is None


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe", b"[]", b'"text"', _body(event="user", timestamp=1.0),
     _body(event="user", sender_id="c", timestamp="soon"), _body(event="user", sender_id="c"),
     _body(event="user", sender_id="c", timestamp=1e300)],
)  # fmt: skip
def test_what_is_not_a_conversation_event_is_dropped(body: bytes) -> None:
    assert parse_event(body) is None


def test_the_kubernetes_endpoints_match_what_serve_builds() -> None:
    """deploy/endpoints.yml (placeholders filled by Rasa) has the sections, keys and fixed
    values `python -m bot serve` gives the production profile."""
    deployed = yaml.safe_load((PROJECT_ROOT / "deploy" / "endpoints.yml").read_text("utf-8"))
    built = rasa_endpoints("http://x/webhook", "k" * 32, ProductionUrls.from_env(PROD_ENV))
    assert set(deployed) == set(built)
    for section in ("lock_store", "event_broker"):
        assert set(deployed[section]) - {"password"} <= set(built[section]), section
        for key in (
            "type", "key_prefix", "queues", "raise_on_failure", "socket_timeout",
            "connection_attempts", "exchange_name",
        ):  # fmt: skip
            assert deployed[section].get(key) == built[section].get(key), (section, key)
    inner, built_inner = deployed["tracker_store"]["inner"], built["tracker_store"]["inner"]
    assert set(inner) == set(built_inner) - {"query"} and inner["dialect"] == "postgresql"
    assert deployed["tracker_store"]["type"] == built["tracker_store"]["type"]
    assert list(deployed["action_endpoint"]["headers"]) == [ACTION_KEY_HEADER]


def test_the_kubernetes_secret_names_every_variable_the_code_and_endpoints_read() -> None:
    manifest = (PROJECT_ROOT / "deploy" / "kubernetes.yaml").read_text("utf-8")
    endpoints = (PROJECT_ROOT / "deploy" / "endpoints.yml").read_text("utf-8")
    secret = set(re.findall(r"--from-literal=([A-Z_]+)=", manifest))
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", endpoints))
    assert placeholders <= secret, placeholders - secret
    # Each pod runs one process, not `serve`: Rasa reads Redis from endpoints.yml.
    needed = {*PROD_SETTINGS, "ACTION_SERVER_KEY", "WEB_CHANNEL_KEY", "PUBLIC_WEB_URL"} - {
        "REDIS_URL"
    }
    assert needed <= secret, needed - secret

"""One real action server and Rasa server for the whole session, started as `make run` does."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bot.cli.serve import MODEL_PATH
from bot.config import PROJECT_ROOT

STARTUP_TIMEOUT_S = 300  # the model takes ~45 s to load on 2 cores; CI machines may be slower
TOKEN_SECRET = "e2e-sign-in-secret-" + "z" * 16  # what the shop's sign-in service would hold
DINGTALK_SECRET = "e2e-dingtalk-app-secret"  # what DingTalk's developer console would show


def texts(replies: list[dict]) -> str:
    """The bot's replies to one message, as one string."""
    return "\n".join(r.get("text", "") for r in replies)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class BotServer:
    rasa_url: str
    action_url: str
    web_url: str  # the demo shop page with the chat widget
    log: Path
    database: Path
    conversations: Path  # the tracker store's SQLite file

    def say(self, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
        """Send one message over the REST channel; the bot's replies."""
        body: dict = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def rows(self, sql: str, *args: object) -> list[tuple]:
        """Rows of one query against the order and ticket store."""
        with sqlite3.connect(self.database) as conn:
            return conn.execute(sql, args).fetchall()

    def settle(self, order_no: str) -> None:
        """Mark the order's open applications and bookings as finished, so a test can open a
        new one whatever earlier tests did (one open application per item is the rule)."""
        order = "(select id from orders where order_no = ?)"
        with sqlite3.connect(self.database) as conn:
            conn.execute(
                f"update after_sales_requests set status = 'completed' where order_id = {order}",
                (order_no,),
            )
            conn.execute(
                f"update repair_bookings set status = 'done' where order_id = {order}",
                (order_no,),
            )

    def stored_events(self, sender: str) -> list[str]:
        """The serialised events the tracker store holds for one conversation."""
        with sqlite3.connect(self.conversations) as conn:
            rows = conn.execute("select data from events where sender_id = ?", (sender,))
            return [row[0] for row in rows]


def _wait_until_up(process: subprocess.Popen, urls: list[str], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"servers exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if all(requests.get(url, timeout=2).ok for url in urls):
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    pytest.fail(f"servers not up after {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


class FakePlatform(ThreadingHTTPServer):
    """A messaging platform's API on 127.0.0.1 that records what the bot posts to it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                platform.posts.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0}')

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="session")
def fake_platform() -> Iterator[FakePlatform]:
    platform = FakePlatform()
    thread = threading.Thread(target=platform.serve_forever, daemon=True)
    thread.start()
    yield platform
    platform.shutdown()
    platform.server_close()


@pytest.fixture(scope="session")
def bot_server(
    tmp_path_factory: pytest.TempPathFactory, fake_platform: FakePlatform
) -> Iterator[BotServer]:
    if not MODEL_PATH.exists():
        pytest.fail("no trained model: run 'make train' (make test trains before the e2e tests)")
    workdir = tmp_path_factory.mktemp("e2e")
    database = workdir / "e2e.db"
    conversations = workdir / "conversations.db"
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "WEB_PORT": str(web_port),
        "BOT_DEMO": "1",  # the page's demo sign-in switch
        "DINGTALK_APP_SECRET": DINGTALK_SECRET,
        "DINGTALK_API_BASE": fake_platform.url,
        "CORS_ORIGINS": "http://localhost:8000",
        "TRACKER_DB": str(conversations),
        "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET,
    }
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "bot", command],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
        )
    log = workdir / "servers.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = BotServer(
        f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}",
        f"http://127.0.0.1:{web_port}", log, database, conversations,
    )  # fmt: skip
    try:
        _wait_until_up(
            process,
            [f"{server.rasa_url}/", f"{server.action_url}/health", f"{server.web_url}/api/health"],
            log,
        )
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C does
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("servers did not stop within 60 s of Ctrl-C")
    assert code == 0, f"serve exited with {code} on Ctrl-C"
    assert not any(
        port_open(p) for p in (rasa_port, action_port, web_port)
    ), "a server outlived Ctrl-C"

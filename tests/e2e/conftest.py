"""One real action server and Rasa server for the whole session, started as `make run` does."""

from __future__ import annotations

import json
import os
import shutil
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
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, sync_playwright

from bot.cli.serve import MODEL_PATH
from bot.config import PROJECT_ROOT
from bot.web.console_auth import hash_password

STARTUP_TIMEOUT_S = 300  # the model takes ~45 s to load on 2 cores; CI machines may be slower
TOKEN_SECRET = "e2e-sign-in-secret-" + "z" * 16  # what the shop's sign-in service would hold
DINGTALK_SECRET = "e2e-dingtalk-app-secret"  # what DingTalk's developer console would show
UPLOAD_SECRET = "e2e-upload-link-secret-" + "u" * 16  # signs the photo upload links
OPERATOR_TOKEN = "e2e-operator-token-" + "o" * 20  # the service team's photo routes
CHATS_PER_ADDRESS = 400
ACTION_TIMEOUT_S = (
    6  # how long Rasa waits for an action (8 s in production; the store gives up after 4)
)
WEB_CHANNEL_KEY = "e2e-web-channel-key-" + "k" * 16  # shared by the page's server and Rasa
CONSOLE_PASSWORD = "e2e console password"  # the operator console's, hashed into the env
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 30_000  # a turn that runs actions takes well under a second; CI machines vary
# What Feishu's and WeCom's consoles would show for the apps the tests pretend to be.
FEISHU = {
    "FEISHU_APP_ID": "cli_e2e",
    "FEISHU_APP_SECRET": "e2e-feishu-app-secret",
    "FEISHU_VERIFICATION_TOKEN": "e2e-feishu-verification-token",
    "FEISHU_ENCRYPT_KEY": "e2e-feishu-encrypt-key",
}
WECOM = {
    "WECOM_CORP_ID": "ww-e2e-corp",
    "WECOM_AGENT_ID": "1000002",
    "WECOM_SECRET": "e2e-wecom-app-secret",
    "WECOM_TOKEN": "e2eWeComToken",
    "WECOM_ENCODING_AES_KEY": "e2eWeComEncodingAesKey0123456789abcdefghijk",
}


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
        """Mark the order's open applications, bookings and parcel checks as finished, so a test can open a
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
            conn.execute(
                f"update parcel_tickets set status = 'found' where order_id = {order}",
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


@dataclass(frozen=True)
class Call:
    """One request the bot made to the fake platform."""

    method: str
    path: str  # with the query string
    body: dict
    authorization: str | None


class FakePlatform(ThreadingHTTPServer):
    """The messaging platforms' APIs on 127.0.0.1 (DingTalk's session webhook, Feishu's and
    WeCom's token and message-send endpoints), recording every call the bot makes."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []  # DingTalk replies (and every other POST)
        self.calls: list[Call] = []
        self.revoked: set[str] = set()  # tokens the send endpoints refuse, once each
        self.tokens_issued = 0
        # While set, Feishu's and WeCom's send endpoints wait for it to be cleared: a test can
        # see that a callback was answered before the bot's reply was taken.
        self.holding_sends = threading.Event()
        self.sends_answered = 0
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer({})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                platform.posts.append((self.path, body))
                self._answer(body)

            def _answer(self, body: dict) -> None:
                auth = self.headers.get("Authorization")
                platform.calls.append(Call(self.command, self.path, body, auth))
                held = self.path.startswith(("/open-apis/im/", "/cgi-bin/message/"))
                while held and platform.holding_sends.is_set():
                    time.sleep(0.05)
                answer = platform.answer(self.path, auth)
                platform.sends_answered += held
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(answer).encode())

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def answer(self, path: str, authorization: str | None) -> dict:
        """What the real platform would answer (its documented success and error codes)."""
        if path.startswith(("/open-apis/auth/", "/cgi-bin/gettoken")):
            self.tokens_issued += 1
            token = f"fake-token-{self.tokens_issued}"
            if path.startswith("/cgi-bin/"):
                return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
            return {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
        token = (authorization or "").removeprefix("Bearer ") or _query_token(path)
        if token in self.revoked:
            self.revoked.discard(token)
            return {"code": 99991663} if path.startswith("/open-apis/") else {"errcode": 42001}
        return {"code": 0, "msg": "success"} if path.startswith("/open-apis/") else {"errcode": 0}

    def calls_to(self, prefix: str, since: int = 0) -> list[Call]:
        """The calls since the `since`-th whose path starts with `prefix`."""
        return [call for call in self.calls[since:] if call.path.startswith(prefix)]

    def wait_for(self, prefix: str, since: int, count: int = 1) -> list[Call]:
        """Wait (up to a minute) until `count` calls to `prefix` arrived after `since`."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = self.calls_to(prefix, since)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        pytest.fail(f"no call to {prefix} within 60 s; calls: {self.calls[since:]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _query_token(path: str) -> str:
    return parse_qs(urlsplit(path).query).get("access_token", [""])[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: make setup installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


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
        "WEB_CHANNEL_KEY": WEB_CHANNEL_KEY,
        "DINGTALK_APP_SECRET": DINGTALK_SECRET,
        "DINGTALK_API_BASE": fake_platform.url,
        **FEISHU,
        "FEISHU_API_BASE": fake_platform.url,
        **WECOM,
        "WECOM_API_BASE": fake_platform.url,
        "CORS_ORIGINS": "http://localhost:8000",
        "TRACKER_DB": str(conversations),
        "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET,
        "UPLOAD_LINK_SECRET": UPLOAD_SECRET,
        "OPERATOR_TOKEN": OPERATOR_TOKEN,
        "OPS_PASSWORD_HASH": hash_password(CONSOLE_PASSWORD),
        "OPS_REPORT_DIR": str(workdir / "report"),
        "ACTION_TIMEOUT_SECONDS": str(ACTION_TIMEOUT_S),
        # Every test talks from 127.0.0.1; test_rate_limits.py checks the limit itself.
        "CHATS_PER_ADDRESS_PER_HOUR": str(CHATS_PER_ADDRESS),
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

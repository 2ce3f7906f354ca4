"""The action server as Rasa reaches it: over HTTP, refusing every caller without the key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.cli.action_server import ACTION_KEY_HEADER, key_accepted
from bot.config import PROJECT_ROOT

KEY = "action-key-for-the-tests-" + "k" * 16


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int, key: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ACTION_SERVER_KEY": key,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'actions.db'}",
        "LOG_LEVEL": "WARNING",
    }
    with (tmp_path / "actions.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli.action_server", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


@pytest.fixture(scope="module")
def action_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, workdir = _free_port(), tmp_path_factory.mktemp("actions")
    process = _start(port, KEY, workdir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"action server exited: {(workdir / 'actions.log').read_text()}")
        try:
            requests.get(f"{url}/health", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.3)
    else:
        pytest.fail("action server not up within 90 s")
    yield url
    process.terminate()
    process.wait(timeout=30)


def _call(url: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{url}/webhook", json=_body(), headers=headers, timeout=10)


def _body() -> dict:
    """What a hand-made request for a refund's details looks like: a tracker claiming proof."""
    return {
        "next_action": "action_refund_status",
        "sender_id": "someone-elses-chat",
        "tracker": {
            "sender_id": "someone-elses-chat",
            "slots": {"order_no": "202611010001", "order_verified": True},
            "latest_message": {"text": "退款到哪了", "intent": {"name": "ask_refund_status"}},
            "events": [],
        },
        "domain": {},
        "version": "3.6.2",
    }


def test_a_request_without_the_key_is_refused(action_url: str) -> None:
    assert _call(action_url, {}).status_code == 401
    assert requests.get(f"{action_url}/actions", timeout=5).status_code == 401


@pytest.mark.parametrize(
    "given", ["", "x", KEY[:-1], KEY + "x", KEY.upper(), f"Bearer {KEY}", KEY + "\u200b"]
)
def test_a_near_miss_of_the_key_is_refused(action_url: str, given: str) -> None:
    headers = {ACTION_KEY_HEADER: given.encode("utf-8").decode("latin-1")}
    assert _call(action_url, headers).status_code == 401


def test_the_key_opens_the_actions_and_health_needs_none(action_url: str) -> None:
    assert requests.get(f"{action_url}/health", timeout=5).status_code == 200
    listed = requests.get(f"{action_url}/actions", headers={ACTION_KEY_HEADER: KEY}, timeout=5)
    assert listed.status_code == 200
    assert {"name": "action_start_wrong_item_return"} in listed.json()


def test_without_a_long_enough_key_it_does_not_start(tmp_path: Path) -> None:
    process = _start(_free_port(), "short", tmp_path)
    assert process.wait(timeout=60) == 1
    assert "ACTION_SERVER_KEY must be set" in (tmp_path / "actions.log").read_text()


def test_key_comparison() -> None:
    assert key_accepted(KEY, KEY)
    assert not key_accepted(None, KEY) and not key_accepted("", KEY)
    assert not key_accepted("é" + KEY[1:], KEY)


def test_a_key_that_is_not_utf8_is_refused_not_a_500(action_url: str) -> None:
    assert _call(action_url, {ACTION_KEY_HEADER: "\xff\xfe\x80abc"}).status_code == 401


def test_errors_do_not_echo_the_conversation(action_url: str) -> None:
    wrong_method = requests.post(f"{action_url}/health", json={"secret": "x"}, timeout=5)
    assert wrong_method.status_code == 405 and "secret" not in wrong_method.text
    broken = requests.post(
        f"{action_url}/webhook", data=b"{not json", timeout=5, headers={ACTION_KEY_HEADER: KEY}
    )
    assert broken.status_code in (400, 500) and "not json" not in broken.text


def test_a_call_rasa_gave_up_on_is_not_run(action_url: str) -> None:
    """A call queued while the server was stopped arrives after Rasa apologised: running it
    would file what the customer was told was not done."""
    body = _body()
    body["tracker"]["latest_event_time"] = time.time() - 60
    late = requests.post(
        f"{action_url}/webhook", json=body, headers={ACTION_KEY_HEADER: KEY}, timeout=10
    )
    assert late.status_code == 503
    body["tracker"]["latest_event_time"] = time.time()
    fresh = requests.post(
        f"{action_url}/webhook", json=body, headers={ACTION_KEY_HEADER: KEY}, timeout=10
    )
    assert fresh.status_code != 503  # run (the made-up action itself is unknown: 404)

"""The action server hung or gone mid-conversation: an apology within the stated timeout, and
the same message, sent again once it is back, continues where the conversation was."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.e2e.conftest import ACTION_TIMEOUT_S, BotServer, texts
from tests.processes import pid_of

pytestmark = pytest.mark.e2e


def _action_server_pid(port: int) -> int:
    return pid_of("bot.cli.action_server", port)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _wait_healthy(url: str, within_s: float = 90) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"the action server was not back within {within_s} s")


@contextmanager
def paused(pid: int) -> Iterator[None]:
    """The process stopped (SIGSTOP: its port accepts connections and nothing answers)."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_a_hung_action_server_gets_an_apology_in_seconds(bot_server: BotServer) -> None:
    me = "e2e-outage-hung"
    assert "订单号" in texts(bot_server.say(me, "我退的耳机钱到哪了 咋还没到"))
    with paused(_action_server_pid(_port(bot_server.action_url))):
        started = time.monotonic()
        with_hung_server = texts(bot_server.say(me, "202411020007"))
        waited = time.monotonic() - started
    assert "没能处理" in with_hung_server and "再发一次" in with_hung_server
    assert waited < ACTION_TIMEOUT_S + 3, f"the customer waited {waited:.1f} s"
    # The order number, sent again, is read as the answer to the question still open.
    assert "手机号" in texts(bot_server.say(me, "202411020007"))
    assert "299.00元" in texts(bot_server.say(me, "后四位9000"))


def test_a_crashed_action_server_is_restarted_and_the_conversation_goes_on(
    bot_server: BotServer,
) -> None:
    me = "e2e-outage-crash"
    assert "订单号" in texts(bot_server.say(me, "退款咋还没到账啊"))
    os.kill(_action_server_pid(_port(bot_server.action_url)), signal.SIGKILL)
    apology = texts(bot_server.say(me, "202411020007"))
    assert "没能处理" in apology and "手机号" not in apology
    _wait_healthy(bot_server.action_url)  # the supervisor started it again
    assert "手机号" in texts(bot_server.say(me, "202411020007"))


def test_a_locked_store_gets_an_apology_in_seconds_and_nothing_half_done(
    bot_server: BotServer,
) -> None:
    me = "e2e-outage-locked-store"
    assert "订单号" in texts(bot_server.say(me, "我退的耳机钱到哪了"))
    with sqlite3.connect(bot_server.database, isolation_level=None) as holder:
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the whole store
        started = time.monotonic()
        with_locked_store = texts(bot_server.say(me, "202411020007"))
        waited = time.monotonic() - started
        holder.execute("ROLLBACK")
    # The job's own apology, with a person offered: the store failed, not the customer.
    assert "没能查到" in with_locked_store and "转人工" in with_locked_store
    assert waited < ACTION_TIMEOUT_S + 3, f"the customer waited {waited:.1f} s"
    # Once it is free again, the job goes on from the order number already given.
    assert "手机号" in texts(bot_server.say(me, "再查一下退款"))
    assert "299.00元" in texts(bot_server.say(me, "后四位9000"))

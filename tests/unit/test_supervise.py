"""A server that exits is started again, after a pause that grows with repeated crashes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.cli.supervise import GIVE_UP_AFTER, MAX_PAUSE_S, MEMORY_S, Supervised, supervise_once


def _crashing() -> tuple[Supervised, list[int]]:
    """A server that exits with code 3 as soon as it starts, and the count of its starts."""
    started: list[int] = []

    def start() -> subprocess.Popen[bytes]:
        started.append(1)
        return subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])

    return Supervised("the action server", start), started


def test_a_crashed_server_is_started_again_after_a_growing_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    child, started = _crashing()
    supervise_once([child], now=0.0)
    assert child.process is not None
    child.process.wait()
    supervise_once([child], now=1.0)  # noticed: restart in 1 s
    assert child.process is None and child.restart_at == 2.0
    assert "the action server exited with code 3" in caplog.text
    supervise_once([child], now=1.5)
    assert child.process is None  # not before its time
    supervise_once([child], now=2.0)
    assert child.process is not None and len(started) == 2
    child.process.wait()
    supervise_once([child], now=3.0)
    assert child.restart_at == 5.0  # second crash: 2 s
    for _ in range(10):
        child.crashes.append(3.0)
    assert child.pause(4.0) == MAX_PAUSE_S  # never longer than this
    assert child.pause(3.0 + MEMORY_S + 1) == 1.0  # old crashes are forgotten


def test_a_running_server_is_left_alone() -> None:
    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])

    child = Supervised("the page", start)
    supervise_once([child], now=0.0)
    first = child.process
    try:
        supervise_once([child], now=100.0)
        assert child.process is first and child.running
    finally:
        assert first is not None
        first.kill()
        first.wait()


def test_a_server_that_cannot_start_at_all_is_given_up_on() -> None:
    child, started = _crashing()
    now, given_up = 0.0, []
    for _ in range(GIVE_UP_AFTER):
        supervise_once([child], now)  # (re)started as soon as its pause is over
        assert child.process is not None
        child.process.wait()
        given_up = supervise_once([child], now + 1)
        now = child.restart_at or now + 1
    assert given_up == [child] and len(started) == GIVE_UP_AFTER  # within MEMORY_S

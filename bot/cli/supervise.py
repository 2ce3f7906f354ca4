"""Keep the bot's server processes running: one that exits is started again after a pause
that doubles with each recent crash (1 s, 2 s, 4 s … at most 60 s), so a crash is a blip
rather than an outage, and a process that cannot start does not spin the CPU. One that crashed
GIVE_UP_AFTER times within MEMORY_S cannot start at all (a port taken, a model missing): the
supervisor gives up, so that the operator sees the failure instead of an endless retry."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

FIRST_PAUSE_S = 1.0
MAX_PAUSE_S = 60.0
MEMORY_S = 600.0  # crashes older than this no longer lengthen the pause
GIVE_UP_AFTER = 10


@dataclass
class Supervised:
    """One server process and how to start it again."""

    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    process: subprocess.Popen[bytes] | None = None
    crashes: list[float] = field(default_factory=list)  # monotonic times of recent exits
    restart_at: float | None = None

    def pause(self, now: float) -> float:
        """How long to wait before the next start, given the crashes of the last MEMORY_S."""
        self.crashes = [t for t in self.crashes if now - t < MEMORY_S]
        return min(MAX_PAUSE_S, FIRST_PAUSE_S * 2 ** max(0, len(self.crashes) - 1))

    @property
    def running(self) -> bool:
        """Is its process alive?"""
        return self.process is not None and self.process.poll() is None


def supervise_once(children: list[Supervised], now: float) -> list[Supervised]:
    """Start what is due to start, and schedule a restart for what has exited; returns the
    children given up on."""
    given_up = []
    for child in children:
        if child.process is None:
            if child.restart_at is None or now >= child.restart_at:
                child.process = child.start()
                child.restart_at = None
            continue
        code = child.process.poll()
        if code is None:
            continue
        child.crashes.append(now)
        pause = child.pause(now)
        if len(child.crashes) >= GIVE_UP_AFTER:
            logger.error(
                "%s exited %d times in %.0f s; giving up", child.name, len(child.crashes), MEMORY_S
            )
            child.process = None
            given_up.append(child)
            continue
        logger.error("%s exited with code %s; starting it again in %.0f s", child.name, code, pause)
        child.process = None
        child.restart_at = now + pause
    return given_up

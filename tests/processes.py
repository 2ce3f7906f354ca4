"""Finding the server processes a test started, to stop, pause or kill one on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest


def pid_of(module: str, port: int) -> int:
    """The pid of the process run as `python -m <module> … <port> …`."""
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, NotADirectoryError):
            continue
        if module.encode() in argv and str(port).encode() in argv:
            return int(proc.name)
    pytest.fail(f"no {module} on port {port}")

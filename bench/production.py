"""The production profile started for a measurement, on a throw-away PostgreSQL database and
RabbitMQ queue, and the resident memory of each of its processes."""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.config import PROJECT_ROOT
from bot.store.db import ensure_database

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _free_run(count: int) -> int:
    for _ in range(200):
        base = random.randint(20000, 60000)
        taken = False
        for port in range(base, base + count):
            with socket.socket() as sock:
                taken = taken or sock.connect_ex(("127.0.0.1", port)) == 0
        if not taken:
            return base
    raise RuntimeError("no free ports")


def resident_mb(serve_pid: int) -> dict[str, float]:
    """Resident memory (MB) of every process `serve` started, by what it is."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            commands[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                parents[int(proc.name)] = int(line.split()[1])
    memory: dict[str, float] = {}
    for pid, command in commands.items():
        ancestor = pid
        while ancestor not in (0, 1, serve_pid) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor != serve_pid and pid != serve_pid:
            continue
        name = _label(command, pid)
        try:
            rss = next(
                int(line.split()[1]) / 1024
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmRSS:")
            )
        except (OSError, StopIteration):
            continue
        memory[name] = round(memory.get(name, 0.0) + rss, 1)
    return memory


def _label(command: str, pid: int) -> str:
    if "rasa_entry run" in command:
        return f"rasa replica :{command.split('--port ')[1].split()[0]}"
    for marker, name in (
        ("bot.cli.action_server", "action server"), ("nginx", "nginx (all workers)"),
        ("-m bot events", "event consumer"), ("-m bot.web", "page server"),
        ("-m bot serve", "serve (supervisor, tick)"),
    ):  # fmt: skip
        if marker in command:
            return name
    return f"other {pid}"


class ProductionProfile:
    """`python -m bot serve` in the production profile on a throw-away PostgreSQL database and
    RabbitMQ queue: started, stopped and started again as an operator does (Ctrl-C), and
    cleaned away by `close`."""

    def __init__(self, replicas: int = 2, log: Path | None = None, **extra_env: str) -> None:
        name = f"aftersales_run_{uuid.uuid4().hex[:8]}"
        self.name = name
        self.database_url = (
            make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
        )
        rasa_port, self.action_port, web_port = _free_run(replicas + 1), _free_run(2), _free_run(1)
        self.balancer_url = f"http://127.0.0.1:{rasa_port}"
        self.replica_urls = tuple(
            f"http://127.0.0.1:{rasa_port + i}" for i in range(1, replicas + 1)
        )
        self.log = log or Path(f"/tmp/{name}.log")
        self.env = {
            **os.environ, "BOT_PROFILE": "prod", "BOT_DEMO": "1", "DATABASE_URL": self.database_url,
            "TRACKER_STORE_URL": self.database_url, "REDIS_URL": REDIS_URL,
            "RABBITMQ_URL": RABBITMQ_URL, "RABBITMQ_QUEUE": name, "RASA_REPLICAS": str(replicas),
            "RASA_PORT": str(rasa_port), "ACTION_PORT": str(self.action_port),
            "WEB_PORT": str(web_port), "TICK_SECONDS": "0", "LOG_LEVEL": "WARNING",
            # every simulated customer talks from 127.0.0.1
            "CHATS_PER_ADDRESS_PER_HOUR": "100000",
            # set, as production sets them, so sessions outlive a restart
            **{name: secrets.token_urlsafe(32) for name in (
                "REST_SESSION_SECRET", "ACTION_SERVER_KEY", "WEB_CHANNEL_KEY",
                "UPLOAD_LINK_SECRET", "OPS_SESSION_SECRET",
            )},
            **extra_env,
        }  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self._prepared = False

    @property
    def serve_pid(self) -> int:
        """The pid of `python -m bot serve` (the servers are its children)."""
        assert self.process is not None
        return self.process.pid

    def start(self, within_s: float = 300) -> None:
        """Create and fill the database the first time, start serve, wait until every replica
        and the balancer answer."""
        if not self._prepared:
            ensure_database(self.database_url)
            for command in (["migrate"], ["seed", "--if-empty"]):
                subprocess.run([sys.executable, "-m", "bot", *command], env=self.env,
                               cwd=PROJECT_ROOT, check=True, capture_output=True)  # fmt: skip
            self._prepared = True
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], cwd=PROJECT_ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        pending = [f"{url}/" for url in (*self.replica_urls, self.balancer_url)]
        deadline = time.monotonic() + within_s
        while pending and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}: see {self.log}")
            try:
                if requests.get(pending[0], timeout=2).ok:
                    pending.pop(0)
                    continue
            except requests.RequestException:
                pass
            time.sleep(0.5)
        if pending:
            raise RuntimeError(f"{pending} not up after {within_s} s: see {self.log}")

    def new_conversation(self) -> tuple[str, str]:
        """A REST conversation id and its session token, as a client gets them."""
        issued = requests.post(f"{self.balancer_url}/webhooks/rest/session", timeout=30)
        issued.raise_for_status()
        body = issued.json()
        return body["sender"], body["token"]

    def stop(self) -> int | None:
        """Ctrl-C, as an operator stops it; its exit status (None if it had to be killed)."""
        if self.process is None:
            return 0
        process, self.process = self.process, None
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return None

    def close(self) -> None:
        """Stop, drop the database and delete the queue."""
        self.stop()
        admin = sa.create_engine(make_url(self.database_url).set(database="postgres"),
                                 isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{self.name}" with (force)'))
        admin.dispose()
        _delete_queue(self.name)


def _delete_queue(name: str) -> None:
    import asyncio

    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect_robust(RABBITMQ_URL)
        async with connection:
            await (await connection.channel()).queue_delete(name)

    asyncio.run(delete())

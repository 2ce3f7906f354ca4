"""Start the action server, the Rasa server (or shell) and the page's server together, start
again any that exits (with a growing pause: bot/cli/supervise.py), and stop them together.

Both bind to 127.0.0.1 unless configured otherwise: the action server has no authentication
of its own and must never face the internet directly.
"""

from __future__ import annotations

import ctypes
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.cli.supervise import Supervised, supervise_once
from bot.config import PROJECT_ROOT, get_settings
from bot.customer_tokens import MIN_SECRET_BYTES
from bot.policy import HolidayFileError, PolicyConfigError, configured_calendar, configured_rules

logger = logging.getLogger(__name__)

MODEL_PATH = PROJECT_ROOT / "models" / "aftersales.tar.gz"
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
# Bodies larger than this are refused by the Rasa server before they are read (Sanic's default
# is 100 MB): no message or callback comes near it.
MAX_REQUEST_BYTES = 1024 * 1024
REDACTING_STORE = "bot.privacy.tracker_store.RedactingTrackerStore"


@dataclass(frozen=True)
class ServeOptions:
    """Where the two servers listen; read from the environment (see README)."""

    rasa_host: str
    rasa_port: int
    action_host: str
    action_port: int
    cors_origins: tuple[str, ...]
    web_host: str = "127.0.0.1"
    web_port: int = 8080

    @classmethod
    def from_env(cls) -> ServeOptions:
        """Options from RASA_HOST/RASA_PORT/ACTION_HOST/ACTION_PORT/CORS_ORIGINS and
        WEB_HOST/WEB_PORT (the demo shop page with the chat widget)."""
        cors = os.environ.get("CORS_ORIGINS", "http://localhost:8000 http://127.0.0.1:8000")
        return cls(
            rasa_host=os.environ.get("RASA_HOST", "127.0.0.1"),
            rasa_port=int(os.environ.get("RASA_PORT", "5005")),
            action_host=os.environ.get("ACTION_HOST", "127.0.0.1"),
            action_port=int(os.environ.get("ACTION_PORT", "5055")),
            cors_origins=tuple(cors.split()),
            web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
            web_port=int(os.environ.get("WEB_PORT", "8080")),
        )

    @property
    def action_url(self) -> str:
        """The webhook Rasa calls to run custom actions."""
        host = "127.0.0.1" if self.action_host in ("0.0.0.0", "::") else self.action_host
        return f"http://{host}:{self.action_port}/webhook"


def endpoints_file(options: ServeOptions, directory: Path) -> Path:
    """endpoints.yml with the action server's URL set to where we actually start it, and the
    redacting tracker store's inner store defaulting to the SQLite file in TRACKER_DB."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    endpoints["action_endpoint"] = {"url": options.action_url}
    store = endpoints.get("tracker_store") or {}
    if store.get("type") == REDACTING_STORE and not store.get("inner"):
        store["inner"] = {"type": "sql", "dialect": "sqlite", "db": str(get_settings().tracker_db)}
    path = directory / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return path


def _rasa() -> list[str]:
    # Rasa's CLI behind bot.cli.rasa_entry, which first makes every log record redacted.
    return [sys.executable, "-m", "bot.cli.rasa_entry"]


def action_server_command(options: ServeOptions) -> list[str]:
    """The command line of the action server."""
    return [*_rasa(), "run", "actions", "--actions", "actions", "--port", str(options.action_port)]


def rasa_server_command(options: ServeOptions, endpoints: Path, shell: bool) -> list[str]:
    """The command line of the Rasa server (the channels of credentials.yml) or of `rasa shell`."""
    common = ["--model", str(MODEL_PATH), "--endpoints", str(endpoints)]
    if shell:
        return [*_rasa(), "shell", *common]
    return [
        *_rasa(), "run", *common,
        "--credentials", str(PROJECT_ROOT / "credentials.yml"),
        "--interface", options.rasa_host, "--port", str(options.rasa_port),
        "--cors", *options.cors_origins,
    ]  # fmt: skip


def web_server_command(options: ServeOptions) -> list[str]:
    """The command line of the web page with the chat widget."""
    return [
        sys.executable, "-m", "bot.web", "--host", options.web_host, "--port", str(options.web_port),
    ]  # fmt: skip


def server_env(options: ServeOptions, environ: dict[str, str]) -> dict[str, str]:
    """The servers' environment. With BOT_DEMO=1 and no CUSTOMER_TOKEN_SECRET, a secret made
    for this run lets the demo page sign its demo customers in; production sets neither.
    Without WEB_CHANNEL_KEY, one made for this run lets the page's server (and only it) use
    the bot's web channel; without UPLOAD_LINK_SECRET, one made for this run signs the photo
    upload links (they stop working when the run ends). Replicas behind a load balancer, and
    links that outlive a restart, need them set explicitly."""
    env = dict(
        environ, SANIC_HOST=options.action_host, RASA_PORT=str(options.rasa_port),
        WEB_PORT=str(options.web_port),
    )  # fmt: skip
    for generated in ("WEB_CHANNEL_KEY", "UPLOAD_LINK_SECRET"):
        if not env.get(generated):
            env[generated] = secrets.token_urlsafe(32)
    if env.get("BOT_DEMO") == "1" and not env.get("CUSTOMER_TOKEN_SECRET"):
        env["CUSTOMER_TOKEN_SECRET"] = secrets.token_urlsafe(32)
    return env


def demo_console_password(env: dict[str, str]) -> str | None:
    """With BOT_DEMO=1 and no OPS_PASSWORD_HASH, a password made for this run opens the
    operator console (its hash goes into `env`); production sets its own hash."""
    if env.get("BOT_DEMO") != "1" or env.get("OPS_PASSWORD_HASH"):
        return None
    from bot.web.console_auth import hash_password

    password = secrets.token_urlsafe(12)
    env["OPS_PASSWORD_HASH"] = hash_password(password)
    return password


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop(*waves: list[subprocess.Popen[bytes]]) -> None:
    """Stop the processes wave by wave: the servers that take messages first, so the turns
    they already accepted can still call the action server, which stops last."""
    for processes in waves:
        # SIGTERM, not SIGINT: a child started from a background job inherits SIGINT as ignored.
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def _die_with_parent() -> None:
    """In the action server's process (Linux): end it if `serve` itself is killed, since a
    process of its own session no longer gets the terminal's Ctrl-C."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _tick_every(seconds: float, stop: threading.Event) -> None:
    """Run the scheduled job (`python -m bot tick`) every `seconds` until `stop` is set; a
    failure is logged and retried at the next beat, never fatal to the servers."""
    from bot.services.ticks import run_tick  # the store is needed only once the loop runs

    while not stop.wait(seconds):
        try:
            run_tick()
        except Exception:
            logger.exception("scheduled tick failed")


def start_ticker() -> threading.Event | None:
    """Start the every-minute scheduled job in this process unless TICK_SECONDS=0 (when
    cron or another replica runs `python -m bot tick`). Returns the event that stops it."""
    seconds = float(os.environ.get("TICK_SECONDS", "60"))
    if seconds <= 0:
        return None
    stop = threading.Event()
    threading.Thread(target=_tick_every, args=(seconds, stop), name="tick", daemon=True).start()
    return stop


def serve(shell: bool = False) -> int:
    """Run the servers in the foreground until Ctrl-C, starting again any that exits."""
    try:  # fail now, not at a customer's first question, if the operator's files are wrong
        configured_rules()
        configured_calendar()
    except (PolicyConfigError, HolidayFileError) as exc:
        logger.error("%s", exc)
        return 1
    settings = get_settings()
    for name, secret in (
        ("CUSTOMER_TOKEN_SECRET", settings.customer_token_secret),
        ("UPLOAD_LINK_SECRET", settings.upload_link_secret),
    ):
        if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
            logger.error("%s must be at least %d bytes", name, MIN_SECRET_BYTES)
            return 1
    if os.environ.get("BOT_DEMO") != "1" and not os.environ.get("PUBLIC_WEB_URL"):
        logger.warning(
            "PUBLIC_WEB_URL is not set: photo upload links point at %s, which customers "
            "cannot reach; set it to the page's public https address",
            settings.public_web_url,
        )
    if not MODEL_PATH.exists():
        logger.error("no trained model at %s: run 'make train' first", MODEL_PATH)
        return 1
    options = ServeOptions.from_env()
    env = server_env(options, dict(os.environ))
    # Ctrl-C and a supervisor's SIGTERM both stop the pair, even if SIGINT came in ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="aftersales-") as tmp:
        endpoints = endpoints_file(options, Path(tmp))
        # Only the server that faces clients gets the size limit: the action server is called
        # with whole conversations.
        rasa_env = {**env, "SANIC_REQUEST_MAX_SIZE": str(MAX_REQUEST_BYTES)}

        def start_actions() -> subprocess.Popen[bytes]:
            # Its own session: the terminal's Ctrl-C stops the Rasa server first (it finishes
            # the turns it accepted, which need actions), and _stop ends this one afterwards.
            return subprocess.Popen(
                action_server_command(options), cwd=PROJECT_ROOT, env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )  # fmt: skip

        def start_rasa() -> subprocess.Popen[bytes]:
            command = rasa_server_command(options, endpoints, shell)
            return subprocess.Popen(command, cwd=PROJECT_ROOT, env=rasa_env)

        def start_web() -> subprocess.Popen[bytes]:
            return subprocess.Popen(web_server_command(options), cwd=PROJECT_ROOT, env=env)

        actions = Supervised("the action server", start_actions)
        rasa = Supervised("the Rasa server", start_rasa)
        children = [actions, rasa] if shell else [actions, rasa, Supervised("the page", start_web)]
        if shell:
            print("Starting the shell; type /stop to leave.", flush=True)
        else:
            console_password = demo_console_password(env)
            print(
                f"Bot starting (the model takes about a minute to load). Talk to it at\n"
                f"  web page:  http://{options.web_host}:{options.web_port}/\n"
                + (
                    f"  console:   http://{options.web_host}:{options.web_port}/ops"
                    f"  (password for this run: {console_password})\n"
                    if console_password
                    else ""
                )
                + f"  REST:      POST http://{options.rasa_host}:{options.rasa_port}"
                f'/webhooks/rest/webhook  {{"sender": "chat-7f3a9c2e", "message": "你好"}}\n'
                f"Ctrl-C stops all servers.",
                flush=True,
            )
        supervise_once(children, time.monotonic())  # starts them all
        ticker = start_ticker()
        try:
            if shell:  # the shell ends when the customer types /stop: nothing to restart
                assert rasa.process is not None
                return rasa.process.wait()
            while True:  # a server that exits is started again, after a growing pause
                time.sleep(0.5)
                if supervise_once(children, time.monotonic()):
                    return 1  # one cannot start at all: stop the others and say so
        except KeyboardInterrupt:
            return 0
        finally:
            if ticker is not None:
                ticker.set()
            first = [c.process for c in children if c is not actions and c.process is not None]
            _stop(first, [actions.process] if actions.process is not None else [])

"""Start the action server, the Rasa server (or shell) and the page's server together, start
again any that exits (with a growing pause: bot/cli/supervise.py), and stop them together.

Both bind to 127.0.0.1 unless configured otherwise. The action server answers only requests
carrying ACTION_SERVER_KEY (made per run when unset), which Rasa sends from endpoints.yml.
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
from dataclasses import dataclass, replace
from pathlib import Path

from bot.cli.action_outage import action_timeout_s
from bot.cli.action_server import ACTION_KEY_ENV
from bot.cli.balancer import Upstream, nginx_binary, nginx_command, nginx_config
from bot.cli.endpoints import (
    ProductionUrls,
    ProfileError,
    is_production,
    rasa_endpoints,
    write_endpoints,
)
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
# A turn has at most one action that times out (ACTION_TIMEOUT_SECONDS: the turn then ends),
# so it takes seconds. A conversation's lock outlives a replica that died holding it by at
# most LOCK_LIFETIME_S, and nginx waits TURN_TIMEOUT_S for a replica before trying the other,
# which may first have to wait for that lock, on a machine busy restarting the dead replica
# (loading a model takes both cores for a while).
LOCK_LIFETIME_S = 20
# Made for a run when not set (see server_env).
GENERATED = ("WEB_CHANNEL_KEY", "UPLOAD_LINK_SECRET", ACTION_KEY_ENV, "REST_SESSION_SECRET")
TURN_TIMEOUT_S = 120  # a dead replica is passed over at once; only a hung one waits this long


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


def endpoints_file(
    options: ServeOptions, directory: Path, action_key: str,
    production: ProductionUrls | None = None,
) -> Path:  # fmt: skip
    """endpoints.yml for this run in `directory` (private to this user: it holds the key):
    the action server where we start it, and the stores of the profile."""
    return write_endpoints(rasa_endpoints(options.action_url, action_key, production), directory)


def _rasa() -> list[str]:
    # Rasa's CLI behind bot.cli.rasa_entry, which first makes every log record redacted.
    return [sys.executable, "-m", "bot.cli.rasa_entry"]


def action_server_command(options: ServeOptions) -> list[str]:
    """The command line of the action server (it redacts its log, and asks for the key)."""
    return [sys.executable, "-m", "bot.cli.action_server", "--port", str(options.action_port)]


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
    upload links (they stop working when the run ends); without ACTION_SERVER_KEY, one made for
    this run is what Rasa shows the action server. Replicas behind a load balancer, and links
    that outlive a restart, need them set explicitly."""
    env = dict(
        environ, SANIC_HOST=options.action_host, RASA_PORT=str(options.rasa_port),
        WEB_PORT=str(options.web_port),
    )  # fmt: skip
    for generated in GENERATED:
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
        ("REST_SESSION_SECRET", os.environ.get("REST_SESSION_SECRET")),
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
    production = None
    if is_production():
        try:
            production = ProductionUrls.from_env()
        except ProfileError as exc:
            logger.error("%s", exc)
            return 1
        if nginx_binary() is None:
            logger.error("the production profile balances its replicas with nginx: install it")
            return 1
    options = ServeOptions.from_env()
    env = server_env(options, dict(os.environ))
    if production is not None:  # REST conversations need the server's session token
        env.setdefault("REST_SESSIONS", "required")
        made = [name for name in GENERATED if not os.environ.get(name)]
        if made:
            logger.warning(
                "%s made for this run: sessions, links and keys end when it stops and differ "
                "from other servers'; set them in the environment", ", ".join(made),
            )  # fmt: skip
    # Ctrl-C and a supervisor's SIGTERM both stop the pair, even if SIGINT came in ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="aftersales-") as tmp:
        endpoints = endpoints_file(options, Path(tmp), env[ACTION_KEY_ENV], production)
        if shell:
            rasa = _rasa_server(options, env, endpoints, shell=True)
            waves = [[rasa], [_action_server(options, env)]]
            print("Starting the shell; type /stop to leave.", flush=True)
        else:
            waves = _servers(options, env, endpoints, production, Path(tmp))
            _print_addresses(options, demo_console_password(env))
        children = [child for wave in waves for child in wave]
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
            _stop(*(_processes(wave) for wave in waves))


def _processes(children: list[Supervised]) -> list[subprocess.Popen[bytes]]:
    return [child.process for child in children if child.process is not None]


def _action_server(options: ServeOptions, env: dict[str, str]) -> Supervised:
    def start() -> subprocess.Popen[bytes]:
        # Its own session: the terminal's Ctrl-C stops the Rasa server first (it finishes the
        # turns it accepted, which need actions), and _stop ends this one afterwards.
        return subprocess.Popen(
            action_server_command(options), cwd=PROJECT_ROOT,
            env={**env, "SANIC_HOST": options.action_host}, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )  # fmt: skip

    return Supervised(f"the action server on port {options.action_port}", start)


def _rasa_server(
    options: ServeOptions, env: dict[str, str], endpoints: Path, shell: bool = False
) -> Supervised:
    # Only the server that faces clients gets the size limit: the action server is called
    # with whole conversations.
    # A replica that dies holding a conversation's lock blocks it until the lock expires
    # (Rasa's default: 60 s).
    rasa_env = {
        **env, "SANIC_REQUEST_MAX_SIZE": str(MAX_REQUEST_BYTES),
        "TICKET_LOCK_LIFETIME": env.get("TICKET_LOCK_LIFETIME") or str(LOCK_LIFETIME_S),
    }  # fmt: skip

    def start() -> subprocess.Popen[bytes]:
        command = rasa_server_command(options, endpoints, shell)
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=rasa_env)

    return Supervised(f"the Rasa server on port {options.rasa_port}", start)


def _command(name: str, command: list[str], env: dict[str, str]) -> Supervised:
    return Supervised(name, lambda: subprocess.Popen(command, cwd=PROJECT_ROOT, env=env))


def replica_count(environ: dict[str, str], variable: str, default: int) -> int:
    """A count of servers from `variable` (1–16), `default` if unset or unusable."""
    try:
        return min(16, max(1, int(environ.get(variable, default))))
    except ValueError:
        return default


def _servers(
    options: ServeOptions, env: dict[str, str], endpoints: Path,
    production: ProductionUrls | None, run_dir: Path,
) -> list[list[Supervised]]:  # fmt: skip
    """The servers, in the waves they are stopped in: those that take messages first (their
    accepted turns still need the load balancer to answer and the action servers to run),
    the load balancer, the action servers last.

    Embedded: one of each. Production: RASA_REPLICAS Rasa servers (default 2) on the ports
    after RASA_PORT and ACTION_SERVERS action servers (default 1) on the ports after
    ACTION_PORT, on 127.0.0.1, behind nginx on RASA_PORT and ACTION_PORT; and the event
    broker's consumer."""
    web = _command("the page", web_server_command(options), env)
    if production is None:
        return [[_rasa_server(options, env, endpoints), web], [_action_server(options, env)]]
    rasa_ports = tuple(
        options.rasa_port + i for i in range(1, replica_count(env, "RASA_REPLICAS", 2) + 1)
    )
    action_ports = tuple(
        options.action_port + i for i in range(1, replica_count(env, "ACTION_SERVERS", 1) + 1)
    )
    # The action servers listen on loopback only; nginx listens where ACTION_HOST says.
    actions = [
        _action_server(replace(options, action_host="127.0.0.1", action_port=p), env)
        for p in action_ports
    ]
    # Behind nginx a replica counts the client address nginx appends to X-Forwarded-For.
    replica_env = {**env, "RASA_BEHIND_PROXY": "1"}
    replicas = [
        _rasa_server(replace(options, rasa_host="127.0.0.1", rasa_port=p), replica_env, endpoints)
        for p in rasa_ports
    ]
    # A turn longer than TURN_TIMEOUT_S is taken as a hung replica and sent to the other one
    # (where it waits for the conversation's lock); the action servers are sent whole
    # conversations, larger than any message.
    upstreams = [
        Upstream("rasa", options.rasa_host, options.rasa_port, rasa_ports,
                 MAX_REQUEST_BYTES, TURN_TIMEOUT_S, retry_sent=True),
        Upstream("actions", options.action_host, options.action_port, action_ports,
                 0, int(action_timeout_s()) + 5),
    ]  # fmt: skip
    config = run_dir / "nginx.conf"
    config.write_text(nginx_config(upstreams, run_dir), encoding="utf-8")
    # nginx's workers (another user when started as root) create their temporary folders
    # here: they may pass through it, not list it (endpoints.yml in it is 0600).
    run_dir.chmod(0o711)
    binary = nginx_binary()
    assert binary is not None  # checked before anything started
    balancer = _command("the load balancer", nginx_command(binary, config, run_dir), env)
    consumer = _command("the event consumer", [sys.executable, "-m", "bot", "events"], env)
    return [[*replicas, web, consumer], [balancer], actions]


def _print_addresses(options: ServeOptions, console_password: str | None) -> None:
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

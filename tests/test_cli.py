"""`python -m bot` as an operator runs it, in a separate process, on a temporary database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.cli.serve import ServeOptions, action_server_command, rasa_server_command, server_env
from bot.config import PROJECT_ROOT

RASA_ENTRY = [sys.executable, "-m", "bot.cli.rasa_entry"]


def run_bot(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_seed_status(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert run_bot("status", db=db).returncode == 1  # nothing migrated yet
    assert run_bot("migrate", db=db).returncode == 0
    assert run_bot("status", db=db).returncode == 0
    assert run_bot("seed", "--if-empty", db=db).returncode == 0
    again = run_bot("seed", "--if-empty", db=db)
    assert again.returncode == 0 and "not seeding" in again.stdout
    refused = run_bot("seed", db=db)
    assert refused.returncode == 1 and "already holds orders" in refused.stderr
    with sqlite3.connect(db) as conn:
        assert (
            conn.execute(
                "select count(*) from orders where order_no like '2024%' "
                "or order_no like '2022%'"
            ).fetchone()[0]
            == 17
        )


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run_bot("fly", db=tmp_path / "x.db")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_settings_from_environment() -> None:
    from bot.config import Settings

    settings = Settings.from_env({"DATABASE_URL": "postgresql://u@h/db", "LOG_LEVEL": "debug"})
    assert settings.database_url == "postgresql://u@h/db" and settings.log_level == "DEBUG"
    default = Settings.from_env({})
    assert default.database_url == f"sqlite:///{PROJECT_ROOT / 'aftersales.db'}"
    assert default.timezone == "Asia/Shanghai" and default.policy_file is None


def test_serve_refuses_a_bad_policy_file_before_starting(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("no_reason_days: 7\n", encoding="utf-8")
    env = {**os.environ, "POLICY_FILE": str(policy), "RASA_PORT": "1", "ACTION_PORT": "2"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "unknown policy rule(s): no_reason_days" in result.stderr


def test_both_servers_start_through_the_redacting_entry(tmp_path: Path) -> None:
    options = ServeOptions("127.0.0.1", 5005, "127.0.0.1", 5055, ("http://localhost:8000",))
    endpoints = tmp_path / "endpoints.yml"
    # The action server's own entry installs the same redaction (bot.cli.action_server).
    assert action_server_command(options)[:3] == [sys.executable, "-m", "bot.cli.action_server"]
    assert rasa_server_command(options, endpoints, shell=False)[:4] == [*RASA_ENTRY, "run"]
    assert rasa_server_command(options, endpoints, shell=True)[:4] == [*RASA_ENTRY, "shell"]


def test_the_rasa_entry_redacts_the_log_before_rasa_runs() -> None:
    # Rasa's main replaced by one that logs what a failing action would: the entry must have
    # installed redaction first and handed Rasa its arguments.
    script = textwrap.dedent(
        """
        import logging, sys
        import rasa.__main__

        def fake_main():
            logging.basicConfig(format="%(message)s")
            body = '{"text": "139 0013 9000", "customer_token": "eyJa.eyJb.c"}'
            logging.getLogger("rasa.core.processor").error("body %s argv %s", body, sys.argv)

        rasa.__main__.main = fake_main
        from bot.cli.rasa_entry import main
        sys.argv = ["rasa_entry.py", "run", "actions"]
        main()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "139 0013 9000" not in result.stderr and "eyJa.eyJb.c" not in result.stderr
    assert '"text": "139****9000", "customer_token": "[redacted]"' in result.stderr
    assert "argv ['rasa', 'run', 'actions']" in result.stderr


def test_the_rasa_entry_runs_rasas_command_line() -> None:
    result = subprocess.run(
        [*RASA_ENTRY, "--version"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "Rasa Version" in result.stdout


def test_each_run_gets_a_web_channel_key_unless_one_is_set() -> None:
    options = ServeOptions.from_env()
    first, second = server_env(options, {}), server_env(options, {})
    assert len(first["WEB_CHANNEL_KEY"]) >= 32
    assert first["WEB_CHANNEL_KEY"] != second["WEB_CHANNEL_KEY"]
    shared = server_env(options, {"WEB_CHANNEL_KEY": "one-key-for-every-replica"})
    assert shared["WEB_CHANNEL_KEY"] == "one-key-for-every-replica"


def test_only_the_demo_makes_a_console_password_and_never_overrides_one_set() -> None:
    from bot.cli.serve import demo_console_password
    from bot.web.console_auth import verify_password

    assert demo_console_password({}) is None  # production: no password made up
    env = {"BOT_DEMO": "1"}
    password = demo_console_password(env)
    assert password and verify_password(password, env["OPS_PASSWORD_HASH"])
    assert demo_console_password({"BOT_DEMO": "1", "OPS_PASSWORD_HASH": "scrypt$set"}) is None


def test_the_servers_that_take_messages_stop_before_the_action_server(tmp_path: Path) -> None:
    """Turns the Rasa server accepted still need actions while it drains them."""
    from bot.cli.serve import _stop

    script = textwrap.dedent(
        """
        import signal, sys, time
        def stop(*_):
            time.sleep(0.5 if sys.argv[2] == "rasa" else 0)  # rasa finishes what it accepted
            open(sys.argv[1], "a").write(sys.argv[2] + " %f\\n" % time.monotonic())
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        open(sys.argv[1] + "." + sys.argv[2], "w").close()  # ready: the handler is in place
        while True:
            time.sleep(0.05)
        """
    )
    log = tmp_path / "stopped.txt"
    log.touch()
    started = [
        subprocess.Popen([sys.executable, "-c", script, str(log), name])
        for name in ("rasa", "actions")
    ]
    deadline = time.monotonic() + 60
    while not all(Path(f"{log}.{n}").exists() for n in ("rasa", "actions")):
        assert time.monotonic() < deadline, "the stand-in servers did not start"
        time.sleep(0.05)
    _stop([started[0]], [started[1]])
    order = [line.split()[0] for line in log.read_text().splitlines()]
    assert order == ["rasa", "actions"]
    assert all(p.poll() is not None for p in started)


def test_serve_runs_the_scheduled_job_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from bot.cli import serve as serve_module
    from bot.services import ticks

    beats = threading.Semaphore(0)
    monkeypatch.setattr(ticks, "run_tick", lambda: beats.release())
    monkeypatch.setenv("TICK_SECONDS", "0.05")
    stop = serve_module.start_ticker()
    assert stop is not None
    assert beats.acquire(timeout=5) and beats.acquire(timeout=5)  # ran, and ran again
    stop.set()
    monkeypatch.setenv("TICK_SECONDS", "0")
    assert serve_module.start_ticker() is None  # cron runs it instead


def test_the_team_lists_and_saves_an_applications_photos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import get_settings
    from bot.photos import upload_token
    from bot.services.photos import add_photo
    from tests.photo_samples import phone_jpeg

    db = tmp_path / "photos.db"
    assert run_bot("migrate", db=db).returncode == 0 and run_bot("seed", db=db).returncode == 0
    with sqlite3.connect(db) as conn:
        [(subject,)] = conn.execute(
            "select public_id from after_sales_requests where status = 'submitted' limit 1"
        ).fetchall()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    secret = "upload-link-secret-" + "c" * 20
    try:
        add_photo(upload_token(subject, secret), phone_jpeg(), secret)
    finally:
        get_settings.cache_clear()
    listed = run_bot("photos", subject, "--save", str(tmp_path / "out"), db=db)
    assert listed.returncode == 0 and f"{subject}: 1 photo(s), 1 saved" in listed.stdout
    [saved] = (tmp_path / "out").iterdir()
    assert saved.read_bytes().startswith(b"\xff\xd8\xff")

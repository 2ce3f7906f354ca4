"""The operator console at /ops: nobody gets in without the password, a session cannot be
forged or outlive its shift, a form cannot be posted from elsewhere, guessing is locked out
by the store, and what an agent does there reaches the store."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import jwt
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.config import get_settings
from bot.policy import PolicyRules, Severity, WorkCalendar, complaint_deadlines
from bot.store import open_repository
from bot.store.migrate import upgrade
from bot.store.models import Complaint, HandoffRequest
from bot.web import console
from bot.web import console_auth as auth
from bot.web.console import COOKIE, ConsoleOptions
from bot.web.server import WebOptions
from tests.conftest import use_demo_store
from tests.test_web_server import client_for

PASSWORD = "correct horse battery staple"
SECRET = "console-session-secret-" + "x" * 20
HASH = auth.hash_password(PASSWORD)  # once: scrypt is slow on purpose


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    upgrade(url)
    use_demo_store(url, monkeypatch)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "conversations.db"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


async def _client(password_hash: str | None) -> TestClient:
    options = WebOptions(
        "http://127.0.0.1:9", demo=False, token_secret=None,
        ops_console=ConsoleOptions(password_hash, SECRET),
    )  # fmt: skip
    return await client_for(options)


@pytest.fixture
async def client(store: str) -> AsyncIterator[TestClient]:
    client = await _client(HASH)
    yield client
    await client.close()


async def sign_in(client: TestClient, password: str = PASSWORD) -> int:
    response = await client.post("/ops/login", data={"password": password}, allow_redirects=False)
    return response.status


def session_cookie(client: TestClient) -> str:
    return client.session.cookie_jar.filter_cookies(client.make_url("/ops"))[COOKIE].value


def form_token(client: TestClient) -> str:
    session = auth.read_session(session_cookie(client), SECRET, HASH)
    assert session is not None
    return auth.form_token(session, SECRET)


def _complaint(hours_ago: float = 30) -> str:
    opened = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours_ago)
    with open_repository() as repo:
        complaint = repo.open_complaint(
            category="service", severity=Severity.HIGH, description="师傅放鸽子",
            deadlines=complaint_deadlines(opened, PolicyRules(), WorkCalendar()), now=opened,
            conversation_id="conv-console",
        )  # fmt: skip
        return str(complaint.public_id)


async def test_without_a_password_hash_the_console_does_not_exist(store: str) -> None:
    client = await _client(None)
    try:
        for path in ("/ops", "/ops/login", "/ops/report", "/ops/conversations?id=x"):
            assert (await client.get(path, allow_redirects=False)).status == 404
        assert (await client.post("/ops/login", data={"password": "x"})).status == 404
    finally:
        await client.close()


async def test_every_page_sends_a_stranger_to_the_sign_in_form(client: TestClient) -> None:
    for path in ("/ops", "/ops/report", "/ops/conversations?id=conv-console"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/ops/login"
    refused = await client.post("/ops/resolve/CP20261128-0001", data={"csrf": "x"})
    assert refused.status == 403


async def test_a_wrong_password_is_refused_and_a_right_one_opens_the_list(
    client: TestClient,
) -> None:
    assert await sign_in(client, "guess") == 401
    assert COOKIE not in client.session.cookie_jar.filter_cookies(client.make_url("/ops"))
    complaint = _complaint()
    assert await sign_in(client) == 303
    cookie = next(c for c in client.session.cookie_jar if c.key == COOKIE)
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/ops"
    page = await client.get("/ops")
    text = await page.text()
    assert page.status == 200 and complaint in text and "已超时" in text
    assert text.index("投诉答复") < text.index("投诉解决方案")  # nearest breach first
    assert page.headers["Cache-Control"] == "no-store"
    # a browser posting this page's forms must say where from (no-referrer would make it "null")
    assert page.headers["Referrer-Policy"] == "same-origin"


async def test_a_forged_or_expired_session_is_no_session(client: TestClient) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    forged = jwt.encode(
        {"aud": auth.AUDIENCE, "jti": "x", "exp": now + dt.timedelta(hours=1)}, "another-key-" * 4
    )
    expired, _ = auth.issue_session(SECRET, HASH, now - dt.timedelta(hours=auth.SESSION_HOURS + 1))
    for token in (forged, expired, "not-a-token"):
        client.session.cookie_jar.update_cookies({COOKIE: token})
        response = await client.get("/ops", allow_redirects=False)
        assert response.status == 303, token


async def test_a_form_without_the_sessions_token_or_from_elsewhere_changes_nothing(
    client: TestClient,
) -> None:
    complaint = _complaint()
    await sign_in(client)
    path = f"/ops/resolve/{complaint}"
    assert (await client.post(path, data={})).status == 403
    assert (await client.post(path, data={"csrf": "0" * 64})).status == 403
    cross_site = await client.post(
        path, data={"csrf": form_token(client)}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status == 403
    with open_repository() as repo:
        assert repo.find_complaint(complaint).status == "open"


async def test_resolving_a_complaint_and_taking_a_handoff_reach_the_store(
    client: TestClient,
) -> None:
    complaint = _complaint()
    with open_repository() as repo:
        handoff = repo.request_handoff(
            conversation_id="conv-console", reason="asked", now=dt.datetime.now(dt.timezone.utc)
        ).public_id
    await sign_in(client)
    token = form_token(client)
    for path in (f"/ops/resolve/{complaint}", f"/ops/take-handoff/{handoff}"):
        response = await client.post(path, data={"csrf": token}, allow_redirects=False)
        assert response.status == 303, path
    with open_repository() as repo:
        stored = repo.session.execute(select(Complaint).where(Complaint.public_id == complaint))
        assert stored.scalar_one().status == "resolved"
        taken = repo.session.execute(
            select(HandoffRequest).where(HandoffRequest.public_id == handoff)
        ).scalar_one()
        assert taken.status == "taken"
    again = await client.post(f"/ops/take-handoff/{handoff}", data={"csrf": token})
    assert again.status == 409  # already taken: said, not a crash
    assert handoff not in await (await client.get("/ops")).text()


async def test_guessing_is_locked_out_by_the_store_even_for_the_right_password(
    client: TestClient, store: str
) -> None:
    for _ in range(auth.MAX_FAILURES_PER_CLIENT):
        assert await sign_in(client, "guess") == 401
    assert await sign_in(client) == 429
    other = await _client(HASH)  # a second server (a restart, a replica) knows it too
    try:
        assert await sign_in(other) == 429
    finally:
        await other.close()


async def test_the_transcript_masks_phones_and_escapes_what_customers_typed(
    client: TestClient, tmp_path: Path
) -> None:
    database = sqlite3.connect(tmp_path / "conversations.db")
    database.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
        " timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
    )
    said = [
        ("user", "我电话13812345678 <script>alert(1)</script> \u202egnp.exe\x00"),
        ("bot", "请提供您的订单号"),
        ("action", "action_listen"),
    ]
    for n, (kind, text) in enumerate(said):
        database.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            ("conv-console", kind, 1764300000 + n, json.dumps({"text": text})),
        )
    database.commit()
    database.close()
    await sign_in(client)
    page = await (await client.get("/ops/conversations?id=conv-console")).text()
    assert "138****5678" in page and "13812345678" not in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "请提供您的订单号" in page and "action_listen" not in page
    assert "\u202e" not in page and "\x00" not in page  # no reversed or hidden text
    assert (await client.get("/ops/conversations?id=nobody")).status == 404


async def test_the_report_is_served_with_a_policy_that_runs_nothing(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "REPORT_DIR", tmp_path / "report")
    await sign_in(client)
    response = await client.get("/ops/report")
    assert response.status == 200 and "售后满意度报告" in await response.text()
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    assert "frame-ancestors 'none'" in policy


def test_a_password_hash_is_checked_and_cannot_choose_its_own_cost() -> None:
    assert auth.verify_password(PASSWORD, HASH) and not auth.verify_password("guess", HASH)
    cheap = HASH.replace(f"scrypt${auth.SCRYPT_N}$", "scrypt$2$", 1)
    assert not auth.verify_password(PASSWORD, cheap)
    assert not auth.verify_password(PASSWORD, "plain-text-password")
    assert not auth.verify_password("x" * 10_000, HASH)
    assert auth.is_password_hash(HASH) and not auth.is_password_hash("hunter2hunter2")
    with pytest.raises(ValueError):
        auth.hash_password("short")


async def test_the_weeks_promises_kept_are_shown(client: TestClient) -> None:
    _complaint(hours_ago=30)  # its reply fell due six hours ago, unanswered
    await sign_in(client)
    page = await (await client.get("/ops")).text()
    assert "承诺兑现" in page and "投诉24小时答复" in page
    assert "<td class='overdue'>" in page  # this week's share is below 100%


async def test_signing_out_ends_the_session_even_for_a_copied_cookie(client: TestClient) -> None:
    await sign_in(client)
    copied, token = session_cookie(client), form_token(client)
    assert (
        await client.post("/ops/logout", data={"csrf": token}, allow_redirects=False)
    ).status == 303
    client.session.cookie_jar.update_cookies({COOKIE: copied})
    assert (await client.get("/ops", allow_redirects=False)).status == 303


async def test_a_new_password_ends_every_session_made_under_the_old_one(store: str) -> None:
    client = await _client(HASH)
    try:
        await sign_in(client)
        cookie = session_cookie(client)
    finally:
        await client.close()
    renewed = await _client(auth.hash_password("a brand new console password"))
    try:
        renewed.session.cookie_jar.update_cookies({COOKIE: cookie})
        assert (await renewed.get("/ops", allow_redirects=False)).status == 303
    finally:
        await renewed.close()


async def test_a_burst_of_guesses_gets_no_more_tries_than_one_at_a_time(client: TestClient) -> None:
    answers = await asyncio.gather(*(sign_in(client, f"guess {n}") for n in range(20)))
    assert answers.count(401) <= auth.MAX_FAILURES_PER_CLIENT
    assert set(answers) <= {401, 429}


async def test_one_addresss_guessing_locks_out_only_that_address(store: str) -> None:
    options = ConsoleOptions(HASH, SECRET, behind_proxy=True)
    client = await client_for(WebOptions("http://127.0.0.1:9", demo=False, token_secret=None,
                                         ops_console=options))  # fmt: skip

    async def from_address(address: str, password: str) -> int:
        response = await client.post(
            "/ops/login", data={"password": password}, allow_redirects=False,
            headers={"X-Forwarded-For": f"203.0.113.9, {address}"},
        )  # fmt: skip
        return response.status

    try:
        for _ in range(auth.MAX_FAILURES_PER_CLIENT + 3):
            await from_address("198.51.100.7", "guess")
        assert await from_address("198.51.100.7", PASSWORD) == 429
        assert await from_address("198.51.100.8", PASSWORD) == 303  # the operator still gets in
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"password=\xff\xfe", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"password=x", {"Content-Type": "application/x-www-form-urlencoded; charset=bogus"}),
        (b"x", {"Content-Type": "multipart/form-data"}),
        (b"\x1f\x8b\x08\x00", {"Content-Type": "application/x-www-form-urlencoded",
                                 "Content-Encoding": "gzip"}),
    ],
)  # fmt: skip
async def test_a_sign_in_body_no_browser_sends_is_a_4xx_not_a_crash(
    client: TestClient, body: bytes, headers: dict[str, str]
) -> None:
    response = await client.post("/ops/login", data=body, headers=headers)
    assert 400 <= response.status < 500


async def test_a_form_token_of_any_characters_is_just_wrong(client: TestClient) -> None:
    complaint = _complaint()
    await sign_in(client)
    response = await client.post(f"/ops/resolve/{complaint}", data={"csrf": "é" * 64})
    assert response.status == 403


async def test_behind_a_tls_proxy_forms_come_from_the_public_origin_and_the_cookie_is_secure(
    store: str,
) -> None:
    options = ConsoleOptions(HASH, SECRET, public_origin="https://ops.example.com")
    client = await client_for(WebOptions("http://127.0.0.1:9", demo=False, token_secret=None,
                                         ops_console=options))  # fmt: skip
    try:
        response = await client.post(
            "/ops/login", data={"password": PASSWORD}, allow_redirects=False,
            headers={"Origin": "https://ops.example.com"},
        )  # fmt: skip
        assert response.status == 303
        assert "Secure" in response.headers["Set-Cookie"]
        refused = await client.post(
            "/ops/login", data={"password": PASSWORD}, headers={"Origin": "http://127.0.0.1"}
        )
        assert refused.status == 403
    finally:
        await client.close()

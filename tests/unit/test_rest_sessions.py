"""REST session tokens: only the server's token for a conversation proves it."""

from __future__ import annotations

import datetime as dt

import jwt

from bot.channels.rest_sessions import AUDIENCE, issue_session, session_sender, sessions_required

SECRET = "rest-session-secret-for-the-tests-" + "s" * 8


def test_an_issued_token_proves_its_conversation_only() -> None:
    issued = issue_session(SECRET)
    sender, token = str(issued["sender"]), str(issued["token"])
    assert sender.startswith("rest-") and len(sender) == 37
    assert session_sender(f"Bearer {token}", SECRET) == sender
    assert session_sender(f"bearer  {token}", SECRET) == sender
    assert issue_session(SECRET)["sender"] != sender


def test_what_proves_nothing() -> None:
    token = str(issue_session(SECRET)["token"])
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    expired = str(issue_session(SECRET, now=long_ago)["token"])
    other_audience = jwt.encode(
        {"sub": "rest-x", "aud": "photo-upload", "exp": long_ago + dt.timedelta(days=5)},
        SECRET, algorithm="HS256",
    )  # fmt: skip
    chosen = jwt.encode(
        {"sub": "chat-1", "aud": AUDIENCE, "exp": long_ago + dt.timedelta(days=5)},
        SECRET, algorithm="HS256",
    )  # fmt: skip
    for header in (None, "", token, f"Basic {token}", f"Bearer {expired}",
                   f"Bearer {other_audience}", f"Bearer {chosen}", "Bearer x.y.z"):  # fmt: skip
        assert session_sender(header, SECRET) is None, header
    assert session_sender(f"Bearer {token}", SECRET + "x") is None


def test_required_only_when_asked() -> None:
    assert sessions_required({"REST_SESSIONS": "required"})
    assert not sessions_required({}) and not sessions_required({"REST_SESSIONS": "optional"})

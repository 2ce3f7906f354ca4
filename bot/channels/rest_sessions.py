"""Server-issued REST sessions: in the production profile, a REST conversation belongs to
whoever holds the token the server issued for it.

Without them the sender id is the only credential: a client that picks a guessable id (or
learns another's) reads what that conversation has proved. `POST /webhooks/rest/session`
returns {"sender": "rest-<random>", "token": "<JWT>", "expires_in": seconds}; every message
then carries `Authorization: Bearer <token>`, whose subject must be the message's sender.
The token is HS256 with REST_SESSION_SECRET (audience rest-session, 24 hours). REST_SESSIONS=
required turns the check on (`python -m bot serve` does in the production profile); the
embedded default leaves REST open for the demo and the tests, as the README says.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import jwt

AUDIENCE = "rest-session"
ALGORITHM = "HS256"
LIFETIME = dt.timedelta(hours=24)
SENDER_PREFIX = "rest-"


def sessions_required(environ: dict[str, str] | None = None) -> bool:
    """REST_SESSIONS=required."""
    env = os.environ if environ is None else environ
    return env.get("REST_SESSIONS", "").strip().lower() == "required"


def issue_session(secret: str, now: dt.datetime | None = None) -> dict[str, object]:
    """A new conversation id and the token that proves it."""
    now = now or dt.datetime.now(dt.timezone.utc)
    sender = f"{SENDER_PREFIX}{uuid.uuid4().hex}"
    claims = {"sub": sender, "aud": AUDIENCE, "iat": now, "exp": now + LIFETIME}
    token = jwt.encode(claims, secret, algorithm=ALGORITHM)
    return {"sender": sender, "token": token, "expires_in": int(LIFETIME.total_seconds())}


def session_sender(authorization: str | None, secret: str) -> str | None:
    """The conversation a `Bearer <token>` header proves, or None if it proves none (missing,
    forged, expired, or issued for something else)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )  # fmt: skip
    except (jwt.InvalidTokenError, UnicodeError):
        return None
    sender = claims.get("sub")
    return sender if isinstance(sender, str) and sender.startswith(SENDER_PREFIX) else None

"""Who may use the operator console: a password kept only as a scrypt hash, a session that
expires, a form token against cross-site posts, and a lockout counted in the store.

    python -m bot console-password       # prints OPS_PASSWORD_HASH for a password typed in
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

import jwt

from bot.clock import shop_now
from bot.store import open_repository

# scrypt at 2^14 × 8: ~50 ms and 16 MiB per check, far too slow to guess a decent password
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_BYTES = 2**14, 8, 1, 32
MAX_PASSWORD_BYTES = 256
MIN_PASSWORD_CHARS = 12
SESSION_HOURS = 8  # one shift
AUDIENCE = "ops-console"
ALGORITHM = "HS256"
# Lockout: this many failures in the window from one address, or from everywhere together
# (addresses are cheap to change), and the form refuses until the window has passed.
WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_CLIENT = 5
MAX_FAILURES_ALL = 30


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
        maxmem=2 * 128 * n * r * p, dklen=SCRYPT_BYTES,
    )  # fmt: skip


def hash_password(password: str) -> str:
    """'scrypt$16384$8$1$<salt>$<hash>' for OPS_PASSWORD_HASH."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a console password needs at least {MIN_PASSWORD_CHARS} characters")
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def is_password_hash(encoded: str) -> bool:
    """Does `encoded` look like what hash_password makes (so a plain password set by mistake
    is refused at start-up rather than compared)?"""
    parts = encoded.split("$")
    return len(parts) == 6 and parts[0] == "scrypt" and all(p.isdigit() for p in parts[1:4])


def verify_password(password: str, encoded: str) -> bool:
    """Does `password` match the stored hash? Anything malformed is simply no."""
    if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        return False
    try:
        _, n, r, p, salt, digest = encoded.split("$")
        if (int(n), int(r), int(p)) != (SCRYPT_N, SCRYPT_R, SCRYPT_P):
            return False  # never let a stored hash choose a cost we did not set
        computed = _scrypt(password, _unb64(salt), SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return hmac.compare_digest(computed, _unb64(digest))
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in operator: the session's id and when it ends."""

    session_id: str
    expires: dt.datetime


def issue_session(secret: str, now: dt.datetime | None = None) -> tuple[str, ConsoleSession]:
    """A session cookie's value, valid for one shift."""
    now = now or dt.datetime.now(dt.timezone.utc)
    session = ConsoleSession(uuid.uuid4().hex, now + dt.timedelta(hours=SESSION_HOURS))
    claims = {"aud": AUDIENCE, "jti": session.session_id, "iat": now, "exp": session.expires}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), session


def read_session(token: str, secret: str) -> ConsoleSession | None:
    """The session a cookie carries, or None if it is forged, expired or not a console's."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
            options={"require": ["exp", "jti", "aud"]},
        )  # fmt: skip
    except (jwt.InvalidTokenError, UnicodeError):
        return None
    expires = dt.datetime.fromtimestamp(claims["exp"], dt.timezone.utc)
    return ConsoleSession(str(claims["jti"]), expires)


def form_token(session: ConsoleSession, secret: str) -> str:
    """The token every form of this session carries: a page on another site cannot know it."""
    key = secret.encode()
    return hmac.new(key, f"form:{session.session_id}".encode(), hashlib.sha256).hexdigest()


def client_key(address: str, secret: str) -> str:
    """Where a sign-in came from, as a keyed digest: the store keeps no addresses."""
    digest = hmac.new(secret.encode(), address.encode("utf-8", "replace"), hashlib.sha256)
    return digest.hexdigest()[:32]


def sign_in_blocked(client: str) -> bool:
    """Too many failures lately, from this address or from everywhere?"""
    since = shop_now() - WINDOW
    with open_repository() as repo:
        return (
            repo.console_failures_since(since, client) >= MAX_FAILURES_PER_CLIENT
            or repo.console_failures_since(since) >= MAX_FAILURES_ALL
        )


def record_sign_in(client: str, succeeded: bool) -> None:
    """Keep the attempt for the lockout."""
    with open_repository() as repo:
        repo.record_console_login(client, succeeded, shop_now())

"""Who may use the operator console: a password kept only as a scrypt hash, a session that
expires, a form token against cross-site posts, and a lockout counted in the store.

    python -m bot console-password       # prints OPS_PASSWORD_HASH for a password typed in
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import jwt

from bot.clock import shop_now
from bot.store import open_repository

logger = logging.getLogger(__name__)

# scrypt at 2^14 × 8: ~50 ms and 16 MiB per check, far too slow to guess a decent password
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_BYTES = 2**14, 8, 1, 32
MAX_PASSWORD_BYTES = 256
MIN_PASSWORD_CHARS = 12
SESSION_HOURS = 8  # one shift
AUDIENCE = "ops-console"
ALGORITHM = "HS256"
# Lockout: more than this many failures in the window from one address, and the form refuses
# it (each refused try counts too) until the window has passed. Failures from everywhere
# together only raise an alert: blocking on them would let anyone lock every operator out.
WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_CLIENT = 5
ALERT_FAILURES_ALL = 30


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


def password_key(password_hash: str) -> str:
    """A short digest of the configured hash: a new password ends every older session."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def issue_session(
    secret: str, password_hash: str, now: dt.datetime | None = None
) -> tuple[str, ConsoleSession]:
    """A session cookie's value, valid for one shift, remembered in the store."""
    now = now or dt.datetime.now(dt.timezone.utc)
    session = ConsoleSession(uuid.uuid4().hex, now + dt.timedelta(hours=SESSION_HOURS))
    with open_repository() as repo:
        repo.open_console_session(
            session.session_id, password_key(password_hash), now, session.expires
        )
    claims = {"aud": AUDIENCE, "jti": session.session_id, "iat": now, "exp": session.expires}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), session


def read_session(token: str, secret: str, password_hash: str) -> ConsoleSession | None:
    """The session a cookie carries, or None if it is forged, expired, signed out, made under
    another password, or not a console's."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
            options={"require": ["exp", "jti", "aud"]},
        )  # fmt: skip
        expires = dt.datetime.fromtimestamp(claims["exp"], dt.timezone.utc)
    except (jwt.InvalidTokenError, UnicodeError, OverflowError, ValueError, OSError, TypeError):
        return None
    session_id = claims["jti"]
    if not isinstance(session_id, str) or not session_id:
        return None
    with open_repository() as repo:
        live = repo.console_session_live(
            session_id, password_key(password_hash), dt.datetime.now(dt.timezone.utc)
        )
    return ConsoleSession(session_id, expires) if live else None


def end_session(session: ConsoleSession) -> None:
    """Sign-out, kept in the store: the cookie is worthless even if it was copied."""
    with open_repository() as repo:
        repo.end_console_session(session.session_id, dt.datetime.now(dt.timezone.utc))


def form_token(session: ConsoleSession, secret: str) -> str:
    """The token every form of this session carries: a page on another site cannot know it."""
    key = secret.encode()
    return hmac.new(key, f"form:{session.session_id}".encode(), hashlib.sha256).hexdigest()


def same_token(given: str, expected: str) -> bool:
    """Constant-time comparison of a posted token, whatever characters it holds."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def client_key(address: str, password_hash: str) -> str:
    """Where a sign-in came from, as a digest keyed by the configured hash (which outlives a
    restart and is the same on every replica): the store keeps no addresses."""
    digest = hmac.new(password_hash.encode(), address.encode("utf-8", "replace"), hashlib.sha256)
    return digest.hexdigest()[:32]


def begin_sign_in(client: str) -> tuple[int, bool]:
    """Record the attempt as failed before the password is checked, then count: concurrent
    attempts see each other, so a burst gets no more guesses than one at a time. Returns the
    attempt's id and whether this address is locked out."""
    now = shop_now()
    with open_repository() as repo:
        attempt = repo.record_console_login(client, False, now)
    with open_repository() as repo:
        mine = repo.console_failures_since(now - WINDOW, client)
        everywhere = repo.console_failures_since(now - WINDOW)
    if everywhere >= ALERT_FAILURES_ALL:  # guessing from many addresses: tell someone
        logger.warning("console: %d failed sign-ins in the last 15 minutes", everywhere)
    return attempt, mine > MAX_FAILURES_PER_CLIENT


def sign_in_succeeded(attempt: int) -> None:
    """The attempt's password was right."""
    with open_repository() as repo:
        repo.console_login_succeeded(attempt)


class PasswordChecker:
    """Password checks run one at a time on their own thread, so that a flood of sign-ins
    neither takes the threads the console's pages use nor a second core; past QUEUE_LIMIT
    waiting checks, a new one is refused at once."""

    QUEUE_LIMIT = 8

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password")
        self._waiting = 0

    def reserve(self) -> bool:
        """Take a place in the queue (before anything else is awaited), or False when full."""
        if self._waiting >= self.QUEUE_LIMIT:
            return False
        self._waiting += 1
        return True

    def release(self) -> None:
        """Give the place back, checked or not."""
        self._waiting -= 1

    async def check(self, password: str, encoded: str) -> bool:
        """verify_password, on the checker's thread (with a place reserved)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, verify_password, password, encoded)

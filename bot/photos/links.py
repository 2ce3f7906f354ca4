"""Signed links to the photo upload page: `…/upload?t=<token>`.

The token is a JWT (HS256, UPLOAD_LINK_SECRET) naming one request and expiring after
LINK_TTL; the page and its upload accept nothing else, so a link lets its holder add photos
to that one request for a week, and nothing more: no order detail is shown on the page.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import quote

import jwt

from bot.clock import utc_now
from bot.customer_tokens import MIN_SECRET_BYTES

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
AUDIENCE = "photo-upload"  # a sign-in token signed with the same key is still not a link
LINK_TTL = dt.timedelta(days=7)
APPLICATION_ID = re.compile(r"(RT|EX|RO)\d{8}-\d{4,}")  # the applications photos are asked for


def upload_token(subject: str, secret: str, now: dt.datetime | None = None) -> str:
    """A token letting its holder add photos to request `subject` until LINK_TTL from now."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"the upload link secret needs at least {MIN_SECRET_BYTES} bytes")
    if not APPLICATION_ID.fullmatch(subject):
        raise ValueError("photos are taken for return, exchange and refund applications only")
    issued = now or utc_now()
    claims = {"sub": subject, "aud": AUDIENCE, "iat": issued, "exp": issued + LINK_TTL}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def upload_link(base_url: str, token: str) -> str:
    """The page's address for `token` (base_url: where customers reach the web server)."""
    return f"{base_url.rstrip('/')}/upload?t={quote(token, safe='')}"


def subject_of_link(token: object, secret: str | None) -> str | None:
    """The request a valid, unexpired token names; None for anything else (no secret
    configured, forged, expired, another kind of token, not even text)."""
    if not secret or not isinstance(token, str) or not token or len(token) > 1024:
        return None
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )  # fmt: skip
    except (jwt.InvalidTokenError, UnicodeError) as exc:
        logger.info("upload link refused: %s", type(exc).__name__)
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) and APPLICATION_ID.fullmatch(subject) else None

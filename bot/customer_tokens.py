"""Sign-in tokens a channel passes with a message, so a signed-in customer need not prove
ownership of their own orders again.

The shop's sign-in service issues a JWT (HS256) whose `sub` is the customer id and whose `exp`
is short; the channel forwards it as message metadata `customer_token`. Without a configured
secret every token is ignored: an unsigned claim is never trusted.
"""

from __future__ import annotations

import datetime as dt
import logging

import jwt

from bot.clock import utc_now
from bot.config import get_settings

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32  # RFC 7518: an HS256 key at least as long as the hash


def verified_customer(token: object, secret: str | None = None) -> str | None:
    """The customer id a valid, unexpired token names; None for anything else."""
    secret = secret or get_settings().customer_token_secret
    if not secret or not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    # A token that cannot even be encoded (a lone surrogate) is as invalid as a forged one.
    except (jwt.InvalidTokenError, UnicodeError) as exc:
        logger.info("customer token refused: %s", type(exc).__name__)
        return None
    return str(claims["sub"])


def issue_token(customer_id: str, secret: str, ttl: dt.timedelta = dt.timedelta(hours=1)) -> str:
    """A token for `customer_id`, as the shop's sign-in service would issue it (tests, demos)."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"the token secret needs at least {MIN_SECRET_BYTES} bytes")
    now = utc_now()
    claims = {"sub": customer_id, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)

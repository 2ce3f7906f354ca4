"""How many conversations one client address may hold open: a limit kept in the store.

A conversation id is chosen by the client, so a script can start as many as it likes, each
opening its own handoff or complaint. Each client address may have at most
CHATS_PER_ADDRESS_PER_HOUR conversations active within an hour (default 30: a family or an
office behind one address stays well inside it); a conversation already active always goes
on, and one quiet for an hour frees its place (the scheduled tick forgets it). The counter is
in the store, so it holds across replicas and restarts; two replicas admitting at the same
moment may let an address one or two past its share. Addresses and ids are kept only as
SHA-256 digests, for an hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os

from bot.store import StoreUnavailable, open_repository

logger = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=1)
DEFAULT_LIMIT = 30


def new_conversations_per_hour(environ: dict[str, str] | None = None) -> int:
    """CHATS_PER_ADDRESS_PER_HOUR (at least 1), default 30."""
    env = os.environ if environ is None else environ
    try:
        return max(1, int(env.get("CHATS_PER_ADDRESS_PER_HOUR", DEFAULT_LIMIT)))
    except ValueError:
        return DEFAULT_LIMIT


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def admit(client_address: str, conversation_id: str, now: dt.datetime | None = None) -> bool:
    """Whether this client may write to this conversation. When the store cannot answer, yes:
    the conversation's own steps then apologise for the store."""
    try:
        with open_repository() as repo:
            return repo.admit_conversation(
                _digest(client_address), _digest(conversation_id),
                now=now or dt.datetime.now(dt.timezone.utc), window=WINDOW,
                limit=new_conversations_per_hour(),
            )  # fmt: skip
    except StoreUnavailable as exc:
        logger.warning("conversation limit not checked: %s", exc)
        return True

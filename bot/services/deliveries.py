"""Platform deliveries handled once: a replayed or re-delivered callback is recognised by its
id in the store, so it is refused by every server replica and after a restart."""

from __future__ import annotations

import datetime as dt
import hashlib

from bot.clock import utc_now
from bot.store import open_repository

# Longer than any platform's signature is accepted (an hour) and than its re-deliveries last.
REMEMBERED_FOR = dt.timedelta(days=2)


def first_delivery(channel: str, delivery_id: str) -> bool:
    """True the first time `channel` delivers `delivery_id`, False for any repeat.

    Raises `StoreUnavailable` when the store cannot say: the caller must then refuse the
    delivery (the platform retries) rather than risk handling it twice.
    """
    key = hashlib.sha256(delivery_id.encode("utf-8", "surrogatepass")).hexdigest()
    now = utc_now()
    with open_repository() as repo:
        return repo.record_delivery(channel, key, now=now, forget_before=now - REMEMBERED_FOR)

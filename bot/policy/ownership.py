"""How many wrong proofs of ownership an order and a conversation may have (policy of the
shop's customer-data protection, not of after-sales): pure arithmetic over failure counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Last-4 guesses are cheap (10,000 values): after this many failures on an order in the window
# only the full number is accepted. At 3 a day, guessing last-4 takes years, not minutes.
LAST4_MAX_FAILURES = 3
# Failures on one order in the window before it is locked for every conversation.
ORDER_MAX_FAILURES = 6
# Failures by one conversation, over all orders, before it may try no more.
CONVERSATION_MAX_FAILURES = 10
# Failures count for this long; the lock lifts as they age out.
FAILURE_WINDOW = dt.timedelta(hours=24)
# How long a successful proof lets the conversation see the order's details.
PROOF_VALID_FOR = dt.timedelta(hours=4)


@dataclass(frozen=True)
class LockState:
    """Whether an order can be proved by a conversation now, how, and how many tries are left."""

    locked: bool
    full_phone_only: bool
    attempts_left: int


def lock_state(order_failures: int, conversation_failures: int) -> LockState:
    """The state after `order_failures` on the order and `conversation_failures` by the
    conversation, both counted over FAILURE_WINDOW."""
    locked = (
        order_failures >= ORDER_MAX_FAILURES or conversation_failures >= CONVERSATION_MAX_FAILURES
    )
    full_only = order_failures >= LAST4_MAX_FAILURES
    limit = ORDER_MAX_FAILURES if full_only else LAST4_MAX_FAILURES
    left = min(limit - order_failures, CONVERSATION_MAX_FAILURES - conversation_failures)
    return LockState(locked, full_only, max(0, left))


def lock_hours() -> int:
    """How many hours a lock lasts at most, for the customer's message."""
    return int(FAILURE_WINDOW.total_seconds() // 3600)

"""Proof that a conversation owns an order, with a lockout kept in the store.

A customer proves ownership with the order's mobile number, its last 4 digits, or a shop
sign-in token for their own orders. Failed attempts are counted in the store per order and
per conversation over a trailing window, so neither a new sender id nor a success on another
order buys more guesses. Every service that shows or changes an order's details asks
`require_proof` first: proof of *that* order, by *this* conversation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from bot.clock import shop_now
from bot.identifiers import normalise_last4, normalise_phone
from bot.store import (
    AfterSalesRepository,
    InvalidPhone,
    OwnershipNotVerified,
    open_repository,
)
from bot.store.models import Order

# Last-4 guesses are cheap (10,000 values): after this many failures on an order in the window
# only the full number is accepted. At 3 a day, guessing last-4 takes years, not minutes.
LAST4_MAX_FAILURES = 3
# Failures on one order in the window before it is locked for every conversation.
ORDER_MAX_FAILURES = 6
# Failures by one conversation, over all orders, before it may try no more.
CONVERSATION_MAX_FAILURES = 10
FAILURE_WINDOW = dt.timedelta(hours=24)
# How long a successful proof lets this conversation see the order's details.
PROOF_VALID_FOR = dt.timedelta(hours=4)


class Verification(str, Enum):
    """The outcome of one ownership check."""

    VERIFIED = "verified"
    MISMATCH = "mismatch"
    INVALID = "invalid"  # neither a mobile number nor 4 digits
    FULL_PHONE_NEEDED = "full_phone_needed"  # last-4 no longer accepted for this order
    LOCKED = "locked"


@dataclass(frozen=True)
class VerificationResult:
    """What the customer should hear after a check: the outcome and the tries left."""

    outcome: Verification
    attempts_left: int = 0
    full_phone_only: bool = False


@dataclass(frozen=True)
class LockState:
    """Whether an order can be proved by this conversation now, and how."""

    locked: bool
    full_phone_only: bool
    attempts_left: int


def _failures(repo: AfterSalesRepository, order: Order, conversation_id: str, now: dt.datetime):
    since = now - FAILURE_WINDOW
    return (
        repo.failed_ownership_checks(since=since, order=order),
        repo.failed_ownership_checks(since=since, conversation_id=conversation_id),
    )


def _state(order_failures: int, conversation_failures: int) -> LockState:
    locked = (
        order_failures >= ORDER_MAX_FAILURES or conversation_failures >= CONVERSATION_MAX_FAILURES
    )
    full_only = order_failures >= LAST4_MAX_FAILURES
    limit = ORDER_MAX_FAILURES if full_only else LAST4_MAX_FAILURES
    left = min(limit - order_failures, CONVERSATION_MAX_FAILURES - conversation_failures)
    return LockState(locked, full_only, max(0, left))


def lock_state(order_no: str, conversation_id: str) -> LockState:
    """May this conversation try to prove `order_no` now? (Raises for an unknown order.)"""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        return _state(*_failures(repo, order, conversation_id, shop_now()))


def verify_owner(order_no: str, proof: str, conversation_id: str) -> VerificationResult:
    """Check `proof` (the order's mobile, or its last 4 digits) and record the attempt."""
    now = shop_now()
    with open_repository() as repo:
        order = repo.find_order(order_no, for_update=True)
        state = _state(*_failures(repo, order, conversation_id, now))
        if state.locked:
            return VerificationResult(Verification.LOCKED)
        kind = "phone" if normalise_phone(proof) else "last4" if normalise_last4(proof) else None
        if kind is None:
            return VerificationResult(Verification.INVALID, state.attempts_left)
        if kind == "last4" and state.full_phone_only:
            return VerificationResult(Verification.FULL_PHONE_NEEDED, state.attempts_left, True)
        try:
            repo.verify_owner(order.order_no, proof)
            succeeded = True
        except OwnershipNotVerified:
            succeeded = False
        except InvalidPhone:
            return VerificationResult(Verification.INVALID, state.attempts_left)
        repo.record_ownership_check(
            order, conversation_id=conversation_id, proof_kind=kind, succeeded=succeeded, now=now
        )
        if succeeded:
            return VerificationResult(Verification.VERIFIED)
        after = _state(*_failures(repo, order, conversation_id, now))
        if after.locked:
            return VerificationResult(Verification.LOCKED)
        return VerificationResult(Verification.MISMATCH, after.attempts_left, after.full_phone_only)


def prove_by_sign_in(order_no: str, customer_id: str, conversation_id: str) -> bool:
    """Is the order the signed-in customer's own? If so, record it as this conversation's
    proof. `customer_id` comes from a channel's verified token."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        if str(order.customer_id) != customer_id:
            return False
        repo.record_ownership_check(
            order, conversation_id=conversation_id, proof_kind="token", succeeded=True,
            now=shop_now(),
        )  # fmt: skip
        return True


def require_proof(repo: AfterSalesRepository, order: Order, conversation_id: str) -> None:
    """Raise OwnershipNotVerified unless this conversation recently proved it owns `order`."""
    if not repo.has_ownership_proof(order, conversation_id, shop_now() - PROOF_VALID_FOR):
        raise OwnershipNotVerified(f"conversation has no proof for order {order.order_no}")

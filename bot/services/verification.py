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
from bot.policy.ownership import FAILURE_WINDOW, PROOF_VALID_FOR, LockState
from bot.policy.ownership import lock_state as policy_lock_state
from bot.store import (
    AfterSalesRepository,
    InvalidPhone,
    OwnershipNotVerified,
    open_repository,
)
from bot.store.models import Order


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


def _state(
    repo: AfterSalesRepository, order: Order, conversation_id: str, now: dt.datetime
) -> LockState:
    """The lock state from the failures the store holds for the order and the conversation."""
    since = now - FAILURE_WINDOW
    return policy_lock_state(
        repo.failed_ownership_checks(since=since, order=order),
        repo.failed_ownership_checks(since=since, conversation_id=conversation_id),
    )


def lock_state(order_no: str, conversation_id: str) -> LockState:
    """May this conversation try to prove `order_no` now? (Raises for an unknown order.)"""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        return _state(repo, order, conversation_id, shop_now())


def verify_owner(order_no: str, proof: str, conversation_id: str) -> VerificationResult:
    """Check `proof` (the order's mobile, or its last 4 digits) and record the attempt."""
    now = shop_now()
    with open_repository() as repo:
        order = repo.find_order(order_no, for_update=True)
        state = _state(repo, order, conversation_id, now)
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
        after = _state(repo, order, conversation_id, now)
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


def has_proof(repo: AfterSalesRepository, order: Order, conversation_id: str) -> bool:
    """Did this conversation prove it owns `order` within PROOF_VALID_FOR?"""
    return repo.has_ownership_proof(order, conversation_id, shop_now() - PROOF_VALID_FOR)


def require_proof(repo: AfterSalesRepository, order: Order, conversation_id: str) -> None:
    """Raise OwnershipNotVerified unless this conversation recently proved it owns `order`."""
    if not has_proof(repo, order, conversation_id):
        raise OwnershipNotVerified(f"conversation has no proof for order {order.order_no}")

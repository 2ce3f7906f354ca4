"""The lockout's boundaries: last-4 refused from the 3rd failure on an order, the order locked
at the 6th, a conversation stopped at its 10th failure over all orders."""

from __future__ import annotations

import pytest

from bot.policy.ownership import LockState, lock_state


@pytest.mark.parametrize(
    ("order_failures", "conversation_failures", "expected"),
    [
        (0, 0, LockState(locked=False, full_phone_only=False, attempts_left=3)),
        (2, 2, LockState(locked=False, full_phone_only=False, attempts_left=1)),
        (3, 3, LockState(locked=False, full_phone_only=True, attempts_left=3)),
        (5, 5, LockState(locked=False, full_phone_only=True, attempts_left=1)),
        (6, 6, LockState(locked=True, full_phone_only=True, attempts_left=0)),
        (0, 9, LockState(locked=False, full_phone_only=False, attempts_left=1)),
        (0, 10, LockState(locked=True, full_phone_only=False, attempts_left=0)),
    ],
)
def test_lock_state_at_each_boundary(
    order_failures: int, conversation_failures: int, expected: LockState
) -> None:
    assert lock_state(order_failures, conversation_failures) == expected

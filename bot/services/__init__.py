"""Use cases the conversations call: each opens one unit of work and returns plain data.

Actions stay thin: they read slots, call one of these, and map the result to responses.
One module per job; this package re-exports what the actions use.

Errors: every service raises only `StoreError` (re-exported here) or one of its subclasses:
`StoreUnavailable` when the database fails, `OwnershipNotVerified` when the conversation has
not proved the order, `InvalidRequest` when the policy or the order no longer allows what was
asked. Actions catch `StoreError` in one place (`actions/guard.py`).
"""

from bot.services.changes import (
    MAX_DETAILS_CHARS,
    ChangeReceipt,
    ChangeRefused,
    add_complaint_details,
    add_tracking,
    change_candidates,
    reschedule_visit,
    withdraw,
)
from bot.services.complaints import (
    ComplaintReceipt,
    complaint_category,
    open_complaint,
    sounds_angry,
)
from bot.services.damage import settle_damage_cause
from bot.services.handoffs import HandoffReceipt, request_handoff
from bot.services.orders import (
    OrderCheck,
    OrderLine,
    OrderSummary,
    check_order,
    order_lines,
    recent_orders,
)
from bot.services.parcels import (
    ParcelReceipt,
    assess_parcel,
    open_parcel_check,
    open_parcel_ticket,
)
from bot.services.progress import RequestView, describe_request, request_status
from bot.services.ratings import RatedService, decline_survey, save_rating
from bot.services.refunds import RefundStatus, refund_status
from bot.services.repairs import (
    RepairAssessment,
    RepairReceipt,
    assess_repair,
    book_repair,
    check_visit,
)
from bot.services.returns import ReturnReceipt, assess_return, open_return, refund_only_amount
from bot.services.verification import (
    LockState,
    Verification,
    VerificationResult,
    lock_state,
    prove_by_sign_in,
    verify_owner,
)
from bot.store import DuplicateRequest, OwnershipNotVerified, StoreError

__all__ = [
    "MAX_DETAILS_CHARS",
    "ChangeReceipt",
    "ChangeRefused",
    "RequestView",
    "add_complaint_details",
    "add_tracking",
    "change_candidates",
    "describe_request",
    "request_status",
    "reschedule_visit",
    "withdraw",
    "ComplaintReceipt",
    "DuplicateRequest",
    "HandoffReceipt",
    "LockState",
    "OrderCheck",
    "OrderLine",
    "OrderSummary",
    "OwnershipNotVerified",
    "RefundStatus",
    "RepairAssessment",
    "RepairReceipt",
    "StoreError",
    "ReturnReceipt",
    "Verification",
    "VerificationResult",
    "assess_repair",
    "assess_return",
    "book_repair",
    "check_order",
    "check_visit",
    "complaint_category",
    "open_complaint",
    "open_return",
    "order_lines",
    "prove_by_sign_in",
    "lock_state",
    "recent_orders",
    "refund_only_amount",
    "refund_status",
    "request_handoff",
    "save_rating",
    "settle_damage_cause",
    "ParcelReceipt",
    "assess_parcel",
    "open_parcel_check",
    "open_parcel_ticket",
    "RatedService",
    "decline_survey",
    "sounds_angry",
    "verify_owner",
]

"""Use cases the conversations call: each opens one unit of work and returns plain data.

Actions stay thin: they read slots, call one of these, and map the result to responses.
One module per job; this package re-exports what the actions use.
"""

from bot.services.complaints import (
    ComplaintReceipt,
    complaint_category,
    open_complaint,
    sounds_angry,
)
from bot.services.orders import (
    MAX_VERIFY_ATTEMPTS,
    OrderCheck,
    OrderLine,
    OrderSummary,
    Verification,
    check_order,
    order_lines,
    owned_by,
    recent_orders,
    verify_owner,
)
from bot.services.ratings import save_rating
from bot.services.refunds import ROUTE_NAMES, RefundStatus, refund_status
from bot.services.repairs import (
    RepairAssessment,
    RepairReceipt,
    assess_repair,
    book_repair,
    check_visit,
)
from bot.services.returns import ReturnReceipt, assess_return, open_return, refund_only_amount

__all__ = [
    "MAX_VERIFY_ATTEMPTS",
    "ROUTE_NAMES",
    "ComplaintReceipt",
    "OrderCheck",
    "OrderLine",
    "OrderSummary",
    "RefundStatus",
    "RepairAssessment",
    "RepairReceipt",
    "ReturnReceipt",
    "Verification",
    "assess_repair",
    "assess_return",
    "book_repair",
    "check_order",
    "check_visit",
    "complaint_category",
    "open_complaint",
    "open_return",
    "order_lines",
    "owned_by",
    "recent_orders",
    "refund_only_amount",
    "refund_status",
    "save_rating",
    "sounds_angry",
    "verify_owner",
]

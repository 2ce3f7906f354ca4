"""The after-sales policy engine: pure functions over dates and order facts.

Import from here; the submodules are split by feature only to keep each one short.
"""

from bot.policy.calendar import HolidayFileError, WorkCalendar, WorkdayDate
from bot.policy.changes import (
    AWAITING_PARCEL_STATUSES,
    CHANGEABLE_BOOKING_STATUSES,
    OPEN_COMPLAINT_STATUSES,
    WITHDRAWABLE_REQUEST_STATUSES,
    repair_is_late,
    reply_due_soon,
    visit_changeable,
    working_hours_between,
)
from bot.policy.complaints import (
    ComplaintDeadlines,
    Severity,
    agents_on_duty,
    complaint_deadlines,
    needs_human,
)
from bot.policy.configured import configured_calendar, configured_rules
from bot.policy.facts import (
    Decision,
    DecisionValues,
    ItemFacts,
    OrderFacts,
    OrderStatus,
    Party,
    PolicyInputError,
    ReturnReason,
    Verdict,
)
from bot.policy.ownership import lock_hours
from bot.policy.parcels import ParcelProblem, ParcelRemedy, ParcelTracking, decide_parcel
from bot.policy.ratings import Dimension, is_extreme, is_valid_score
from bot.policy.refunds import (
    RefundPath,
    RefundSchedule,
    RefundStage,
    refund_amount,
    refund_path,
    refund_schedule,
    refund_stage,
)
from bot.policy.repairs import (
    check_onsite_slot,
    clip_to_service_hours,
    completion_due,
    decide_paid_repair,
    decide_repair,
    warranty_last_day,
)
from bot.policy.returns import (
    day_of_receipt_count,
    decide_refund_only,
    decide_return,
    shipping_payer,
)
from bot.policy.rules import PolicyConfigError, PolicyRules, load_rules

__all__ = [
    "AWAITING_PARCEL_STATUSES",
    "CHANGEABLE_BOOKING_STATUSES",
    "OPEN_COMPLAINT_STATUSES",
    "WITHDRAWABLE_REQUEST_STATUSES",
    "repair_is_late",
    "reply_due_soon",
    "visit_changeable",
    "working_hours_between",
    "ComplaintDeadlines",
    "Decision",
    "DecisionValues",
    "Dimension",
    "HolidayFileError",
    "ItemFacts",
    "OrderFacts",
    "OrderStatus",
    "ParcelProblem",
    "ParcelRemedy",
    "Party",
    "PolicyConfigError",
    "PolicyInputError",
    "PolicyRules",
    "RefundPath",
    "RefundSchedule",
    "RefundStage",
    "ReturnReason",
    "Severity",
    "ParcelTracking",
    "Verdict",
    "WorkCalendar",
    "WorkdayDate",
    "agents_on_duty",
    "check_onsite_slot",
    "completion_due",
    "clip_to_service_hours",
    "complaint_deadlines",
    "configured_calendar",
    "configured_rules",
    "day_of_receipt_count",
    "decide_paid_repair",
    "decide_parcel",
    "decide_refund_only",
    "decide_repair",
    "decide_return",
    "is_extreme",
    "is_valid_score",
    "lock_hours",
    "load_rules",
    "needs_human",
    "refund_amount",
    "refund_path",
    "refund_schedule",
    "refund_stage",
    "shipping_payer",
    "warranty_last_day",
]

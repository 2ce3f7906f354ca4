"""Every number of the after-sales policy, named, in one place.

The defaults are those of `shared/docs/after-sales-policy.md`. An operator changes them
without touching code by pointing `POLICY_FILE` at a YAML file of overrides, e.g.::

    no_reason_return_days: 10
    special_categories: [食品, 化妆品, 个人护理, 内衣]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from bot.chinese_dates import format_money


class PolicyConfigError(ValueError):
    """The operator's policy file is unreadable or names an unknown rule."""


@dataclass(frozen=True)
class PolicyRules:
    """The after-sales rule book's numbers. Day counts include the day of receipt."""

    # Returns and exchanges (section 2)
    no_reason_return_days: int = 7
    quality_return_days: int = 15
    special_categories: frozenset[str] = field(
        default_factory=lambda: frozenset({"食品", "化妆品", "个人护理"})
    )
    return_review_working_days: int = 2
    return_processing_working_days: int = 3
    return_processing_max_working_days: int = 7

    # Refunds (section 3)
    refund_working_days_no_quality: int = 3
    refund_working_days_quality: int = 5
    bank_credit_min_working_days: int = 1
    bank_credit_max_working_days: int = 3

    # Repairs (section 4)
    repair_response_working_days: int = 2
    repair_completion_working_days: int = 5
    onsite_categories: frozenset[str] = field(default_factory=lambda: frozenset({"家电"}))
    onsite_service_start_hour: int = 9
    onsite_service_end_hour: int = 18
    onsite_booking_horizon_days: int = 30  # how far ahead a technician's diary is open
    # A booked visit can be moved or cancelled by the customer up to this many working hours
    # (counted inside the on-site service hours) before it starts; later, a person decides.
    repair_change_notice_working_hours: int = 8
    repair_late_coupon_yuan: int = 30  # the compensation for missing the promised repair date
    # What a paid (out-of-warranty) repair costs when the customer declines the quote after
    # the inspection. The policy does not say, so the operator sets it; 0 means free.
    paid_repair_inspection_fee_yuan: int = 0

    # Parcels on their way to the customer (section 3: shipped but not signed for)
    parcel_stalled_hours: int = 48  # no tracking scan for this long: the parcel is stalled
    parcel_check_hours: int = 24  # a logistics ticket is answered within this many hours
    carrier_claim_days: int = 30  # a loss is claimed from the carrier within this many days

    # Evidence: photos of an application that has ended are deleted this many days after they
    # were sent (long enough for a dispute's 15 working days; not kept for ever)
    photo_retention_days: int = 180

    # Complaints (section 5)
    complaint_reply_hours: int = 24
    complaint_solution_hours: int = 48
    dispute_start_working_days: int = 2
    dispute_result_working_days: int = 15
    consultation_reply_hours: int = 1
    repeat_complaint_threshold: int = 1  # earlier complaints that make a new one a repeat
    complaint_reply_warning_hours: int = 2  # an unanswered complaint this close to its deadline

    # Human agents (转人工)
    agent_service_start_hour: int = 9
    agent_service_end_hour: int = 21

    # Satisfaction targets (section 6)
    satisfaction_target: float = 0.90
    recommend_target: float = 0.80
    pain_point_share: float = 0.20
    group_below_mean_share: float = 0.15

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> PolicyRules:
        """Defaults overridden by `values`; unknown names are an error, not a silent no-op."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise PolicyConfigError(f"unknown policy rule(s): {', '.join(unknown)}")
        clean: dict[str, Any] = {}
        for name, value in values.items():
            default = getattr(cls(), name)
            if isinstance(default, frozenset):
                clean[name] = frozenset(str(v) for v in value)
            elif isinstance(default, bool) or not isinstance(value, type(default)):
                if isinstance(default, float) and isinstance(value, int):
                    clean[name] = float(value)
                else:
                    raise PolicyConfigError(
                        f"policy rule {name} must be {type(default).__name__}, got {value!r}"
                    )
            else:
                clean[name] = value
        rules = cls(**clean)
        rules.check()
        return rules

    def template_values(self) -> dict[str, object]:
        """The numbers customer-facing answers quote, by the names domain.yml uses."""
        return {
            "no_reason_days": self.no_reason_return_days,
            "quality_days": self.quality_return_days,
            "special_categories": "、".join(sorted(self.special_categories)),
            "review_working_days": self.return_review_working_days,
            "processing_working_days": self.return_processing_working_days,
            "processing_max_working_days": self.return_processing_max_working_days,
            "refund_days_no_quality": self.refund_working_days_no_quality,
            "refund_days_quality": self.refund_working_days_quality,
            "bank_min_days": self.bank_credit_min_working_days,
            "bank_max_days": self.bank_credit_max_working_days,
            "repair_response_days": self.repair_response_working_days,
            "repair_completion_days": self.repair_completion_working_days,
            "onsite_categories": "、".join(sorted(self.onsite_categories)),
            "onsite_start_hour": self.onsite_service_start_hour,
            "onsite_end_hour": self.onsite_service_end_hour,
            "change_notice_hours": self.repair_change_notice_working_hours,
            "late_coupon": self.repair_late_coupon_yuan,
            "inspection_fee": format_money(Decimal(self.paid_repair_inspection_fee_yuan)),
            "parcel_stalled_hours": self.parcel_stalled_hours,
            "parcel_check_hours": self.parcel_check_hours,
            "carrier_claim_days": self.carrier_claim_days,
            "complaint_reply_hours": self.complaint_reply_hours,
            "complaint_solution_hours": self.complaint_solution_hours,
            "dispute_result_days": self.dispute_result_working_days,
            "agent_start_hour": self.agent_service_start_hour,
            "agent_end_hour": self.agent_service_end_hour,
        }

    def check(self) -> None:
        """Reject rule combinations that would make the policy contradict itself."""
        if not 0 < self.no_reason_return_days <= self.quality_return_days:
            raise PolicyConfigError("need 0 < no_reason_return_days <= quality_return_days")
        if not 0 < self.bank_credit_min_working_days <= self.bank_credit_max_working_days:
            raise PolicyConfigError("need 0 < bank_credit_min <= bank_credit_max working days")
        if not 0 <= self.onsite_service_start_hour < self.onsite_service_end_hour <= 24:
            raise PolicyConfigError("on-site service hours must be a non-empty range in 0..24")
        if not 0 <= self.agent_service_start_hour < self.agent_service_end_hour <= 24:
            raise PolicyConfigError("agent service hours must be a non-empty range in 0..24")
        if self.paid_repair_inspection_fee_yuan < 0:
            raise PolicyConfigError("paid_repair_inspection_fee_yuan cannot be negative")


def load_rules(path: Path | None) -> PolicyRules:
    """The rules with the operator's overrides from `path` (YAML mapping), if given."""
    if path is None:
        return PolicyRules()
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyConfigError(f"cannot read policy file {path}: {exc}") from exc
    if not isinstance(values, dict):
        raise PolicyConfigError(f"policy file {path} must hold a mapping of rule: value")
    return PolicyRules.from_mapping(values)

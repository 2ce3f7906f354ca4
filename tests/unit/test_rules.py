"""The operator's policy overrides: applied when right, refused loudly when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import PolicyConfigError, PolicyRules, load_rules


def test_defaults_are_the_shared_policy() -> None:
    rules = PolicyRules()
    assert (rules.no_reason_return_days, rules.quality_return_days) == (7, 15)
    assert rules.special_categories == {"食品", "化妆品", "个人护理"}
    assert (rules.refund_working_days_no_quality, rules.refund_working_days_quality) == (3, 5)
    assert (rules.repair_response_working_days, rules.repair_completion_working_days) == (2, 5)
    assert (rules.complaint_reply_hours, rules.complaint_solution_hours) == (24, 48)
    assert rules.dispute_result_working_days == 15


def test_no_file_means_defaults() -> None:
    assert load_rules(None) == PolicyRules()


def test_file_overrides(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(
        "no_reason_return_days: 10\nspecial_categories: [食品, 内衣]\n", encoding="utf-8"
    )
    rules = load_rules(path)
    assert rules.no_reason_return_days == 10
    assert rules.special_categories == {"食品", "内衣"}
    assert rules.quality_return_days == 15


@pytest.mark.parametrize(
    "content",
    [
        "no_reason_days: 10\n",  # misspelt rule
        "no_reason_return_days: ten\n",  # wrong type
        "no_reason_return_days: 20\n",  # longer than the quality window
        "onsite_service_start_hour: 18\n",  # empty service hours
        "[1, 2]\n",  # not a mapping
        "no_reason_return_days: [\n",  # not YAML
    ],
)
def test_bad_policy_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyConfigError):
        load_rules(path)

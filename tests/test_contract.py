"""Contracts between the domain, the actions and the policy: nothing named is missing."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.utils import all_subclasses

from actions.guard import GuardedAction
from actions.job_slots import JOB_OF_FORM
from bot.config import PROJECT_ROOT
from bot.policy import (
    Decision,
    OrderStatus,
    ParcelProblem,
    ParcelTracking,
    PolicyRules,
    ReturnReason,
    Verdict,
    WorkCalendar,
    check_onsite_slot,
    decide_parcel,
    decide_repair,
    decide_return,
)
from tests.unit.factories import delivered_order, item

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict]] = DOMAIN["responses"]
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 10, 0)


def placeholders(response: str) -> set[str]:
    """Every {name} the texts of a response expect."""
    return {
        name
        for variant in RESPONSES[response]
        for _, name, _, _ in string.Formatter().parse(variant.get("text", ""))
        if name
    }


def _return(days_ago: int, reason=ReturnReason.NO_REASON, category="服装", **kw) -> Decision:
    order = delivered_order(TODAY - dt.timedelta(days=days_ago), category=category, **kw)
    return decide_return(order, item(category), reason, TODAY, PolicyRules(), WorkCalendar())


def _repair(days_ago: int, warranty: int = 12, **kw) -> Decision:
    order = delivered_order(
        TODAY - dt.timedelta(days=days_ago), category="家电", warranty_months=warranty
    )
    return decide_repair(order, item("家电"), TODAY, PolicyRules(), WorkCalendar(), **kw)


def _slot(start: dt.datetime, hours: int = 2) -> Decision:
    return check_onsite_slot(start, start + dt.timedelta(hours=hours), NOW, PolicyRules())


def _parcel(shipped_days_ago: int, scanned_hours_ago: int, **kw) -> Decision:
    """A parcel shipped that many days ago (still on its way unless `status` says)."""
    order = delivered_order(
        TODAY - dt.timedelta(days=shipped_days_ago - 2), **{"status": OrderStatus.SHIPPED, **kw}
    )
    scan = ParcelTracking("中通快递", "ZT7730012345678", "杭州转运中心",
                          NOW - dt.timedelta(hours=scanned_hours_ago))  # fmt: skip
    return decide_parcel(order, ParcelProblem.STALLED, scan, NOW, PolicyRules())


# One real decision per verdict: its values must fill every placeholder of its explanation.
SCENARIOS = {
    Verdict.NO_REASON_OK: lambda: _return(2),
    Verdict.QUALITY_OK: lambda: _return(10, ReturnReason.QUALITY),
    Verdict.QUALITY_NEEDS_REVIEW: lambda: _return(2, ReturnReason.QUALITY, "食品"),
    Verdict.NOT_SHIPPED_REFUND_ONLY: lambda: _return(2, status=OrderStatus.PAID),
    Verdict.NOT_DELIVERED: lambda: decide_repair(
        delivered_order(TODAY, status=OrderStatus.SHIPPED),
        item("家电"),
        TODAY,
        PolicyRules(),
        WorkCalendar(),
    ),
    Verdict.SHIPPED_REFUND_WITH_RETURN: lambda: _return(2, status=OrderStatus.SHIPPED),
    Verdict.ORDER_CLOSED: lambda: _return(2, status=OrderStatus.CLOSED),
    Verdict.SPECIAL_CATEGORY: lambda: _return(2, category="化妆品"),
    Verdict.NO_REASON_WINDOW_PASSED: lambda: _return(9),
    Verdict.RETURN_WINDOW_PASSED: lambda: _return(40),
    Verdict.BUYER_DAMAGE: lambda: decide_return(
        delivered_order(TODAY),
        item(),
        ReturnReason.QUALITY,
        TODAY,
        PolicyRules(),
        WorkCalendar(),
        buyer_damage=True,
    ),
    Verdict.REPAIR_COVERED: lambda: _repair(80),
    Verdict.REPAIR_OUT_OF_WARRANTY: lambda: _repair(1095),
    Verdict.REPAIR_HUMAN_DAMAGE: lambda: _repair(80, human_damage=True),
    Verdict.REPAIR_NO_WARRANTY: lambda: _repair(80, warranty=0),
    Verdict.PARCEL_NOT_SHIPPED: lambda: _parcel(3, 5, status=OrderStatus.PAID),
    Verdict.PARCEL_IN_TRANSIT: lambda: _parcel(3, 5),
    Verdict.PARCEL_STALLED: lambda: _parcel(5, 72),
    Verdict.PARCEL_NOT_RECEIVED: lambda: _parcel(3, 5, status=OrderStatus.DELIVERED),
    Verdict.PARCEL_CLAIM_PASSED: lambda: _parcel(40, 900),
    Verdict.SLOT_OK: lambda: _slot(NOW + dt.timedelta(days=1)),
    Verdict.SLOT_IN_PAST: lambda: _slot(NOW - dt.timedelta(hours=3)),
    Verdict.SLOT_OUTSIDE_HOURS: lambda: _slot(NOW + dt.timedelta(days=1, hours=10)),
    Verdict.SLOT_TOO_FAR: lambda: _slot(NOW + dt.timedelta(days=40)),
}


def test_every_verdict_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(Verdict)


@pytest.mark.parametrize("verdict", list(Verdict), ids=lambda v: v.value)
def test_every_verdict_is_explained_with_values_it_provides(verdict: Verdict) -> None:
    assert verdict.message_key in RESPONSES, f"domain.yml lacks {verdict.message_key}"
    decision = SCENARIOS[verdict]()
    assert decision.verdict is verdict
    missing = placeholders(verdict.message_key) - set(decision.values.present())
    assert not missing, f"{verdict.message_key} needs {missing} that the policy does not give"


def _registered_actions() -> set[str]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_domain_actions_and_registered_actions_are_the_same() -> None:
    custom = {a for a in DOMAIN.get("actions", []) if not a.startswith("utter_")}
    assert custom == _registered_actions()


def _responses_named_in(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "response"
            and isinstance(node.value, ast.Constant)
        ):
            names.add(node.value.value)
    return names


def test_every_response_an_action_names_exists() -> None:
    named = set().union(*(_responses_named_in(p) for p in (PROJECT_ROOT / "actions").glob("*.py")))
    assert named and named <= set(RESPONSES)


def test_every_job_a_store_failure_can_end_has_its_apology() -> None:
    """The guard names `utter_<job>_unavailable` at run time, out of sight of the check above."""
    _registered_actions()  # imports every action module
    assert set(JOB_OF_FORM) == set(DOMAIN["forms"])
    jobs = set(JOB_OF_FORM.values()) | {"handoff"}  # handoff: a failure outside any form
    jobs |= {action.job for action in all_subclasses(GuardedAction) if action.job}
    missing = {f"utter_{job}_unavailable" for job in jobs} - set(RESPONSES)
    assert not missing, f"domain.yml lacks {missing}"


def test_no_response_retypes_a_policy_number() -> None:
    """Day counts and deadlines come from the policy module, never typed into the text."""
    number = r"(?:\d+|[一二三四五六七八九十两]+)"
    for name, variants in RESPONSES.items():
        for variant in variants:
            found = re.findall(rf"{number}\s*(?:天|个?工作日|小时)", variant.get("text", ""))
            assert not found, f"{name} types a policy number: {found}"


@pytest.mark.parametrize(
    "response", [r for r in RESPONSES if r.startswith(("utter_faq/", "utter_handoff_"))]
)
def test_policy_answers_need_only_values_the_policy_gives(response: str) -> None:
    available = set(PolicyRules().template_values()) | {"handoff_id"}
    assert placeholders(response) <= available


@pytest.mark.parametrize("form", list(DOMAIN.get("forms", {})))
def test_every_form_slot_has_a_validator(form: str) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    validator = executor.actions.get(f"validate_{form}")
    assert validator is not None, f"no validate_{form} action"
    owner = type(validator.__self__) if hasattr(validator, "__self__") else None
    methods = dir(owner) if owner else []
    for slot in DOMAIN["forms"][form]["required_slots"]:
        assert f"validate_{slot}" in methods, f"validate_{form} lacks validate_{slot}"
        assert slot in DOMAIN["slots"], f"{form} requires undeclared slot {slot}"
        asked_by = {f"utter_ask_{slot}", f"utter_ask_{form}_{slot}", f"action_ask_{slot}"}
        assert asked_by & (set(RESPONSES) | set(DOMAIN["actions"])), f"nothing asks for {slot}"


# --- the tone guide's checked rules (docs/tone.md) -----------------------------------------------


def _texts() -> list[tuple[str, str]]:
    """(response name, text) for every variant of every response."""
    return [
        (name, str(variant.get("text", "")))
        for name, variants in DOMAIN["responses"].items()
        for variant in variants
    ]


# Placeholders filled with a date, which `readable` writes as 11月26日（周四）: inside （…） they
# would nest brackets.
_DATE_IN_BRACKETS = re.compile(
    r"（[^）]*\{[a-z_]*(?:due|day|_on|date|earliest|latest|deadline)\}[^）]*）"
)
_BANNED = {
    "退出": "money goes back (退回), it does not quit (退出)",
    "响应": "jargon: 联系您 / 答复您",
    "会话": "jargon: 这次 / 对话",
    "上面的按钮": "a numbered list has no buttons",
    "下面的按钮": "a numbered list has no buttons",
    "工单号": "one word per thing: 申请编号 / 预约编号 / 投诉编号 / 核查单号 / 登记号",
    "售后助手": "one name: 售后小助手",
    "智能助手": "one name: 售后小助手",
    "寄回维修": "a repair by post is 寄修",
    "马上": "a promise nothing computes",
    "立刻": "a promise nothing computes",
    "优先": "a promise nothing computes",
    "属于质量问题": "only the merchant's review decides that",
}
# 退换 alone for returns and exchanges together (退换货; 退换期 is the window's name)
_RETURNS_AND_EXCHANGES = re.compile(r"退换(?![货期])")
# 编号 is always whose: 申请编号, 预约编号, 投诉编号 (a logistics check has a 核查单号)
_BARE_NUMBER_WORD = re.compile(r"(?<!申请|预约|投诉)编号")
# Words that only work for a button to tap; on messaging platforms buttons are a numbered list.
_TAP_WORDS = re.compile(r"点(选|击|一下|下面|上面|这里)")
MAX_BUTTON_CHARS = 8
# The policy verdicts a return or exchange can end on: each must offer its own next step.
RETURN_REFUSALS = (
    Verdict.ORDER_CLOSED, Verdict.NOT_SHIPPED_REFUND_ONLY, Verdict.NOT_DELIVERED,
    Verdict.BUYER_DAMAGE, Verdict.RETURN_WINDOW_PASSED, Verdict.SPECIAL_CATEGORY,
    Verdict.NO_REASON_WINDOW_PASSED,
)  # fmt: skip


@pytest.mark.parametrize("word", list(_BANNED))
def test_no_response_uses_a_banned_form(word: str) -> None:
    found = [name for name, text in _texts() if word in text]
    assert found == [], f"{word}: {_BANNED[word]}"


def test_no_date_sits_inside_brackets() -> None:
    found = [name for name, text in _texts() if _DATE_IN_BRACKETS.search(text)]
    assert found == []


def test_every_score_scale_runs_from_low_to_high() -> None:
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            scores = [
                int(b["payload"]) for b in variant.get("buttons") or []
                if str(b.get("payload", "")).isdigit()
            ]  # fmt: skip
            assert scores == sorted(scores), name


def test_days_since_delivery_count_the_day_of_receipt_as_day_one() -> None:
    """The policy's {day} is 1 on the day of receipt: 签收后第N天, never 已签收N天."""
    for name, text in _texts():
        if "{day}" in text:
            assert "签收后第{day}天" in text, name


def test_returns_and_exchanges_together_are_called_one_thing() -> None:
    found = [name for name, text in _texts() if _RETURNS_AND_EXCHANGES.search(text)]
    assert found == [], "退换货, not 退换"


def test_every_number_says_whose_it_is() -> None:
    found = [name for name, text in _texts() if _BARE_NUMBER_WORD.search(text)]
    assert found == []


def _variants_with_buttons() -> list[tuple[str, dict]]:
    return [
        (name, variant)
        for name, variants in DOMAIN["responses"].items()
        for variant in variants
        if variant.get("buttons")
    ]


def test_button_labels_are_short() -> None:
    """A label says what happens in a few characters; the job names the fallback offers as
    buttons (utter_choice_*) count too."""
    labels = [(name, b["title"]) for name, v in _variants_with_buttons() for b in v["buttons"]]
    labels += [
        (name, variants[0]["text"])
        for name, variants in DOMAIN["responses"].items()
        if name.startswith("utter_choice_")
    ]
    assert [(n, t) for n, t in labels if len(t) > MAX_BUTTON_CHARS] == []


@pytest.mark.parametrize("name,variant", _variants_with_buttons())
def test_buttons_read_as_a_numbered_list(name: str, variant: dict) -> None:
    """As the messaging connectors render it: the text asks or announces, nothing says to tap,
    and no label carries its own number where the list numbers it."""
    from bot.channels.text_replies import as_plain_text

    text = str(variant.get("text", ""))
    assert not _TAP_WORDS.search(text), name
    rendered = as_plain_text([variant]).split("\n")
    options = rendered[len(text.split("\n")) :]
    assert len(options) == len(variant["buttons"])
    if options[0].startswith("1. "):  # numbered: a label starting with a digit would read "1. 2…"
        assert not any(b["title"][:1].isdigit() for b in variant["buttons"]), name
    assert text.rstrip()[-1:] in ("？", "：", "。", "！"), name


@pytest.mark.parametrize("verdict", RETURN_REFUSALS)
def test_every_refusal_of_a_return_offers_its_next_step(verdict: Verdict) -> None:
    variants = DOMAIN["responses"][f"utter_policy_{verdict.value}"]
    assert all(v.get("buttons") for v in variants)


def test_every_reprompt_has_a_second_wording() -> None:
    """A second miss should not repeat the first word for word."""
    single = [
        name for name, variants in DOMAIN["responses"].items()
        if name.startswith("utter_invalid_") and len(variants) < 2
    ]  # fmt: skip
    assert single == []

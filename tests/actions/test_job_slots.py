"""Every slot a job fills is cleared when the job is cancelled or ends, so nothing leaks into
the next job; the list comes from domain.yml, so a new slot cannot be forgotten."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionSubmitComplaint
from actions.detours import ActionCancelJob
from actions.job_slots import CONVERSATION_SLOTS, JOB_FORMS, form_slots, job_slots
from actions.refunds import ActionShowRefundStatus
from actions.repairs import ActionBookRepair
from actions.returns import ActionSubmitReturn
from tests.actions.conftest import DOMAIN, prove

# Slots that outlive a job on purpose: the conversation's proof, the survey's context.
NOT_A_JOB_SLOT = CONVERSATION_SLOTS | {
    "job_done", "job_failed", "topic", "product_category", "survey_offered", "handoff_wanted",
}  # fmt: skip


def test_every_slot_belongs_to_a_form_or_is_kept_on_purpose() -> None:
    owned = {s for form in DOMAIN["forms"] for s in form_slots(DOMAIN, form)}
    assert set(DOMAIN["slots"]) - owned - NOT_A_JOB_SLOT == set()


def test_the_repair_helper_slots_belong_to_the_repair_job() -> None:
    slots = form_slots(DOMAIN, "repair_form")
    for helper in ("repair_covered", "repair_paid", "repair_contact", "repair_visit_start",
                   "repair_visit_end"):  # fmt: skip
        assert helper in slots


async def test_cancel_clears_every_slot_of_every_job() -> None:
    filled = {slot: "x" for slot in job_slots(DOMAIN)}
    filled["verified_order"] = "202411150003"
    track = Tracker("c", filled, {"intent": {"name": "cancel"}}, [], False, None, {}, "")
    events = await ActionCancelJob().run(CollectingDispatcher(), track, DOMAIN)
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    for form in JOB_FORMS:
        assert set(form_slots(DOMAIN, form)) <= cleared, form
    assert "verified_order" not in cleared  # proof is the conversation's


@pytest.mark.parametrize(
    ("action", "form", "loop"),
    [(ActionSubmitReturn(), "return_form", "return_form"),
     (ActionSubmitReturn(), "exchange_form", "exchange_form"),
     (ActionShowRefundStatus(), "refund_status_form", None),
     (ActionBookRepair(), "repair_form", None),
     (ActionSubmitComplaint(), "complaint_form", None)],
)  # fmt: skip
async def test_the_end_of_a_job_clears_its_slots(
    action: Action, form: str, loop: str | None
) -> None:
    filled: dict[str, Any] = {slot: "x" for slot in form_slots(DOMAIN, form)}
    filled.update(order_id="202411150003", complaint_severity="low", complaint_order="none")
    events = [{"event": "active_loop", "name": loop}, {"event": "active_loop", "name": None}]
    track = Tracker("c", filled, {"intent": {"name": "inform"}}, events, False, None, {}, "")
    result = await action.run(CollectingDispatcher(), track, DOMAIN)
    cleared = {e["name"] for e in result if e["event"] == "slot" and e["value"] is None}
    assert set(form_slots(DOMAIN, form)) - {"order_id"} <= cleared


async def test_a_completed_return_clears_its_answers(demo_store: str) -> None:
    prove("202411150003", "c")
    filled = {"order_id": "202411150003", "verified_order": "202411150003", "phone": "****8000",
              "return_reason": "no_reason", "return_confirm": "yes"}  # fmt: skip
    events = [{"event": "active_loop", "name": "return_form"}]
    track = Tracker("c", filled, {"intent": {"name": "inform"}}, events, False, None, {}, "")
    result = await ActionSubmitReturn().run(CollectingDispatcher(), track, DOMAIN)
    values = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert values["job_done"] is True
    assert all(values[s] is None for s in form_slots(DOMAIN, "return_form") if s != "order_id")

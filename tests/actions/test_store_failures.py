"""With the store unreachable, every job answers with its own apology and a next step, never
silence or a crash, whether the failure comes inside a form's validation, in a question, or
in the action that ends the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionSubmitComplaint, ValidateComplaintForm
from actions.guard import JOB_FAILED
from actions.handoff import ActionRequestHandoff
from actions.identity import ActionAskOrderItem, ActionAskPhone
from actions.job_slots import JOB_OF_FORM, form_slots
from actions.rating import ActionSaveRating
from actions.refunds import ActionShowRefundStatus, ValidateRefundStatusForm
from actions.repairs import ActionBookRepair, ValidateRepairForm
from actions.returns import ActionSubmitReturn, ValidateReturnForm
from bot.config import get_settings
from bot.store.db import engine_for
from tests.actions.conftest import DOMAIN

ORDER = "202411150003"


@pytest.fixture(autouse=True)
def store_down(store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DATABASE_URL points into a directory that does not exist: every connect fails."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'gone' / 'store.db'}")
    get_settings.cache_clear()
    engine_for.cache_clear()


def tracker(slots: dict[str, Any], form: str | None, set_now: tuple[str, ...] = ()) -> Tracker:
    """A tracker inside `form` whose latest user message just set the slots in `set_now`."""
    events: list[dict[str, Any]] = [{"event": "active_loop", "name": form}] if form else []
    events.append({"event": "user", "text": "x", "parse_data": {}})
    events += [{"event": "slot", "name": s, "value": slots[s]} for s in set_now]
    message = {"intent": {"name": "inform"}, "entities": [], "text": "x"}
    loop = {"name": form} if form else {}
    return Tracker("conv-down", slots, message, events, False, None, loop, "action_listen")


async def run(action: Action, track: Tracker) -> tuple[list[dict], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, DOMAIN)
    return events, [m["response"] for m in dispatcher.messages]


def slot_values(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(
    ("validator", "form", "job"),
    [(ValidateReturnForm(), "return_form", "return"),
     (ValidateRepairForm(), "repair_form", "repair"),
     (ValidateRefundStatusForm(), "refund_status_form", "refund")],
)  # fmt: skip
async def test_a_failure_inside_a_form_apologises_and_ends_the_form(
    validator: Action, form: str, job: str
) -> None:
    events, said = await run(validator, tracker({"order_id": ORDER}, form, ("order_id",)))
    assert said == [f"utter_{job}_unavailable"]
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    values = slot_values(events)
    assert values[JOB_FAILED] is True and values["requested_slot"] is None
    assert all(values[s] is None for s in form_slots(DOMAIN, form) if s != "order_id")


async def test_a_complaint_naming_an_order_apologises_as_a_complaint() -> None:
    slots = {"complaint_description": "快递员态度很差", "complaint_order": ORDER}
    _, said = await run(
        ValidateComplaintForm(), tracker(slots, "complaint_form", ("complaint_order",))
    )
    assert said == ["utter_complaint_unavailable"]


@pytest.mark.parametrize("ask", [ActionAskOrderItem(), ActionAskPhone()])
async def test_a_failure_while_asking_ends_the_form_too(ask: Action) -> None:
    verified = {"order_id": ORDER, "verified_order": ORDER}
    events, said = await run(ask, tracker(verified, "repair_form"))
    assert said == ["utter_repair_unavailable"]
    assert slot_values(events)[JOB_FAILED] is True


@pytest.mark.parametrize(
    ("action", "slots", "job"),
    [(ActionSubmitReturn(), {"return_confirm": "yes", "return_reason": "no_reason"}, "return"),
     (ActionShowRefundStatus(), {}, "refund"),
     (ActionBookRepair(), {"repair_covered": True, "repair_mode": "send_in",
                           "repair_fault": "不开机"}, "repair"),
     (ActionSubmitComplaint(), {"complaint_description": "快递员态度很差",
                                "complaint_severity": "low"}, "complaint"),
     (ActionRequestHandoff(), {}, "handoff")],
)  # fmt: skip
async def test_a_failure_at_the_end_of_a_job_apologises_for_that_job(
    action: Action, slots: dict, job: str
) -> None:
    verified = {"order_id": ORDER, "verified_order": ORDER, **slots}
    events, said = await run(action, tracker(verified, None))
    assert said == [f"utter_{job}_unavailable"]
    values = slot_values(events)
    assert values.get("job_done") is False
    if job != "handoff":  # the job's answers do not carry into the next try
        assert all(values[s] is None for s in slots), values


async def test_an_unsaved_rating_is_said_and_not_asked_again() -> None:
    slots = {"rating_overall": 4.0, "rating_solved": True, "rating_comment": "-"}
    events, said = await run(ActionSaveRating(), tracker(slots, None))
    assert said == ["utter_rating_unavailable"]
    values = slot_values(events)
    assert values["rating_overall"] is None and values["rating_solved"] is None


@pytest.mark.parametrize(
    "action", [ActionSubmitReturn(), ActionShowRefundStatus(), ActionBookRepair(),
               ActionSubmitComplaint()]
)  # fmt: skip
async def test_after_a_failure_the_submit_action_only_clears_the_flag(action: Action) -> None:
    events, said = await run(action, tracker({JOB_FAILED: True}, None))
    assert said == []  # the apology was said when the form failed
    assert slot_values(events) == {JOB_FAILED: None, "job_done": False}


def test_every_job_has_its_own_apology() -> None:
    for job in {*JOB_OF_FORM.values(), "handoff"}:
        assert f"utter_{job}_unavailable" in DOMAIN["responses"], job


async def test_an_unexpected_error_is_apologised_for_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise ValueError("delivered after today")  # bad data in the store, say

    monkeypatch.setattr("actions.returns.assess_return", broken)
    verified = {"order_id": ORDER, "verified_order": ORDER, "return_reason": "不想要了"}
    events, said = await run(
        ValidateReturnForm(), tracker(verified, "return_form", ("return_reason",))
    )
    assert said == ["utter_return_unavailable"]
    assert slot_values(events)[JOB_FAILED] is True

"""One place where a store failure becomes an apology with a next step, never silence.

Every action and form validator that touches the store derives from `GuardedAction` or
`GuardedValidation`. A `StoreError` anywhere inside is logged (its type only: no personal
data), the customer hears the job's own apology (`utter_<job>_unavailable`) with a person on
offer, and the job's form ends with its slots cleared and `job_failed` set, so the job's
submit action (which the rules run next) finishes quietly instead of acting on half a job.
An expired proof of ownership asks for the proof again instead; any other exception (a bug,
bad data) is logged with its trace, which the log filter redacts, and apologised for the same
way: the customer never meets an empty reply.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.job_slots import JOB_OF_FORM, form_slots, job_slots, reset
from bot.services import DuplicateRequest, OwnershipNotVerified, StoreError, describe_request

logger = logging.getLogger(__name__)

JOB_FAILED = "job_failed"


def _failure(
    action: Action, exc: Exception, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    form: str | None, job: str | None, ends_job: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """The apology and the events that end the job cleanly after `exc`."""
    job = job or JOB_OF_FORM.get(form or "", "handoff")
    if isinstance(exc, OwnershipNotVerified):
        # The proof expired (or was never in the store): ask for it again, no system apology.
        logger.info("%s: ownership no longer proved", action.name())
        dispatcher.utter_message(response="utter_order_not_verified")
        proof = [SlotSet("verified_order", None), SlotSet("phone", None)]
    elif isinstance(exc, DuplicateRequest):  # the customer asked twice: show the first one
        logger.info("%s: %s already in progress", action.name(), job)
        dispatcher.utter_message(response=f"utter_{job}_already_open", request_id=exc.public_id)
        proof = []
    elif isinstance(exc, StoreError):
        logger.error("%s failed (%s): %s", action.name(), job, type(exc).__name__)
        dispatcher.utter_message(response=f"utter_{job}_unavailable")
        proof = []
    else:  # a bug or bad data: the trace goes to the log (redacted), the customer an apology
        logger.exception("%s failed (%s)", action.name(), job)
        dispatcher.utter_message(response=f"utter_{job}_unavailable")
        proof = []
    if form:
        return [
            *reset(form_slots(domain, form), keep=("order_id",)), *proof,
            SlotSet(JOB_FAILED, True), SlotSet("requested_slot", None), ActiveLoop(None),
        ]  # fmt: skip
    cleared = reset(job_slots(domain), keep=("order_id",)) if ends_job else []
    return [*cleared, *proof, SlotSet("job_done", False)]


async def show_open_request(
    dispatcher: CollectingDispatcher, public_id: str, conversation_id: str
) -> None:
    """Where the request a second application ran into stands (best effort: the refusal
    itself was already said)."""
    from actions.followup import view_values  # followup builds on this module

    try:
        view = await asyncio.to_thread(describe_request, public_id, conversation_id)
    except Exception:
        logger.warning("could not show the open request %s", public_id)
        return
    if view is not None:
        dispatcher.utter_message(response=f"utter_status_{view.stage}", **view_values(view))


class GuardedAction(Action, ABC):
    """An action whose failures end in the job's apology. Subclasses write `act`."""

    job: ClassVar[str | None] = None  # None: the job of the active form
    # A job's submit action: after a failure inside its form it only clears the flag, and a
    # failure of its own clears the job's slots.
    ends_job: ClassVar[bool] = False

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run `act`; a failure becomes an apology instead of an empty reply."""
        if self.ends_job and tracker.get_slot(JOB_FAILED):
            return [SlotSet(JOB_FAILED, None), SlotSet("job_done", False)]  # apology was said
        form = (tracker.active_loop or {}).get("name")
        try:
            return await self.act(dispatcher, tracker, domain)
        except Exception as exc:
            events = [
                *_failure(self, exc, dispatcher, domain, form, self.job, self.ends_job),
                *self.after_failure(domain),
            ]
            if isinstance(exc, DuplicateRequest):
                await show_open_request(dispatcher, exc.public_id, tracker.sender_id)
            return events

    def after_failure(self, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Events to add after the apology (for example, slots to clear)."""
        return []

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """What the action does when the store answers."""


class GuardedValidation(FormValidationAction, ABC):
    """A form validator whose failures (in any `validate_<slot>` or in `required_slots`)
    end the form with the job's apology."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form>: abstract, so the SDK does not register this base."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Validate as the SDK does; a failure becomes an apology."""
        try:
            return await super().run(dispatcher, tracker, domain)
        except Exception as exc:
            return _failure(self, exc, dispatcher, domain, self.form_name(), None)

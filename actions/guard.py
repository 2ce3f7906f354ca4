"""One place where a store failure becomes an apology with a next step, never silence.

Every action and form validator that touches the store derives from `GuardedAction` or
`GuardedValidation`. A `StoreError` anywhere inside is logged (its type only: no personal
data), the customer hears the job's own apology (`utter_<job>_unavailable`) with a person on
offer, and the job's form ends with its slots cleared and `job_failed` set, so the job's
submit action (which the rules run next) finishes quietly instead of acting on half a job.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.job_slots import JOB_OF_FORM, form_slots, reset
from bot.services import StoreError

logger = logging.getLogger(__name__)

JOB_FAILED = "job_failed"


def _failure(
    action: Action, exc: StoreError, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    form: str | None, job: str | None,
) -> list[dict[str, Any]]:  # fmt: skip
    job = job or JOB_OF_FORM.get(form or "", "handoff")
    logger.error("%s failed (%s): %s", action.name(), job, type(exc).__name__)
    dispatcher.utter_message(response=f"utter_{job}_unavailable")
    if not form:
        return [SlotSet("job_done", False)]
    return [
        *reset(form_slots(domain, form), keep=("order_id",)),
        SlotSet(JOB_FAILED, True),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
    ]


class GuardedAction(Action, ABC):
    """An action whose store failures end in the job's apology. Subclasses write `act`."""

    job: ClassVar[str | None] = None  # None: the job of the active form
    # A job's submit action: after a failure inside its form it only clears the flag.
    ends_job: ClassVar[bool] = False

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run `act`; a store failure becomes an apology instead of an empty reply."""
        if self.ends_job and tracker.get_slot(JOB_FAILED):
            return [SlotSet(JOB_FAILED, None), SlotSet("job_done", False)]  # apology was said
        form = (tracker.active_loop or {}).get("name")
        try:
            return await self.act(dispatcher, tracker, domain)
        except StoreError as exc:
            return [
                *_failure(self, exc, dispatcher, domain, form, self.job),
                *self.after_failure(),
            ]

    def after_failure(self) -> list[dict[str, Any]]:
        """Events to add after the apology (for example, slots to clear)."""
        return []

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """What the action does when the store answers."""


class GuardedValidation(FormValidationAction, ABC):
    """A form validator whose store failures (in any `validate_<slot>` or in
    `required_slots`) end the form with the job's apology."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form>: abstract, so the SDK does not register this base."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Validate as the SDK does; a store failure becomes an apology."""
        try:
            return await super().run(dispatcher, tracker, domain)
        except StoreError as exc:
            return _failure(self, exc, dispatcher, domain, self.form_name(), None)

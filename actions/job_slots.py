"""Which slots belong to which job, read from the domain: one source of truth.

A job's slots are its form's `required_slots` plus the slots named after the form (for
`repair_form`, every slot whose name starts with `repair_`: the helper slots its validator
sets, such as `repair_covered`). Cancelling a job, finishing it, or switching to another
order resets exactly these, so nothing leaks into the next job.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

# The forms that do a customer's job (the rating form only follows one).
JOB_FORMS = (
    "refund_status_form",
    "return_form",
    "exchange_form",
    "repair_form",
    "complaint_form",
    "followup_form",
    "parcel_form",
)
# Which apology a job's store failure gets: utter_<job>_unavailable.
JOB_OF_FORM = {
    "refund_status_form": "refund",
    "return_form": "return",
    "exchange_form": "return",
    "repair_form": "repair",
    "complaint_form": "complaint",
    "followup_form": "followup",
    "parcel_form": "parcel",
    "rating_form": "rating",
}
# Proof of ownership is the conversation's, not a job's: it survives cancel and completion.
CONVERSATION_SLOTS = frozenset({"verified_order"})
# Helper slots several job forms share, and which: cleared with each one's own slots.
SHARED_JOB_SLOTS = {
    "already_open": ("return_form", "exchange_form", "repair_form"),  # actions/one_open.py
}


def form_slots(domain: dict[str, Any], form: str) -> list[str]:
    """The slots one form fills: its required slots, the slots named after it, and the
    shared helper slots it uses."""
    required = list(domain.get("forms", {}).get(form, {}).get("required_slots", []))
    prefix = form.removesuffix("_form") + "_"
    helpers = [s for s in domain.get("slots", {}) if s.startswith(prefix) and s not in required]
    shared = [
        s for s, forms in SHARED_JOB_SLOTS.items()
        if form in forms and s in domain.get("slots", {}) and s not in required
    ]  # fmt: skip
    return required + helpers + shared


def job_slots(domain: dict[str, Any]) -> list[str]:
    """Every slot any job form fills, plus `requested_slot`, without duplicates."""
    slots: list[str] = []
    for form in JOB_FORMS:
        slots += [s for s in form_slots(domain, form) if s not in slots]
    return [s for s in slots if s not in CONVERSATION_SLOTS] + ["requested_slot"]


def reset(slots: list[str], *, keep: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """SlotSet(None) events for `slots`, except those in `keep`."""
    return [SlotSet(slot, None) for slot in slots if slot not in keep]

"""What the bot itself gets wrong, from the conversations the tracker store keeps: how often it
did not understand, how often customers went to a person and after what, where they gave up in
the middle of a form, and how many turns a finished job took. These decide what to train next.

Pure over event rows (`Event`); bot.services.transcripts reads them from the store.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTION = "action_request_handoff"
RATING_FORM = "rating_form"  # the survey is not a job: leaving it is not giving up
IDLE = dt.timedelta(minutes=30)  # a form left this long is abandoned, not in progress
TOP = 10


@dataclass(frozen=True)
class Event:
    """One tracker event, as stored."""

    conversation_id: str
    kind: str  # Rasa's type_name: user, bot, action, slot, active_loop, …
    at: dt.datetime
    data: dict[str, Any]


@dataclass
class _Conversation:
    user_turns: int = 0
    job_turns: int = 0  # customer messages since the last job ended, the survey's left out
    outside_forms: int = 0  # customer messages while no form was asking
    fallbacks: int = 0
    handed_off: bool = False
    last_intent: str | None = None
    active_form: str | None = None
    requested_slot: str | None = None
    turns_per_job: list[int] = field(default_factory=list)
    last_at: dt.datetime | None = None


@dataclass(frozen=True)
class BotQuality:
    """The bot's own figures over a set of conversations."""

    conversations: int
    messages: int
    fallback_rate: float | None  # share of customer messages outside a form not understood
    fallback_guesses: list[tuple[str, int]]  # what the model half-thought those were
    handoff_rate: float | None  # share of conversations that asked for a person
    handoff_after: list[tuple[str, int]]  # the intent of the message before each handoff
    abandoned: list[tuple[str, int]]  # "form / slot" where customers left, most often first
    abandoned_conversations: int
    jobs_done: int
    median_turns_per_job: float | None


def _intent(data: dict[str, Any]) -> str:
    return str(((data.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def _best_guess(data: dict[str, Any]) -> str | None:
    """The likeliest real intent behind a fallback (the ranking's first that is not it)."""
    for entry in (data.get("parse_data") or {}).get("intent_ranking") or []:
        name = entry.get("name")
        if name and name != FALLBACK_INTENT:
            return str(name)
    return None


def bot_quality(events: Iterable[Event], now: dt.datetime) -> BotQuality:
    """The figures over every conversation that has at least one customer message."""
    talks: dict[str, _Conversation] = defaultdict(_Conversation)
    guesses: Counter[str] = Counter()
    handoff_after: Counter[str] = Counter()
    for event in events:
        talk = talks[event.conversation_id]
        talk.last_at = event.at
        if event.kind == "user":
            talk.user_turns += 1
            if talk.active_form != RATING_FORM:
                talk.job_turns += 1
            talk.last_intent = _intent(event.data)
            # inside a form an answer (an address, a description) is taken as the slot's value
            # whatever the classifier thought, so only messages outside forms count
            talk.outside_forms += talk.active_form is None
            if talk.last_intent == FALLBACK_INTENT and talk.active_form is None:
                talk.fallbacks += 1
                guesses[_best_guess(event.data) or "—"] += 1
        elif event.kind == "action" and event.data.get("name") == HANDOFF_ACTION:
            if not talk.handed_off:
                handoff_after[talk.last_intent or "—"] += 1
            talk.handed_off = True
        elif event.kind == "active_loop":
            talk.active_form = event.data.get("name")
            talk.requested_slot = None
        elif event.kind == "slot" and event.data.get("name") == "requested_slot":
            talk.requested_slot = event.data.get("value")
        elif event.kind == "slot" and event.data.get("name") == "job_done":
            if event.data.get("value") is True:
                talk.turns_per_job.append(talk.job_turns)
                talk.job_turns = 0
    spoken = {k: t for k, t in talks.items() if t.user_turns}
    messages = sum(t.user_turns for t in spoken.values())
    free = sum(t.outside_forms for t in spoken.values())
    abandoned: Counter[str] = Counter()
    for talk in spoken.values():
        idle = talk.last_at is not None and now - talk.last_at >= IDLE
        if talk.active_form and talk.active_form != RATING_FORM and idle:
            abandoned[f"{talk.active_form} / {talk.requested_slot or '—'}"] += 1
    per_job = [turns for t in spoken.values() for turns in t.turns_per_job]
    return BotQuality(
        conversations=len(spoken),
        messages=messages,
        fallback_rate=sum(t.fallbacks for t in spoken.values()) / free if free else None,
        fallback_guesses=guesses.most_common(TOP),
        handoff_rate=(sum(t.handed_off for t in spoken.values()) / len(spoken) if spoken else None),
        handoff_after=handoff_after.most_common(TOP),
        abandoned=abandoned.most_common(TOP),
        abandoned_conversations=sum(abandoned.values()),
        jobs_done=len(per_job),
        median_turns_per_job=median(per_job) if per_job else None,
    )

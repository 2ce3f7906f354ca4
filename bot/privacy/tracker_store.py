"""A tracker store that keeps conversations without full phone numbers or channel tokens.

Configured in endpoints.yml; it wraps whichever Rasa tracker store `inner` names (SQL by
default, see `bot.cli.serve`), so the production store and the event broker both only ever
see redacted events.

A turn costs the same at message 4 and at message 400: only the events added since the tracker
was retrieved (or last saved) are redacted. The tracker handed to Rasa remembers, in a private
attribute, its redacted counterpart up to its last event; `save` copies that counterpart and
applies redacted copies of the new events to it, instead of redacting and replaying them all.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.privacy.redact import redact_event

_REDACTED_COPY = "_bot_redacted_copy"  # attribute of a tracker handed out by this store


@dataclass(frozen=True)
class _RedactedCopy:
    """What the inner store holds of a live tracker: `tracker` is the redacted conversation (its
    events and the state they replay to) up to and including the live event `last`."""

    last: Event | None
    tracker: DialogueStateTracker  # never changed once remembered: `save` works on copies


def _copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker with `tracker`'s state and events that can be updated without changing it:
    its own events deque and slots (cost: the slots, and one reference per event)."""
    duplicate = copy.copy(tracker)
    vars(duplicate).pop(_REDACTED_COPY, None)
    duplicate.events = deque(tracker.events, tracker.events.maxlen)
    duplicate.slots = copy.copy(tracker.slots)
    for name, slot in duplicate.slots.items():
        duplicate.slots[name] = copy.copy(slot)
    duplicate.active_loop = copy.copy(tracker.active_loop)
    duplicate.latest_action = copy.copy(tracker.latest_action)
    return duplicate


def _remember(live: DialogueStateTracker, redacted: DialogueStateTracker) -> None:
    last = live.events[-1] if live.events else None
    setattr(live, _REDACTED_COPY, _RedactedCopy(last, redacted))


def _redacted_events(events: Sequence[Event]) -> list[Event]:
    return deserialise_events([redact_event(event.as_dict()) for event in events])


class RedactingTrackerStore(TrackerStore):
    """Stores a redacted copy of every tracker in the `inner` tracker store."""

    def __init__(
        self,
        domain: Domain | None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        inner: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """`inner` is a tracker_store section as endpoints.yml writes it (None: in memory)."""
        inner_config = EndpointConfig.from_dict(inner) if inner else None
        self._inner = TrackerStore.create(inner_config, domain, event_broker)
        super().__init__(domain, event_broker, **kwargs)

    @property
    def domain(self) -> Domain:
        """The domain trackers are rebuilt with (set again whenever a model is loaded)."""
        return self._inner.domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        self._inner.domain = domain

    def redacted(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """The same conversation with personal data masked, rebuilt from all its events."""
        events = [redact_event(event.as_dict()) for event in tracker.events]
        return DialogueStateTracker.from_dict(
            tracker.sender_id, events, self.domain.slots, self._inner.max_event_history
        )

    @staticmethod
    def _redacted_since_remembered(tracker: DialogueStateTracker) -> DialogueStateTracker | None:
        """The redacted conversation built from the remembered copy and redacted copies of the
        events added since; None if `tracker` has no remembered copy that still fits it."""
        remembered: _RedactedCopy | None = getattr(tracker, _REDACTED_COPY, None)
        if remembered is None:
            return None
        new: list[Event] = []
        for event in reversed(tracker.events):  # new events are at the end: stop at the known
            if event is remembered.last:
                break
            new.append(event)
        else:
            if remembered.last is not None:  # the remembered events are gone: start again
                return None
        redacted = _copy(remembered.tracker)
        for event in _redacted_events(new[::-1]):
            redacted.update(event)
        return redacted

    def _handed_out(self, tracker: DialogueStateTracker | None) -> DialogueStateTracker | None:
        """`tracker` from the inner store (already redacted), remembering its redacted state."""
        if tracker is not None:
            _remember(tracker, _copy(tracker))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store (and stream to the event broker) only the redacted conversation."""
        redacted = self._redacted_since_remembered(tracker)
        if redacted is None:  # not handed out by this store: redact the whole conversation
            redacted = self.redacted(tracker)
        await self._inner.save(redacted)
        _remember(tracker, redacted)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The stored conversation's current session."""
        return self._handed_out(await self._inner.retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """The stored conversation with all its sessions."""
        return self._handed_out(await self._inner.retrieve_full_tracker(conversation_id))

    async def keys(self) -> Iterable[str]:
        """Every stored conversation id."""
        return await self._inner.keys()

"""A tracker store that keeps conversations without full phone numbers or channel tokens.

Configured in endpoints.yml; it wraps whichever Rasa tracker store `inner` names (SQL by
default, see `bot.cli.serve`), so the production store and the event broker both only ever
see redacted events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.privacy.redact import redact_event


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
        """The same conversation with personal data masked, rebuilt from its events."""
        events = [redact_event(event.as_dict()) for event in tracker.events]
        return DialogueStateTracker.from_dict(
            tracker.sender_id, events, self.domain.slots, self._inner.max_event_history
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store (and stream to the event broker) only the redacted conversation."""
        await self._inner.save(self.redacted(tracker))

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The stored conversation's current session."""
        return await self._inner.retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """The stored conversation with all its sessions."""
        return await self._inner.retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[str]:
        """Every stored conversation id."""
        return await self._inner.keys()

"""One open application or booking per item: said as soon as the order is proved and the
item known, not after the customer has answered every question of a second one."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guard import show_open_request
from actions.identity import chosen_item, is_verified
from bot.services import order_lines
from bot.services.orders import open_application_for

SLOT = "already_open"  # the open one's id: the form asks nothing more, its submit opens nothing


class OneOpenPerItem:
    """Mixed into a form validation before the ownership validation; `job` is `return`
    (returns, exchanges, refund-only) or `repair`."""

    job: ClassVar[str]

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:  # fmt: skip
        """Nothing more to ask once an open one was found."""
        slots: list[str] = await super().required_slots(  # type: ignore[misc]
            domain_slots, dispatcher, tracker, domain
        )
        return [] if tracker.get_slot(SLOT) else slots

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Validate as before; once the order is proved and the item known, show the item's
        open application or booking if it has one."""
        events: list[EventType] = await super().get_validation_events(  # type: ignore[misc]
            dispatcher, tracker, domain
        )
        tracker.add_slots(events)
        if tracker.get_slot(SLOT) or not is_verified(tracker):
            return events
        order_no, me, item = tracker.get_slot("order_id"), tracker.sender_id, chosen_item(tracker)
        if item is None and len(await asyncio.to_thread(order_lines, order_no, me)) > 1:
            return events  # which item is asked first
        found = await asyncio.to_thread(open_application_for, order_no, me, item, self.job)
        if found is None:
            return events
        dispatcher.utter_message(response=f"utter_{self.job}_already_open", request_id=found)
        await show_open_request(dispatcher, found, me)
        return [*events, SlotSet(SLOT, found)]

"""A message delivered twice is handled once: the second delivery gets the first one's replies.

In the production profile nginx gives every request an id (`X-Request-Id`) and, when the
replica it chose dies before answering, sends the same request, with the same id, to another
replica. The first replica may have finished the turn and saved it before it died; handling the
message again would put it into the conversation twice. So the REST channels keep the id in the
message's metadata (`delivery_id`), and before a message is handled the conversation is read:
if a message with that id is already in it, its stored replies are sent again instead (as
stored: redacted, so an upload link in them reads [redacted]). Where no nginx sets the header
(the embedded default), a client may send it as an idempotency key for its own retries; it
only ever reaches the conversation it already writes to.

Installed in the Rasa server's process by `bot.cli.rasa_entry`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from bot.privacy.redact import redact_value

if TYPE_CHECKING:
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

DELIVERY_HEADER = "X-Request-Id"
DELIVERY_KEY = "delivery_id"  # in a message's metadata
DELIVERY_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # nginx's $request_id is 32 hex digits


def delivery_id(header: str | None) -> str | None:
    """The header's id if it is one (16–64 letters, digits, _ or -), else None."""
    return header if header is not None and DELIVERY_ID.fullmatch(header) else None


def earlier_replies(tracker: DialogueStateTracker, delivery: str) -> list[dict[str, Any]] | None:
    """The replies the bot gave to the message delivered as `delivery`, if that message is in
    the conversation (None if it is not)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    # The stored conversation is redacted: an id that looks like a phone number in part is
    # stored masked, so it is looked for in both forms.
    wanted = {delivery, redact_value(delivery)}
    replies: list[dict[str, Any]] | None = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # the next message: the replies to ours are complete
            if (event.metadata or {}).get(DELIVERY_KEY) in wanted:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event.message())
    return replies


def install_redelivery_replay() -> None:
    """Patch Rasa's processor (in this process) so a redelivered message is answered from the
    conversation instead of handled again."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.handle_message
    if getattr(original, "replays", False):
        return

    async def handle_message(
        self: MessageProcessor, message: UserMessage
    ) -> list[dict[str, Any]] | None:
        delivery = (message.metadata or {}).get(DELIVERY_KEY)
        if isinstance(delivery, str):
            tracker = await self.tracker_store.retrieve(message.sender_id)
            replies = earlier_replies(tracker, delivery) if tracker is not None else None
            if replies is not None:
                logger.warning("a message delivered twice was answered from the conversation")
                for reply in replies:
                    await message.output_channel.send_response(message.sender_id, dict(reply))
                channel = message.output_channel
                return channel.messages if isinstance(channel, CollectingOutputChannel) else None
        return await original(self, message)

    handle_message.replays = True  # type: ignore[attr-defined]
    MessageProcessor.handle_message = handle_message

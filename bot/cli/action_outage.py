"""What the Rasa server does when an action cannot run: apologise within a few seconds.

Rasa 3.6 waits 300 s for the action server, then logs the failure, drops the action's events
and goes on predicting: the customer waits minutes and gets nothing, or a reply that assumes
the action ran. Installed in the Rasa server's process (`bot.cli.rasa_entry`), this

- gives the action server `ACTION_TIMEOUT_SECONDS` (default 8) to answer;
- when an action fails for any reason but a rejection (server down, hung, 5xx, a bug),
  abandons the turn: nothing of it is saved, so the conversation is where it was before the
  message (forms and slots included), and the customer gets `utter_action_unavailable`. Sent
  again once the server is back, the same message continues the conversation.

(Taking the message back with Rasa's `UserUtteranceReverted` does not work inside a form:
Rasa folds a form's repeated runs together first, and the revert then removes the whole form.)
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa.core.actions.action import Action
    from rasa.core.channels.channel import OutputChannel, UserMessage
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 8.0
APOLOGY = "utter_action_unavailable"
# Said when even the domain's wording cannot be produced.
LAST_RESORT = "抱歉，系统暂时出了点问题，您刚才这句没能处理。请过一两分钟再发一次。"


class TurnAbandoned(Exception):
    """An action of this turn failed: the turn is not saved."""


def action_timeout_s(environ: dict[str, str] | None = None) -> float:
    """ACTION_TIMEOUT_SECONDS, at least 1 s (default 8 s)."""
    env = os.environ if environ is None else environ
    try:
        return max(1.0, float(env.get("ACTION_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_TIMEOUT_S


class _Watched:
    """An action whose failure (not its rejection) is noted instead of raised."""

    def __init__(self, action: Action) -> None:
        self._action = action
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)

    async def run(
        self,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> list[Event]:
        from rasa.core.actions.action import ActionExecutionRejection

        try:
            return await self._action.run(output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form's "not this slot": Rasa's own handling
        except Exception as exc:
            logger.error(
                "action %s failed (%s): the turn is abandoned and the customer told to try again",
                self._action.name(), type(exc).__name__,
            )  # fmt: skip
            self.failed = True
            return []


async def _apologise(processor: MessageProcessor, message: UserMessage) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(message.sender_id, processor.domain.slots)
    try:
        said = await processor.nlg.generate(APOLOGY, tracker, message.output_channel.name())
    except Exception:  # the apology must not fail in turn
        said = None
    await message.output_channel.send_response(message.sender_id, said or {"text": LAST_RESORT})


def install_action_outage_handling(timeout_s: float | None = None) -> None:
    """Patch Rasa's processor (in this process) to abandon a turn whose action failed and
    apologise, and set how long it waits for the action server."""
    from rasa.core.actions import action as rasa_action
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor

    rasa_action.DEFAULT_REQUEST_TIMEOUT = timeout_s or action_timeout_s()  # read at each call
    run_original, handle_original = MessageProcessor._run_action, MessageProcessor.handle_message
    if getattr(run_original, "abandons", False):
        return

    async def run_action(self: MessageProcessor, action: Action, *args: Any, **kwargs: Any) -> bool:
        watched = _Watched(action)
        more = await run_original(self, watched, *args, **kwargs)
        if watched.failed:
            raise TurnAbandoned(action.name())
        return more

    async def handle_message(
        self: MessageProcessor, message: UserMessage
    ) -> list[dict[str, Any]] | None:
        try:
            return await handle_original(self, message)
        except TurnAbandoned:
            await _apologise(self, message)
            channel = message.output_channel
            return channel.messages if isinstance(channel, CollectingOutputChannel) else None

    run_action.abandons = True  # type: ignore[attr-defined]
    MessageProcessor._run_action = run_action
    MessageProcessor.handle_message = handle_message

"""What the Rasa server does when an action cannot run: apologise within a few seconds.

Rasa 3.6 waits 300 s for the action server, then logs the failure, drops the action's events
and goes on predicting: the customer waits minutes and gets nothing, or a reply that assumes
the action ran. Installed in the Rasa server's process (`bot.cli.rasa_entry`), this

- gives the action server `ACTION_TIMEOUT_SECONDS` (default 8) to answer;
- when an action fails for any reason but a rejection (server down, hung, 5xx, a bug)
  before any custom action of the turn succeeded, abandons the turn: nothing of it is saved,
  so the conversation is where it was before the message (forms and slots included), and the
  customer gets `utter_action_unavailable`. Sent again once the server is back, the same
  message continues the conversation.
- when it fails after one succeeded (say an application was filed, then the survey's form
  could not start), keeps the turn up to there and ends it with the same apology: what the
  successful action did stands, and sending the message again does not do it twice.

(Taking the message back with Rasa's `UserUtteranceReverted` does not work inside a form:
Rasa folds a form's repeated runs together first, and the revert then removes the whole form.)
"""

from __future__ import annotations

import contextvars
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
    """An action of this turn failed before any custom action succeeded: the turn is not
    saved."""


# Whether a custom action of the turn being handled has succeeded (it may have changed the
# store). One per task: each message is handled in its own.
_COMMITTED: contextvars.ContextVar[bool] = contextvars.ContextVar("committed", default=False)
# Asks and validations read and check; any other custom action may change the store.
_READ_ONLY_PREFIXES = ("action_ask_", "validate_")


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
        from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
        from rasa.shared.core.events import FollowupAction

        try:
            events = await self._action.run(output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form's "not this slot": Rasa's own handling
        except Exception as exc:
            committed = _COMMITTED.get()
            logger.error(
                "action %s failed (%s: %s); %s", self._action.name(), type(exc).__name__, exc,
                "the turn ends with an apology" if committed else "the turn is abandoned",
            )  # fmt: skip
            if not committed:
                self.failed = True
                return []
            apology = await _apology(nlg, tracker, output_channel.name())
            return [_utterance(apology), FollowupAction("action_listen")]
        name = self._action.name()
        if isinstance(self._action, RemoteAction) and not name.startswith(_READ_ONLY_PREFIXES):
            _COMMITTED.set(True)
        return events


async def _apology(
    nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker, channel: str
) -> dict[str, Any]:
    try:
        said = await nlg.generate(APOLOGY, tracker, channel)
    except Exception:  # the apology must not fail in turn
        said = None
    return said or {"text": LAST_RESORT}


def _utterance(said: dict[str, Any]) -> Event:
    from rasa.core.actions.action import create_bot_utterance

    return create_bot_utterance(said)


async def _apologise(processor: MessageProcessor, message: UserMessage) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(message.sender_id, processor.domain.slots)
    said = await _apology(processor.nlg, tracker, message.output_channel.name())
    await message.output_channel.send_response(message.sender_id, said)


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
        _COMMITTED.set(False)
        try:
            return await handle_original(self, message)
        except TurnAbandoned:
            await _apologise(self, message)
            channel = message.output_channel
            return channel.messages if isinstance(channel, CollectingOutputChannel) else None

    run_action.abandons = True  # type: ignore[attr-defined]
    MessageProcessor._run_action = run_action
    MessageProcessor.handle_message = handle_message

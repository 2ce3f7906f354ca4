"""An action that fails: before anything was done in the turn, the turn is abandoned; after a
custom action succeeded (it may have filed something), the turn ends with an apology and
what was done stands."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, FollowupAction, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.cli import action_outage
from bot.cli.action_outage import _COMMITTED, _Watched

DOMAIN = Domain.from_dict({"responses": {"utter_action_unavailable": [{"text": "抱歉，没能处理"}]}})


class _Remote(RemoteAction):
    def __init__(self, name: str, fails: bool) -> None:
        super().__init__(name, None)
        self.fails = fails

    async def run(self, *args: Any, **kwargs: Any) -> list:
        if self.fails:
            raise TimeoutError("the action server did not answer")
        return [SlotSet("request_id", "RT1")]


def _turn(*actions: RemoteAction) -> tuple[list[_Watched], list[list], bool]:
    """The actions run one after the other in one turn (one task, as Rasa runs them)."""

    async def turn() -> tuple[list[_Watched], list[list], bool]:
        _COMMITTED.set(False)
        channel = CollectingOutputChannel()
        tracker = DialogueStateTracker("chat-1", DOMAIN.slots)
        nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
        watched = [_Watched(action) for action in actions]
        events = [await w.run(channel, nlg, tracker, DOMAIN) for w in watched]
        return watched, events, _COMMITTED.get()

    return asyncio.run(turn())


def test_a_failure_before_anything_was_done_abandons_the_turn() -> None:
    [watched], [events], _ = _turn(_Remote("action_check_order", fails=True))
    assert watched.failed and events == []


def test_a_failure_after_a_filing_keeps_the_turn_and_apologises() -> None:
    watched, events, committed = _turn(
        _Remote("action_submit_return", fails=False), _Remote("action_start_survey", fails=True)
    )
    assert committed and not any(w.failed for w in watched)
    assert events[0] == [SlotSet("request_id", "RT1")]
    assert isinstance(events[1][0], BotUttered) and events[1][0].text == "抱歉，没能处理"
    assert events[1][1] == FollowupAction("action_listen")


def test_asks_and_validations_do_not_count_as_done() -> None:
    _, _, committed = _turn(
        _Remote("action_ask_order_id", fails=False), _Remote("validate_return_form", fails=False)
    )
    assert not committed
    assert action_outage.action_timeout_s({"ACTION_TIMEOUT_SECONDS": "0.1"}) == 1.0
    assert action_outage.action_timeout_s({"ACTION_TIMEOUT_SECONDS": "x"}) == 8.0

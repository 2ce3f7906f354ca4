"""A message the balancer delivers twice: found in the conversation by its delivery id, and
answered with the replies it had."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.redelivery import DELIVERY_KEY, delivery_id, earlier_replies

FIRST, SECOND = "a" * 32, "b" * 32


def _conversation() -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("退款到哪了", metadata={DELIVERY_KEY: FIRST}),
        BotUttered("请提供订单号。"),
        ActionExecuted("action_listen"),
        UserUttered("202411020007", metadata={DELIVERY_KEY: SECOND}),
        BotUttered("找到了订单。", data={"buttons": [{"title": "是", "payload": "/affirm"}]}),
        BotUttered("请提供手机号。"),
        ActionExecuted("action_listen"),
        UserUttered("9000"),
        BotUttered("退款处理中。"),
    ]
    return DialogueStateTracker.from_events("chat-1", events, Domain.empty().slots)


def test_the_replies_of_a_message_already_handled() -> None:
    tracker = _conversation()
    assert [r["text"] for r in earlier_replies(tracker, FIRST) or []] == ["请提供订单号。"]
    second = earlier_replies(tracker, SECOND) or []
    assert [r["text"] for r in second] == ["找到了订单。", "请提供手机号。"]
    assert second[0]["buttons"] == [{"title": "是", "payload": "/affirm"}]
    assert earlier_replies(tracker, "c" * 32) is None


def test_only_id_shaped_headers_are_delivery_ids() -> None:
    assert delivery_id("0123456789abcdef0123456789abcdef") is not None
    for header in (None, "", "short", "x" * 65, "a b" * 10, "../../../../etc/passwd00", "é" * 20):
        assert delivery_id(header) is None

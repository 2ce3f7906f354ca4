"""The bot's own figures from tracker events, against counts worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.insights.bot_quality import Event, bot_quality

TZ = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 28, 10, tzinfo=TZ)
LATER = START + dt.timedelta(hours=2)


class Talk:
    """Builds one conversation's events a minute apart."""

    def __init__(self, conversation_id: str) -> None:
        self.id, self.events, self.minute = conversation_id, [], 0

    def _add(self, kind: str, data: dict[str, Any]) -> Talk:
        self.minute += 1
        self.events.append(Event(self.id, kind, START + dt.timedelta(minutes=self.minute), data))
        return self

    def user(self, intent: str, *ranking: str) -> Talk:
        parse = {"intent": {"name": intent}, "intent_ranking": [{"name": n} for n in ranking]}
        return self._add("user", {"text": "…", "parse_data": parse})

    def action(self, name: str) -> Talk:
        return self._add("action", {"name": name})

    def form(self, name: str | None) -> Talk:
        return self._add("active_loop", {"name": name})

    def asks(self, slot: str) -> Talk:
        return self._add("slot", {"name": "requested_slot", "value": slot})

    def done(self) -> Talk:
        return self._add("slot", {"name": "job_done", "value": True})


def test_no_conversations_no_rates() -> None:
    figures = bot_quality([], LATER)
    assert figures.conversations == figures.messages == figures.jobs_done == 0
    assert figures.fallback_rate is None and figures.handoff_rate is None
    assert figures.median_turns_per_job is None and figures.abandoned == []


def test_fallbacks_handoffs_abandoned_forms_and_turns_per_job() -> None:
    finished = (
        Talk("a").user("request_return").form("return_form").asks("order_id")
        .user("inform").asks("return_reason").user("inform").form(None).done()
        .user("request_exchange").user("inform").done()  # a second job: 2 more turns
    )  # fmt: skip
    confused = (
        Talk("b").user("nlu_fallback", "nlu_fallback", "complain").user("nlu_fallback", "urge")
        .user("human_handoff").action("action_request_handoff").action("action_request_handoff")
    )  # fmt: skip
    gave_up = (
        Talk("c").user("book_repair").form("repair_form").asks("repair_address")
        .user("nlu_fallback", "inform").asks("repair_slot")  # an address: the form took it
    )  # fmt: skip
    rating_left = Talk("d").user("goodbye").form("rating_form").asks("rating_overall")
    silent = Talk("e").action("action_session_start")  # no customer message: not counted
    events = [e for t in (finished, confused, gave_up, rating_left, silent) for e in t.events]
    figures = bot_quality(events, LATER)
    assert (figures.conversations, figures.messages) == (4, 11)
    assert figures.fallback_rate == 2 / 8  # of the 8 messages no form was asking for
    assert figures.fallback_guesses == [("complain", 1), ("urge", 1)]
    assert figures.handoff_rate == 1 / 4 and figures.handoff_after == [("human_handoff", 1)]
    assert figures.abandoned == [("repair_form / repair_slot", 1)]  # the survey is not a job
    assert figures.jobs_done == 2 and figures.median_turns_per_job == 2.5  # 3 turns, then 2


def test_a_form_still_being_filled_is_not_abandoned() -> None:
    recent = Talk("f").user("book_repair").form("repair_form").asks("repair_address")
    assert bot_quality(recent.events, START + dt.timedelta(minutes=10)).abandoned == []

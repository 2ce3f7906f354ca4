"""FAQ answers and 转人工, with the real domain and a temporary store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, func, select

from actions.faq import ActionAnswerFaq
from actions.handoff import ActionRequestHandoff
from bot.services import handoffs
from bot.store.models import HandoffRequest
from tests.actions.conftest import DOMAIN, render, tracker

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def faq_tracker(question: str):
    selector = {"faq": {"response": {"utter_action": f"utter_faq/{question}"}}}
    return tracker(intent="faq", response_selector=selector)


async def test_faq_answer_is_filled_from_the_policy() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerFaq().run(dispatcher, faq_tracker("refund_time"), DOMAIN)
    text = render(dispatcher.messages[0])
    assert "3个工作日内" in text and "5个工作日内" in text and "1–3个工作日" in text


async def test_faq_follows_the_operators_policy_file(tmp_path: Path, monkeypatch) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("no_reason_return_days: 10\n", encoding="utf-8")
    monkeypatch.setenv("POLICY_FILE", str(policy))
    dispatcher = CollectingDispatcher()
    await ActionAnswerFaq().run(dispatcher, faq_tracker("return_window"), DOMAIN)
    assert "签收后10天内" in render(dispatcher.messages[0])


async def test_faq_without_a_selected_answer_asks_to_rephrase() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerFaq().run(dispatcher, tracker(intent="faq"), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_please_rephrase"


def _handoffs(url: str) -> int:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(HandoffRequest)).scalar_one()
    engine.dispose()
    return count


@pytest.mark.parametrize(("hour", "response"), [(10, "open"), (23, "closed")])
async def test_handoff_is_filed_once_and_says_when(
    store: str, monkeypatch: pytest.MonkeyPatch, hour: int, response: str
) -> None:
    moment = dt.datetime(2026, 11, 23, hour, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(handoffs, "shop_now", lambda: moment)
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        await ActionRequestHandoff().run(dispatcher, tracker("c-1", "human_handoff"), DOMAIN)
    message = dispatcher.messages[0]
    assert message["response"] == f"utter_handoff_created_{response}"
    assert message["handoff_id"] == "HO20261123-0001"
    assert "HO20261123-0001" in render(message)
    assert _handoffs(store) == 1


async def test_handoff_apologises_when_the_store_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    from bot.config import get_settings

    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    await ActionRequestHandoff().run(dispatcher, tracker("c-2", "human_handoff"), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_unavailable"]


def test_a_closed_handoff_offers_the_survey_once_unless_the_customer_rated(store: str) -> None:
    from bot.policy import Dimension
    from bot.services.handling import apply_step
    from bot.services.ratings import RatedService, save_rating
    from bot.store import InvalidRequest
    from bot.store.models import CustomerNotice, RequestEvent

    first = handoffs.request_handoff("conv-waiting", "asked", "refund")
    apply_step("close-handoff", first.public_id, "已电话联系，退款已加急")
    with pytest.raises(InvalidRequest):
        apply_step("close-handoff", first.public_id)  # closed once
    second = handoffs.request_handoff("conv-waiting", "asked", None)
    apply_step("close-handoff", second.public_id)  # same conversation: no second survey
    rated = handoffs.request_handoff("conv-rated", "asked", None)
    save_rating(RatedService("conv-rated", "rest", "faq"), {Dimension.OVERALL: 5},
                solved=True, comment=None)  # fmt: skip
    apply_step("close-handoff", rated.public_id)
    engine = create_engine(store, future=True)
    with engine.connect() as conn:
        notices = conn.execute(select(CustomerNotice.conversation_id, CustomerNotice.kind)).all()
        events = conn.execute(select(RequestEvent.event).where(
            RequestEvent.subject == first.public_id)).scalars().all()  # fmt: skip
        statuses = conn.execute(select(HandoffRequest.status)).scalars().all()
    engine.dispose()
    assert [tuple(n) for n in notices] == [("conv-waiting", "survey")]
    assert events == ["opened", "closed"] and set(statuses) == {"done"}

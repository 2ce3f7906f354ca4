"""Answers to policy questions, with the numbers taken from the policy module."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.policy import configured_rules


class ActionExplainReturnPolicy(Action):
    """Tell the return and exchange windows as the operator configured them."""

    def name(self) -> str:
        return "action_explain_return_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rules = configured_rules()
        dispatcher.utter_message(
            response="utter_return_policy",
            no_reason_days=rules.no_reason_return_days,
            quality_days=rules.quality_return_days,
            special_categories="、".join(sorted(rules.special_categories)),
            review_working_days=rules.return_review_working_days,
        )
        return []

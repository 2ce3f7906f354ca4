"""The action server's answers are judged as Rasa's own check judges them."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.cli.action_response_check import _validator, check_action_result

SCHEMA = RemoteAction.action_response_format_spec()
GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "202411020007"}],
     "responses": [{"response": "utter_ask_phone"}, {"text": "好的", "buttons": []}]},
    {},
]  # fmt: skip
BAD = [
    {"events": "not a list"},
    {"events": [{"name": "no event type"}]},
    {"responses": [42]},
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "yesterday"}]},
]


@pytest.mark.parametrize("answer", GOOD)
def test_what_rasa_accepts_is_accepted(answer: dict) -> None:
    jsonschema.validate(answer, SCHEMA)  # Rasa's own check
    assert check_action_result(answer)


@pytest.mark.parametrize("answer", BAD)
def test_what_rasa_refuses_is_refused_with_its_message(answer: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(answer, SCHEMA)
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        check_action_result(answer)


def test_the_schema_is_compiled_once() -> None:
    for answer in GOOD * 3:
        check_action_result(answer)
    assert _validator.cache_info().misses <= 1

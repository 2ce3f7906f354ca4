"""Rasa's check of the action server's answer, with its schema compiled once.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate`, which with
jsonschema 4.17 first validates the schema itself against its meta-schema, every time: a
profile of a replica under load put half of its CPU there. The schema never changes, so the
validator is built (and the schema checked) once; the answer is checked exactly as before and
a bad one raises the same `ValidationError` with Rasa's message. Installed in the Rasa
server's process by `bot.cli.rasa_entry`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def check_action_result(result: dict[str, Any]) -> bool:
    """True if `result` is a valid action server answer; Rasa's ValidationError if not."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        f"the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install_cached_action_response_check() -> None:
    """Have Rasa's RemoteAction (in this process) check answers with the compiled schema."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = lambda self, result: check_action_result(result)

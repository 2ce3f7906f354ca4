"""Sign-in tokens: only a valid, unexpired token signed with our secret names a customer."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from bot.customer_tokens import issue_token, verified_customer

SECRET = "s" * 32


def test_a_valid_token_names_its_customer() -> None:
    assert verified_customer(issue_token("42", SECRET), SECRET) == "42"


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        42,
        "not-a-jwt",
        issue_token("42", "x" * 32),  # signed with another key
        issue_token("42", SECRET, ttl=dt.timedelta(seconds=-1)),  # expired
        jwt.encode({"sub": "42"}, SECRET, algorithm="HS256"),  # no expiry
        jwt.encode({"sub": "42", "exp": 9999999999}, key=None, algorithm="none"),  # unsigned
    ],
)
def test_anything_else_names_nobody(token: object) -> None:
    assert verified_customer(token, SECRET) is None


def test_without_a_secret_tokens_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import get_settings

    monkeypatch.delenv("CUSTOMER_TOKEN_SECRET", raising=False)
    get_settings.cache_clear()
    assert verified_customer(issue_token("42", SECRET)) is None
    get_settings.cache_clear()


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        issue_token("42", "short")


@pytest.mark.parametrize("token", ["\ud800", "eyJ\ud800.eyJ.sig", "a.b", " "])
def test_a_token_that_cannot_be_read_is_ignored(token: str) -> None:
    assert verified_customer(token, "s" * 40) is None

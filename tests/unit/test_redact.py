"""Stored conversation events keep no full phone number and no sign-in token."""

from __future__ import annotations

import pytest

from bot.privacy import mask_phones_in, redact_event


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机13800138000", "我的手机138****8000"),
        ("电话 138-0013-8000 谢谢", "电话 138****8000 谢谢"),
        ("+86 138 0013 8000", "138****8000"),
        ("１３８００１３８０００", "138****8000"),  # full-width digits
        ("订单202411150003", "订单202411150003"),  # an order number is not a phone
        ("订单13800138000123", "订单13800138000123"),  # nor is a phone inside a longer number
        ("后四位8000", "后四位8000"),
    ],
)
def test_mask_phones_in(text: str, expected: str) -> None:
    assert mask_phones_in(text) == expected


def test_user_event_text_entities_and_token_are_redacted() -> None:
    event = {
        "event": "user",
        "text": "13800138000",
        "parse_data": {
            "text": "13800138000",
            "entities": [{"entity": "phone", "value": "13800138000"}],
            "metadata": {"customer_token": "eyJ.secret", "channel": "web"},
        },
        "metadata": {"customer_token": "eyJ.secret", "channel": "web"},
    }
    redacted = redact_event(event)
    assert "13800138000" not in repr(redacted) and "eyJ.secret" not in repr(redacted)
    assert redacted["parse_data"]["entities"][0]["value"] == "138****8000"
    assert redacted["metadata"]["channel"] == "web"
    assert event["text"] == "13800138000", "the live event is not changed"


def test_free_text_slots_are_masked_but_order_numbers_are_kept() -> None:
    note = redact_event({"event": "slot", "name": "repair_address", "value": "打13800138000"})
    order = redact_event({"event": "slot", "name": "order_id", "value": "13800138000"})
    assert note["value"] == "打138****8000"
    assert order["value"] == "13800138000"


def test_session_metadata_slot_loses_the_token() -> None:
    event = {"event": "slot", "name": "session_started_metadata",
             "value": {"customer_token": "eyJ.secret", "channel": "app"}}  # fmt: skip
    assert redact_event(event)["value"] == {"customer_token": "[redacted]", "channel": "app"}

"""Stored conversation events keep no full phone number and no sign-in token."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.identifiers import normalise_phone
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
        ("手机1380 013 8000", "手机138****8000"),
        ("（138）0013-8000，谢谢", "138****8000，谢谢"),  # the rest stays as written
        ("请发一下订单号：在“我的订单”里，ＯＫ～", "请发一下订单号：在“我的订单”里，ＯＫ～"),
        ("打138.0013.8000或0086 13900139000", "打138****8000或139****9000"),
        ("订单202411150003手机13800138000", "订单202411150003手机138****8000"),
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


def test_redacting_twice_changes_nothing() -> None:
    event = {
        "event": "user",
        "text": "打 138-0013-8000",
        "parse_data": {"entities": [{"entity": "phone", "value": "13800138000"}]},
        "metadata": {"token": "eyJ.secret"},
    }
    once = redact_event(event)
    assert redact_event(once) == once
    assert once["parse_data"]["entities"][0]["value"] == "138****8000"


def test_free_text_slots_are_masked_but_order_numbers_are_kept() -> None:
    note = redact_event({"event": "slot", "name": "repair_address", "value": "打13800138000"})
    order = redact_event({"event": "slot", "name": "order_id", "value": "JD202411150003"})
    assert note["value"] == "打138****8000"
    assert order["value"] == "JD202411150003"
    # A value shaped like a mobile is a phone wherever it is: the NLU never reads one as an
    # order number (bot/nlp/spacy_zh.py), so only a hand-made entity can put it there.
    phone_shaped = redact_event({"event": "slot", "name": "order_id", "value": "13800138000"})
    assert phone_shaped["value"] == "138****8000"


def test_session_metadata_slot_loses_the_token() -> None:
    event = {"event": "slot", "name": "session_started_metadata",
             "value": {"customer_token": "eyJ.secret", "channel": "app"}}  # fmt: skip
    assert redact_event(event)["value"] == {"customer_token": "[redacted]", "channel": "app"}


# Ways customers write a mobile: each digit half- or full-width, up to two separators between
# any two digits, an optional country prefix.
_DIGITS = {d: [d, chr(ord("０") + int(d))] for d in "0123456789"}
_SEPARATORS = [" ", "-", ".", "(", ")", "（", "）", "·", "\u3000", "－"]
_PREFIXES = ["", "+86", "+86 ", "(+86) ", "0086", "0086-", "86", "＋８６"]
_CHINESE = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5) | st.sampled_from("，。！？：、 "),
    max_size=30,
)
_SEPARATOR_CHARS = re.compile(r"[\s\-.()·（）－]")


@st.composite
def written_phones(draw: st.DrawFn) -> tuple[str, str]:
    """A mobile and one way of writing it."""
    phone = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    parts = [draw(st.sampled_from(_PREFIXES))]
    for i, digit in enumerate(phone):
        if i:
            parts.append(draw(st.text(st.sampled_from(_SEPARATORS), max_size=2)))
        parts.append(draw(st.sampled_from(_DIGITS[digit])))
    return phone, "".join(parts)


@given(written_phones(), _CHINESE, _CHINESE)
def test_a_phone_written_any_way_is_masked_inside_chinese_text(
    written_phone: tuple[str, str], before: str, after: str
) -> None:
    phone, written = written_phone
    assert normalise_phone(written) == phone, "a way of writing it that normalise_phone accepts"
    masked = mask_phones_in(before + written + after)
    assert phone not in _SEPARATOR_CHARS.sub("", masked)
    middle, last4 = phone[3:7], phone[7:]
    assume(middle != last4)  # 138****8000 shows the last four, which may repeat the middle
    assert middle not in _SEPARATOR_CHARS.sub("", masked)
    assert f"{phone[:3]}****{last4}" in masked


@given(
    st.from_regex(r"20[0-9]{10,18}", fullmatch=True)
    | st.from_regex(r"[A-Z]{1,4}[0-9]{12,20}", fullmatch=True)
    | st.from_regex(r"[0-9]{12,20}", fullmatch=True).filter(lambda n: normalise_phone(n) is None),
    _CHINESE,
    _CHINESE,
)
def test_order_numbers_stay_intact(order_no: str, before: str, after: str) -> None:
    assert order_no in mask_phones_in(before + order_no + after)


@pytest.mark.parametrize("slot", ["complaint_order", "order_id", "verified_order"])
def test_a_phone_typed_into_an_order_slot_is_masked(slot: str) -> None:
    typed = {"event": "slot", "name": slot, "value": "忘了，有事打我13800138000"}
    assert "13800138000" not in redact_event(typed)["value"]
    order = {"event": "slot", "name": slot, "value": "202411150003"}
    assert redact_event(order)["value"] == "202411150003"


def test_a_phone_put_into_any_entity_is_masked() -> None:
    event = {
        "event": "user",
        "text": '/inform{"order_id":"13800138000"}',
        "parse_data": {"entities": [{"entity": "order_id", "value": "13800138000"}]},
    }
    redacted = redact_event(event)
    assert redacted["parse_data"]["entities"][0]["value"] == "138****8000"
    assert "13800138000" not in redacted["text"]


@pytest.mark.parametrize(
    "value",
    [13900139000, [13800138000], {"v": "13900139000"}, {"deep": [{"x": 13900139000}]}],
)
def test_phones_sent_as_numbers_lists_or_objects_are_masked(value: object) -> None:
    for event in (
        {"event": "slot", "name": "phone", "value": value},
        {
            "event": "user",
            "text": "x",
            "parse_data": {"entities": [{"entity": "product", "value": value}]},
        },
    ):
        stored = str(redact_event(event))
        assert "13900139000" not in stored and "13800138000" not in stored


def test_channel_metadata_keeps_no_phone_and_no_token_under_any_name() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
    metadata = {"mobile": "13900139000", "customerToken": token,
                "customData": {"customer_token": token, "phone": "139 0013 9000"}}  # fmt: skip
    for event in (
        {"event": "user", "text": "hi", "metadata": metadata, "parse_data": {"metadata": metadata}},
        {"event": "session_started", "metadata": metadata},
        {"event": "slot", "name": "session_started_metadata", "value": metadata},
    ):
        stored = str(redact_event(event))
        assert "13900139000" not in stored and "0013" not in stored and token not in stored


def test_a_token_pasted_into_the_text_is_replaced() -> None:
    event = {
        "event": "user",
        "text": "我的登录凭证是 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln 帮我查",
    }
    assert "eyJ" not in redact_event(event)["text"]


def test_an_upload_link_the_bot_gave_is_not_kept_in_the_conversation() -> None:
    from bot.photos import upload_link, upload_token

    token = upload_token("RT20261128-0001", "s" * 40)
    said = {
        "event": "bot",
        "text": "点这个链接上传：" + upload_link("https://shop.example.com", token),
        "data": {"custom": {"photo_upload": {"token": token}}},
    }
    stored = redact_event(said)
    assert token not in str(stored) and "https://shop.example.com/upload?t=" in stored["text"]
    assert redact_event(stored) == stored

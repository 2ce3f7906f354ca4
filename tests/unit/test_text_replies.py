"""Replies for platforms without buttons: numbered options, and a number read back."""

from __future__ import annotations

import base64
import hashlib
import hmac

from bot.channels.dingtalk import signature
from bot.channels.text_replies import as_plain_text, chosen_option

OPTIONS = [
    {"title": "退换货", "payload": "/request_return"},
    {"title": "5 非常满意", "payload": "5"},
]


def test_buttons_become_numbered_options() -> None:
    text = as_plain_text(
        [{"text": "请问有什么可以帮您？", "buttons": OPTIONS}, {"text": "或直接说"}]
    )
    assert text == "请问有什么可以帮您？\n1. 退换货\n2. 5 非常满意\n或直接说"


def test_a_number_chooses_an_option_and_anything_else_is_kept() -> None:
    assert chosen_option("1", OPTIONS) == "/request_return"
    assert chosen_option(" 2。", OPTIONS) == "5"
    assert chosen_option("3", OPTIONS) == "3"  # no third option: the text as typed
    assert chosen_option("8000", OPTIONS) == "8000"
    assert chosen_option("1", []) == "1"


def test_the_dingtalk_signature_matches_the_documented_recipe() -> None:
    # base64(HMAC-SHA256(key=secret, msg=timestamp + "\n" + secret)), as DingTalk documents it
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"1700000000000\ns3cret", hashlib.sha256).digest()
    ).decode()
    assert signature("1700000000000", "s3cret") == expected

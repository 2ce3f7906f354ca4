"""Replies for platforms without buttons: numbered options, and a number read back."""

from __future__ import annotations

import base64
import hashlib
import hmac

from bot.channels.dingtalk import signature
from bot.channels.text_replies import as_plain_text, chosen_option

OPTIONS = [
    {"title": "退换货", "payload": "/request_return"},
    {"title": "查退款", "payload": "/ask_refund_status"},
]
SCORES = [{"title": f"{n} 分", "payload": str(n)} for n in (5, 4, 3, 2, 1)]


def test_buttons_become_numbered_options() -> None:
    text = as_plain_text(
        [{"text": "请问有什么可以帮您？", "buttons": OPTIONS}, {"text": "或直接说"}]
    )
    assert text == "请问有什么可以帮您？\n1. 退换货\n2. 查退款\n或直接说"


def test_a_number_chooses_an_option_and_anything_else_is_kept() -> None:
    assert chosen_option("1", OPTIONS) == "/request_return"
    assert chosen_option(" 2。", OPTIONS) == "/ask_refund_status"
    assert chosen_option("3", OPTIONS) == "3"  # no third option: the text as typed
    assert chosen_option("8000", OPTIONS) == "8000"
    assert chosen_option("1", []) == "1"


def test_score_buttons_are_not_numbered_again_and_a_typed_score_is_the_score() -> None:
    # Listed 5 first: numbering them would make a typed "5" the fifth option, 1 point.
    assert (
        as_plain_text([{"text": "打分", "buttons": SCORES}]) == "打分\n5 分\n4 分\n3 分\n2 分\n1 分"
    )
    assert chosen_option("5", SCORES) == "5"
    assert chosen_option("1", SCORES) == "1"


def test_the_dingtalk_signature_matches_the_documented_recipe() -> None:
    # base64(HMAC-SHA256(key=secret, msg=timestamp + "\n" + secret)), as DingTalk documents it
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"1700000000000\ns3cret", hashlib.sha256).digest()
    ).decode()
    assert signature("1700000000000", "s3cret") == expected

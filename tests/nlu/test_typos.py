"""Same-sound typos of after-sales words are repaired; real words and word pieces are not."""

from __future__ import annotations

import pytest

from bot.nlp.typos import correct_typos


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("我要推货", "我要退货"),
        ("退宽到哪一步了", "退款到哪一步了"),
        ("电视开不了机,预约维休", "电视开不了机,预约维修"),
        ("头诉!快递员把东西扔门口", "投诉!快递员把东西扔门口"),
        ("给我转仁工", "给我转人工"),
    ],
)
def test_typos_of_lexicon_words_are_repaired(typed: str, meant: str) -> None:
    assert correct_typos(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "克服困难",  # a word of its own that sounds like 客服
        "买重复了,退一个",  # 复了 sounds like 服了 but cuts through 重复
        "你们的人太不专业了",  # 不专 sounds like 不转
        "签收后多少天可以换货",  # 收后 sounds like 售后
        "可以货到付款吗",  # 到付 sounds like 到府
        "退货",
        "",
        "订单202411150003",
    ],
)
def test_words_and_word_pieces_are_left_alone(text: str) -> None:
    assert correct_typos(text) == text


def test_the_length_never_changes() -> None:
    text = "推货推货维休头诉" * 50
    assert len(correct_typos(text)) == len(text)

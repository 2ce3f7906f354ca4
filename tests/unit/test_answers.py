"""Yes or no from a customer's whole answer, as the rating, return and repair forms read it."""

from __future__ import annotations

import pytest

from bot.nlp.answers import answer_to_question, yes_or_no


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("不错，解决了", True), ("不错解决了", True), ("没问题了", True), ("嗯", True),
        ("算是吧", True), ("解决了，谢谢", True), ("好的呢", True), ("可以的亲", True),
        ("没毛病", True), ("ok", True), ("特别好，解决了", True), ("解决得特别快", True),
        ("没想到这么快就解决了", True), ("没有别的问题了，解决了", True),
        ("还没有", False), ("不算解决", False), ("没解决啊", False), ("不需要了", False),
        ("先不了", False), ("不", False), ("否", False), ("没有", False), ("算了吧", False),
        ("不太好", False), ("不太行", False), ("没呢", False), ("别了", False),
        ("随便", None), ("", None), ("5", None),
    ],
)  # fmt: skip
def test_the_whole_answer_decides(text: str, expected: bool | None) -> None:
    assert yes_or_no(text) is expected


@pytest.mark.parametrize(
    ("value", "intent", "expected"),
    [
        (True, None, True),  # a bool slot filled by an intent mapping
        ("yes", "affirm", True),
        ("no", "deny", False),
        ("嗯嗯好滴", "affirm", True),
        ("👌", "affirm", True),  # no words to read: the intent that filled the slot decides
        ("👌", "deny", False),
        ("不错，解决了", "deny", True),  # the words win over a misread intent
        ("随便", "inform", None),
    ],
)
def test_words_first_then_the_intent(
    value: object, intent: str | None, expected: bool | None
) -> None:
    assert answer_to_question(value, intent) is expected

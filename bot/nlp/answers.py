"""Short answers to yes/no questions, read as a whole the way customers type them."""

from __future__ import annotations

import re

# Words that hold 别 / 没 without saying no (特别 "very", 没想到 "didn't expect"): dropped first.
_NEUTRAL = re.compile(r"特别|区别|差别|告别|个别|别人|没想到")
# Positive idioms written with a negation (不错 "not bad", 没问题 "no problem"): read as 好, so
# the 不 / 没 inside them is not taken for a "no".
_POSITIVE_IDIOMS = re.compile(
    r"不错|没问题|没毛病|没事了|没事|不赖|没得说|没有别的问题|没别的问题|没其他问题|没有其他问题"
)
_NO = re.compile(
    r"没解决|未解决|没有解决|不算|还没|没有|^没|不是|不行|不要|不需要|不用|不好|不对|不可以"
    r"|不同意|不太|不怎么|不大|先不|算了|取消|^别|拒绝|^不[了呢啊吧]?$|^否$|\bno\b|\bnope\b"
)
_YES = re.compile(
    r"是|对|好|嗯|行|可以|确认|确定|提交|需要|要|安排|解决|同意|当然|算是|妥|\bok\b|\byes\b|\by\b"
)


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no, None if the (normalised) text says neither."""
    lowered = _POSITIVE_IDIOMS.sub("好", _NEUTRAL.sub("", text.lower()))
    if _NO.search(lowered):
        return False
    if _YES.search(lowered):
        return True
    return None


def answer_to_question(value: object, intent: str | None) -> bool | None:
    """A yes/no slot's answer: the words if they say yes or no, else the NLU's affirm/deny.

    `value` is what the slot mapping gave: a bool or yes/no from an intent mapping, or the
    customer's text.
    """
    if isinstance(value, bool):
        return value
    from_text = yes_or_no(str(value))
    if from_text is not None:
        return from_text
    return {"affirm": True, "deny": False}.get(intent or "")

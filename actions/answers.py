"""Short answers to yes/no questions, as customers type them."""

from __future__ import annotations

# "No" is looked for first: 不需要 and 先不了 contain a "yes" word too.
_NO_WORDS = ("不", "先不", "算了", "取消", "别", "no")
_YES_WORDS = (
    "确认",
    "确定",
    "提交",
    "需要",
    "安排",
    "是",
    "好",
    "可以",
    "对",
    "嗯",
    "行",
    "要",
    "ok",
)


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no, None if the (normalised) text says neither."""
    lowered = text.lower()
    if any(word in lowered for word in _NO_WORDS):
        return False
    if any(word in lowered for word in _YES_WORDS):
        return True
    return None

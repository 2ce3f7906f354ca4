"""The 1–5 satisfaction rating form's dimensions and checks (policy section 6)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

MIN_SCORE = 1
MAX_SCORE = 5


class Dimension(str, Enum):
    """What a rating can score; the form asks a few of them, `overall` always."""

    RESPONSIVENESS = "responsiveness"  # 响应及时性
    RESOLUTION = "resolution"  # 问题解决能力
    PROFESSIONALISM = "professionalism"  # 服务专业性
    PATIENCE = "patience"  # 沟通耐心度
    PROACTIVENESS = "proactiveness"  # 主动服务意识
    OVERALL = "overall"  # 整体满意度
    RECOMMEND = "recommend"  # 推荐意愿


def is_valid_score(value: object) -> bool:
    """True for an int 1..5 (bool excluded)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and MIN_SCORE <= value <= MAX_SCORE
    )


def is_extreme(scores: Mapping[Dimension, int | None]) -> bool:
    """Every answered item 1, or every one 5, across at least two items: flag for review."""
    given = [s for s in scores.values() if s is not None]
    return len(given) >= 2 and len(set(given)) == 1 and given[0] in (MIN_SCORE, MAX_SCORE)

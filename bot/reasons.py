"""Why a customer wants to send something back, from how they say it."""

from __future__ import annotations

import re

from bot.policy import ReturnReason

# Checked in this order: '发错尺码' is a wrong item, not a size problem; '快递压坏' is transit.
_PATTERNS = [
    (ReturnReason.WRONG_ITEM, r"发错|错发|寄错|不是我买的|不是我要的|型号不对|款式不对|少发|漏发"),
    (
        ReturnReason.TRANSIT_DAMAGE,
        r"运输|路上|快递.{0,4}(?:坏|破|压|摔)|压坏|摔坏|包装破|破损|外壳凹|送来就",
    ),
    (
        ReturnReason.QUALITY,
        r"质量|坏|瑕疵|故障|不能用|用不了|漏|掉色|开胶|开线|划痕|异味|怪味|不新鲜|过期|变质|"
        r"没声音|不工作|问题|残次|次品|假货|失灵|裂",
    ),
    (
        ReturnReason.NO_REASON,
        r"不想要|不要了|不喜欢|不合适|不合身|尺码|大了|小了|太大|太小|买错|拍错|后悔|无理由|"
        r"多买|买重|重复|用不上|不需要|颜色|改主意",
    ),
]


def classify_return_reason(text: str) -> ReturnReason | None:
    """The reason category of a free-text answer, or None if it says none of them."""
    for reason, pattern in _PATTERNS:
        if re.search(pattern, text):
            return reason
    return None

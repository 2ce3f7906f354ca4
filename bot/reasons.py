"""What the customer means, from how they say it: why something goes back, how a fault
happened, what is wrong with a parcel and what should happen about it."""

from __future__ import annotations

import re
from enum import Enum

from bot.policy import ParcelProblem, ParcelRemedy, ReturnReason

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


class DamageCause(str, Enum):
    """How a fault came about, as the customer tells it (policy: human damage is not covered)."""

    HUMAN = "human"  # dropped, crushed, soaked, taken apart: the buyer's damage
    NORMAL = "normal"  # it failed in normal use
    UNSURE = "unsure"  # the customer cannot tell: the inspection decides


# Accidents and misuse. 烧 is left out on purpose: 烧了 is as often a fault as a misuse; so are
# 不进水 and 进水阀 (a washing machine's own faults), 碰到 (我碰到个问题) and 掉下来 (a handle).
_HUMAN_DAMAGE = (
    r"摔|掉(?:在|到)?地|掉(?:进|到)水|跌|磕|碰(?:坏|了一?下|掉)|砸|挤压|压(?:坏|了|弯|碎|扁)|踩|"
    r"坐(?:坏|扁)|(?<!不)进(?:过)?水(?![阀口管])|泡(?:过)?水|浸水|泡了|淋(?:雨|湿)|洒|泼|拆机|"
    r"拆过|拆修|自己拆|自己修|私自|改装|咬|扯坏|人为|不小心|弄坏"
)
# The same accidents denied: 没摔过 / 没有进水 / 不是我摔的 say the opposite of their words.
_DENIED = re.compile(
    r"(?:没|没有|从没|从来没|未|不是|并没|也没|绝对没)(?:我|人)?(?:有|被)?(?:[过被]|怎么)?"
    rf"(?:(?:{_HUMAN_DAMAGE})[过了的]?)+"
)
_HUMAN = re.compile(_HUMAN_DAMAGE)
# Broken on arrival: whatever else is said (碰坏了), the buyer did not do it.
_ON_ARRIVAL = re.compile(r"拆开.{0,4}就|打开.{0,4}就|到手就|收到就|拿到就|送来就|送到就|一开箱")
_NORMAL = re.compile(
    r"(?<!不)正常|(?:什么|啥)(?:都|也)没(?:做|干|动)|自己坏|自己就坏|突然|莫名|无缘无故|用着用着|"
    r"好好的|好端端|没动过|一开机|开机就|刚买|刚用|质量问题|自然|没做什么|没干什么"
)
_UNSURE = re.compile(r"不知道|不清楚|不确定|说不清|说不好|不记得|不太清楚|不晓得|不懂|不好说")


def classify_damage_cause(text: str) -> DamageCause | None:
    """How the customer says the fault came about; None if the words do not say.

    Denied accidents (没摔过) count as normal use, so 没摔过也没进水 is not read as damage.
    """
    if _ON_ARRIVAL.search(text):
        return DamageCause.NORMAL
    undenied, denials = _DENIED.subn("", text)
    if _HUMAN.search(undenied):
        return DamageCause.HUMAN
    if denials or _NORMAL.search(undenied):
        return DamageCause.NORMAL
    if _UNSURE.search(undenied):
        return DamageCause.UNSURE
    return None


# Signed for / left somewhere first: 显示签收了但没收到 is not a stalled parcel.
_NOT_RECEIVED = re.compile(
    r"签收|签手|妥投|送达|已送到|放(?:在)?(?:门口|驿站|快递柜|丰巢|门卫|前台)|代收|代签|不是我签|"
    r"别人签|被人签|被签"
)
_STALLED = re.compile(
    r"不动|没动|不更新|没更新|没有更新|没有物流|没物流|卡在|卡住|停在|一直在|还没到|没到|没收到|"
    r"还没来|没送来|不送|丢|找不到|不见了|几天了|多久|慢|不走"
)


def classify_parcel_problem(text: str) -> ParcelProblem | None:
    """What the customer says is wrong with the delivery; None if the words do not say."""
    if _NOT_RECEIVED.search(text):
        return ParcelProblem.NOT_RECEIVED
    if _STALLED.search(text):
        return ParcelProblem.STALLED
    return None


_REMEDIES = [
    (ParcelRemedy.RESHIP, re.compile(r"补发|重发|再发|补寄|重新发|换个")),
    (ParcelRemedy.REFUND, re.compile(r"退款|退钱|退了|不要了|退吧|钱")),
    (ParcelRemedy.WAIT, re.compile(r"等|核实|再说|都行|都可以|随便|先查")),
]
# 不用补发了，直接退款: a remedy declined is not the one chosen.
_DECLINED_REMEDY = re.compile(
    r"(?:不用|不要|别|无需|不必|不想)(?:再|了)?(?:补发|重发|再发|补寄|退款|退钱)"
)
# 我再找找 / 找到了: the customer looks first (a parcel signed for may be at a locker).
_LOOK_FIRST = re.compile(r"找找|去找|再找|找到了|拿到了|收到了|我去看|先看看|去问问")


def classify_parcel_remedy(text: str) -> ParcelRemedy | None:
    """The customer's choice among reship, refund and waiting; None if it names none."""
    chosen = _DECLINED_REMEDY.sub("", text)
    for remedy, pattern in _REMEDIES:
        if pattern.search(chosen):
            return remedy
    return None


def looks_first(text: str) -> bool:
    """Does the customer want to look for the parcel (or has found it) before a check?"""
    return bool(_LOOK_FIRST.search(text))

"""How the damage happened, read from the way buyers write it (the policy excludes damage the
buyer caused from free repairs and quality returns)."""

from __future__ import annotations

import pytest

from bot.nlp.normalise import normalise
from bot.reasons import DamageCause, classify_damage_cause

HUMAN, NORMAL, UNSURE = DamageCause.HUMAN, DamageCause.NORMAL, DamageCause.UNSURE


@pytest.mark.parametrize(
    ("said", "cause"),
    [
        ("娃给摔地上了", HUMAN),
        ("不小心掉马桶里了", HUMAN),
        ("屏幕被压碎了", HUMAN),
        ("进水了还能保修不", HUMAN),
        ("摔碰、进水等意外造成的", HUMAN),  # the button
        ("亲 没摔没碰的 自己就不亮了", NORMAL),
        ("用了没几天就坏了 我啥也没干啊", NORMAL),
        ("从来没进过水", NORMAL),
        ("我没拆过", NORMAL),
        ("就正常用啊", NORMAL),
        ("拆开包装就是坏的", NORMAL),  # opening the box is not taking it apart
        ("正常使用中出现的", NORMAL),  # the button
        ("不知道咋回事", UNSURE),
        ("说不清楚", UNSURE),  # the button
        ("屏幕不亮", None),
        ("充着电就冒烟了", None),  # a fault or a misuse: the words do not say
    ],
)
def test_cause_in_buyers_words(said: str, cause: DamageCause | None) -> None:
    assert classify_damage_cause(normalise(said)) is cause


def test_traditional_characters_read_the_same() -> None:
    assert classify_damage_cause(normalise("孩子不小心摔壞了")) is HUMAN

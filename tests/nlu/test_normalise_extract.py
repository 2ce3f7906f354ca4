"""Normalisation, the spaCy pipeline's tokens and entities, and deterministic extraction."""

from __future__ import annotations

import datetime as dt

import pytest
import spacy
from hypothesis import given
from hypothesis import strategies as st

from bot.nlp.extract import extract_all, extract_amounts, extract_ratings, extract_times
from bot.nlp.normalise import MAX_CHARS, is_traditional, normalise
from bot.nlp.spacy_pipeline import build

NOW = dt.datetime(2026, 11, 23, 10, 0)  # Monday


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("我要退貨", "我要退货"),
        ("ＴＢ２０２４１１１５０００３", "tb202411150003"),
        ("退款呢？？？！！！", "退款呢?!"),
        ("😡你们什么服务", "生气你们什么服务"),
        ("🙂🙂🙂", ""),
        ("⭐⭐⭐", "⭐⭐⭐"),
        ("  在   吗 ", "在 吗"),
        ("", ""),
    ],
)
def test_normalise(raw: str, clean: str) -> None:
    assert normalise(raw) == clean


def test_traditional_and_simplified_read_the_same() -> None:
    assert normalise("請問退款多久到帳") == normalise("请问退款多久到账")
    assert is_traditional("退貨") and not is_traditional("退货")


def test_characters_opencc_cannot_take_are_dropped() -> None:
    assert normalise("手机\ud800号\udfff") == "手机号"  # lone surrogates: OpenCC would raise
    assert normalise("退\x00貨") == "退货"  # OpenCC stops at a NUL
    assert normalise("\ud83d\ude21差评") == "生气差评"  # a split surrogate pair is joined
    assert is_traditional("退貨\ud800")


# Any str, with lone surrogates and NULs much more often than st.text() alone would draw them.
_ANY_TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from("\ud800\udfff\x00"))


@given(st.text() | _ANY_TEXT)
def test_normalise_is_total(text: str) -> None:
    assert isinstance(normalise(text), str)
    assert isinstance(is_traditional(text), bool)


def test_very_long_input_is_cut() -> None:
    assert len(normalise("退" * 5000)) == MAX_CHARS


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build()


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("订单202411150003我要退货", [("202411150003", "order_id")]),
        ("我的手机号是138 0013 8000", [("138 0013 8000", "phone")]),
        ("+86 138-0013-8000", [("+86 138-0013-8000", "phone")]),
        ("13800138000", [("13800138000", "phone")]),  # 11-digit mobile: a phone, not an order
        ("tb2024111500031退款", [("tb2024111500031", "order_id")]),
        ("洗衣机坏了", [("洗衣机", "product")]),
        ("1234567", []),
    ],
)
def test_ruler_entities_line_up_with_tokens(nlp, text: str, entities: list) -> None:
    doc = nlp(text)
    assert [(e.text, e.label_) for e in doc.ents] == entities
    starts = {t.idx for t in doc}
    assert all(e.start_char in starts for e in doc.ents)


def test_products_map_to_the_catalogue_and_lemmas_hide_identifiers(nlp) -> None:
    doc = nlp("202411020007的洗衣机等了3天")
    assert [e.ent_id_ for e in doc.ents if e.label_ == "product"] == ["滚筒洗衣机"]
    assert [t.lemma_ for t in doc] == ["<订单号>", "的", "<商品>", "等", "了", "<数字>", "天"]


def test_synonyms_share_their_group_tag_as_lemma(nlp) -> None:
    lemmas = [t.lemma_ for t in nlp("我那笔货款何时到账")]
    assert lemmas == [t.lemma_ for t in nlp("我的钱什么时候到账")]
    assert "<钱>" in lemmas and "<何时>" in lemmas


def test_a_number_in_a_synonym_group_is_not_a_bare_number(nlp) -> None:
    assert "<投诉>" in [t.lemma_ for t in nlp("我要打12315")]


@pytest.mark.parametrize(
    ("text", "value"),
    [("退款129元", "129.00"), ("¥89.5", "89.50"), ("一百二十九块钱", "129.00"), ("退款", None)],
)
def test_amounts(text: str, value: str | None) -> None:
    found = extract_amounts(normalise(text))
    assert [e.value for e in found] == ([value] if value else [])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5), ("五分", 5), ("4星", 4), ("⭐⭐⭐", 3), ("非常满意", 5), ("很不满意", 1),
        ("一般", 3), ("10分", 10), ("退款一般几天到", None), ("我等了三天", None),
    ],
)  # fmt: skip
def test_ratings(text: str, value: int | None) -> None:
    found = extract_ratings(normalise(text))
    assert [e.value for e in found] == ([value] if value is not None else [])


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("师傅明天下午能来吗", "2026-11-24T13:00:00"),
        ("下周三上午", "2026-12-02T07:00:00"),
        ("11月25号", "2026-11-25T00:00:00"),
        ("后天", "2026-11-25T00:00:00"),
        ("周六上午10点", "2026-11-28T10:00:00"),
        ("周日下午", "2026-11-29T13:00:00"),
        ("3号上午", "2026-12-03T07:00:00"),  # the 3rd has passed: next month's
    ],
)
def test_times_prefer_the_future(text: str, start: str) -> None:
    assert [e.value for e in extract_times(normalise(text), NOW)] == [start]


@pytest.mark.parametrize(
    "text",
    [
        "换小一号",
        "地址:杭州市西湖区文三路1号",
        "3号楼2单元",
        "早上好",
        "现在下单有优惠吗",
        "等了三天",
        "订单202411150003",
    ],
)
def test_things_that_are_not_times(text: str) -> None:
    assert extract_times(normalise(text), NOW) == []


def test_past_references_stay_in_the_past() -> None:
    assert extract_times("上周六买的", NOW)[0].value == "2026-11-21T00:00:00"


def test_extract_all_skips_taken_spans() -> None:
    text = "明天下午3点"
    taken = extract_times(text, NOW)
    assert extract_all(text, NOW, taken=taken) == []

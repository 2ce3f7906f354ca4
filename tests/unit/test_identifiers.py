"""Order and phone numbers as customers type them."""

from __future__ import annotations

import pytest

from bot.identifiers import (
    find_phone,
    mask_phone,
    mask_proof,
    normalise_last4,
    normalise_order_no,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("202411150003", "202411150003"),
        (" 2024 1115 0003 ", "202411150003"),
        ("２０２４１１１５０００３", "202411150003"),  # full-width digits
        ("jd2024111500031", "JD2024111500031"),
        ("2024-1115-0003", "202411150003"),
        ("12345", None),
        ("123456789012345678901", None),
        ("订单202411150003", None),
        ("", None),
    ],
)
def test_order_numbers(text: str, expected: str | None) -> None:
    assert normalise_order_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("８６１３８００１３８０００", "13800138000"),
        ("1380 013 8000", "13800138000"),
        ("(138)0013-8000", "13800138000"),
        ("（138）0013－8000", "13800138000"),  # full-width brackets and hyphen
        ("138.0013.8000", "13800138000"),
        ("138·0013·8000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("(+86) 138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("  138 0013 8000\n", "13800138000"),
        ("12800138000", None),  # no mainland mobile starts 12
        ("1380013800", None),
        ("138001380001", None),  # 12 digits
        ("202411150003", None),  # an order number
        ("+87 138 0013 8000", None),
        ("138 0013 8000 转 1", None),
        ("138:0013:8000", None),
        ("138          0013 8000", None),  # a gap, not a separator
        ("", None),
    ],
)
def test_phones(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


def test_last4_and_mask() -> None:
    assert normalise_last4(" 8000 ") == "8000"
    assert normalise_last4("800") is None
    assert mask_phone("13800138000") == "138****8000"
    assert "0013" not in mask_phone("13800138000")


@pytest.mark.parametrize(
    ("text", "phone"),
    [("打我老婆的 139-1234-5678", "13912345678"), ("电话+8613912345678谢谢", "13912345678"),
     ("手机（139）1234·5678，谢谢", "13912345678"), ("号码是0086 139.1234.5678", "13912345678"),
     ("手机号１３９１２３４５６７８。", "13912345678"), ("订单202411150003", None),
     ("订单13912345678123", None), ("订单 JD139123456781", None), ("尾号5678", None)],
)  # fmt: skip
def test_find_phone(text: str, phone: str | None) -> None:
    assert find_phone(text) == phone


@pytest.mark.parametrize(
    ("proof", "masked"),
    [("13800138000", "138****8000"), ("1380 013 8000", "138****8000"),
     ("+86 138-0013-8000", "138****8000"), ("１３８００１３８０００", "138****8000"),
     ("8000", "****8000"), (" ８０００ ", "****8000"), ("800", "****"), ("1380013800", "****"),
     ("202411150003", "****"), ("", "****")],
)  # fmt: skip
def test_mask_proof_never_keeps_more_than_the_last_four(proof: str, masked: str) -> None:
    assert mask_proof(proof) == masked


def test_digits_of_other_scripts_are_not_a_phone_or_its_end() -> None:
    """Arabic-Indic ٩٠٠٠ once reached hmac.compare_digest, which takes ASCII only."""
    assert normalise_last4("٩٠٠٠") is None
    assert normalise_phone("١٣٩٠٠١٣٩٠٠٠") is None

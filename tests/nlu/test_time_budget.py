"""The time parser costs ~70 ms per expression: a message cannot make it parse more than a
few, so one customer cannot stall the NLU for everyone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.nlp import extract

NOW = dt.datetime(2026, 11, 28, 10, 0)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def fake_parser(text: str, **_kwargs: Any) -> list[dict]:
        seen.append(text)
        return []

    monkeypatch.setattr(extract, "_time_extractor", lambda: fake_parser)
    return seen


def test_a_flood_of_time_words_is_cut_to_the_first_few(parsed: list[str]) -> None:
    extract.extract_times("明天下午三点" * 170, NOW)
    assert len(extract._TIME_WORD.findall(parsed[0])) == extract.MAX_TIME_WORDS
    assert len(parsed[0]) <= extract.MAX_TIME_CHARS


def test_a_long_message_is_parsed_only_at_its_start(parsed: list[str]) -> None:
    extract.extract_times("这个洗衣机" * 300, NOW)
    assert len(parsed[0]) == extract.MAX_TIME_CHARS


def test_an_ordinary_answer_is_parsed_whole(parsed: list[str]) -> None:
    extract.extract_times("周六上午10点或者周日下午都行", NOW)
    assert parsed == ["周六上午10点或者周日下午都行"]


def test_real_times_are_still_found() -> None:
    found = extract.extract_times("明天下午3点来修吧" + "，麻烦了" * 100, NOW)
    assert found and found[0].value.startswith("2026-11-29T15")

"""Odd signature headers are refused (a 401), never a crash (a 500) before authentication."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from bot.channels.dingtalk import DingTalkInput, signature


@pytest.mark.parametrize(
    ("stamp", "sign"),
    [("²" * 13, "x"), ("now", "ñ\udcff"), ("now", ""), ("", "")],
)
def test_odd_headers_are_refused(stamp: str, sign: str) -> None:
    now = str(int(time.time() * 1000))
    headers = {"timestamp": now if stamp == "now" else stamp, "sign": sign}
    channel = DingTalkInput("app-secret", "https://oapi.dingtalk.com")
    assert channel._verified(SimpleNamespace(headers=headers)) is None  # type: ignore[arg-type]


def test_a_fresh_signature_is_accepted() -> None:
    now = str(int(time.time() * 1000))
    headers = {"timestamp": now, "sign": signature(now, "app-secret")}
    channel = DingTalkInput("app-secret", "https://oapi.dingtalk.com")
    assert channel._verified(SimpleNamespace(headers=headers)) == now  # type: ignore[arg-type]

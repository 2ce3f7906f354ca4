"""Over REST against the real servers: whatever a customer writes, the servers' log keeps no phone
number, and a message Python can hold but UTF-8 cannot encode does not break the bot."""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.e2e.conftest import BotServer

pytestmark = pytest.mark.e2e

PHONE = "13712345678"  # nobody's phone in the demo data: if the log has it, it came from here
MASKED = "137****5678"
WRITTEN = [
    "1371 234 5678",
    "(137)1234-5678",
    "137.1234.5678",
    "137 1234 5678",
    "+86 137-1234-5678",
    "0086 13712345678",
    "１３７１２３４５６７８",
    "（137）1234·5678",
]
_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")
_BYTE_ESCAPES = re.compile(r"(?:\\+x[0-9a-fA-F]{2})+")
_SEPARATORS = re.compile(r"[\s\-.()·・]")


def _bytes_decoded(match: re.Match[str]) -> str:
    raw = bytes(int(h, 16) for h in re.findall(r"x([0-9a-fA-F]{2})", match.group()))
    return raw.decode("utf-8", errors="ignore")


def digits_only(log: str) -> str:
    """The log as a reader could decode it: JSON and bytes escapes decoded, full-width folded,
    separators removed, so a phone in any writing shows as its 11 digits."""
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), log)
    text = _BYTE_ESCAPES.sub(_bytes_decoded, text)
    text = unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("", text)


def test_the_servers_log_no_phone_number(bot_server: BotServer) -> None:
    me = "e2e-logs-private"
    # A lone surrogate: JSON carries it ("\ud800"), UTF-8 cannot. It once crashed the NLU and
    # the REST channel logged the whole message; say() raises on anything but 200.
    bot_server.say(me, f"我的手机{PHONE}\ud800")
    bot_server.say(me, f"\ud800手机号{WRITTEN[0]}")
    for written in WRITTEN:
        bot_server.say(me, f"我的手机号是{written}，麻烦查一下")
    # A message starting with "/" that names no intent is repeated in a warning at any log
    # level, and one that does not parse in a structured log line: both must come out masked.
    bot_server.say(me, f"/手机{WRITTEN[1]}")
    bot_server.say(me, f"/{{手机 {WRITTEN[4]}}}")

    bot_server.say(me, "你好")  # still a 200 for this conversation after all that
    assert bot_server.say(f"{me}-next", "你好"), "and the bot still answers"
    log = bot_server.log.read_text(errors="replace")
    assert MASKED in log, "the messages above were logged, redacted"
    for written in [PHONE, *WRITTEN]:
        assert written not in log
    assert PHONE not in digits_only(log)


def test_a_failing_conversation_logs_its_trace_but_no_phone(bot_server: BotServer) -> None:
    me = "e2e-logs-failing"
    # Bad data: the toothbrush order paid in the future makes the policy refuse to decide.
    bot_server.rows("update orders set paid_at = '2099-01-01 00:00:00' where order_no = ?",
                    "202411190010")  # fmt: skip
    bot_server.say(me, "我要退货")
    bot_server.say(me, "202411190010")
    asked = bot_server.say(me, "13700137000")
    assert any("原因" in r.get("text", "") for r in asked)
    failed = "\n".join(r.get("text", "") for r in bot_server.say(me, "不想要了，电话13700137000"))
    assert "系统暂时出了点问题" in failed  # an apology, not silence
    log = bot_server.log.read_text(errors="replace")
    assert "PolicyInputError" in log, "the failure was logged with its trace"
    assert "13700137000" not in digits_only(log)

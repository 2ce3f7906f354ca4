"""The WeCom app callback against the real servers and a fake WeCom on 127.0.0.1: the URL
check echoes only a correctly signed echostr; a signed, encrypted message is answered with an
empty 200 without waiting for the bot, and the reply follows through the message-send API (buttons as numbered
options, the rating form completed by typing numbers); a bad, stale, replayed, foreign or
malformed callback gets 4xx and nothing is sent."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from bot.channels import wecom_crypto
from tests.e2e.conftest import WECOM, BotServer, Call, FakePlatform

pytestmark = pytest.mark.e2e

KEY = wecom_crypto.aes_key(WECOM["WECOM_ENCODING_AES_KEY"])
CORP, AGENT, TOKEN = WECOM["WECOM_CORP_ID"], WECOM["WECOM_AGENT_ID"], WECOM["WECOM_TOKEN"]
SEND = "/cgi-bin/message/send"


def text_message(content: str, user: str, *, kind: str = "text", **fields: str) -> str:
    """The decrypted XML of a message WeCom forwards from `user`, with a fresh MsgId."""
    values = {
        "ToUserName": CORP, "FromUserName": user, "CreateTime": str(int(time.time())),
        "MsgType": kind, "Content": content, "MsgId": str(uuid.uuid4().int % 10**16),
        "AgentID": AGENT, **fields,
    }  # fmt: skip
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in values.items() if v is not None)
    return f"<xml>{inner}</xml>"


def callback(
    server: BotServer,
    inner: str,
    *,
    corp: str = CORP,
    stamp: str | None = None,
    sign: str | None = None,
    body: str | None = None,
) -> requests.Response:
    """POST one encrypted callback, signed as WeCom signs it unless told otherwise."""
    encrypted = wecom_crypto.encrypt(inner, KEY, corp)
    stamp = stamp or str(int(time.time()))
    nonce = uuid.uuid4().hex[:10]
    params = {
        "msg_signature": sign or wecom_crypto.signature(TOKEN, stamp, nonce, encrypted),
        "timestamp": stamp,
        "nonce": nonce,
    }
    envelope = (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><AgentID><![CDATA[{AGENT}]]></AgentID>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    return requests.post(
        f"{server.rasa_url}/webhooks/wecom/webhook",
        params=params,
        data=(body if body is not None else envelope).encode(),
        headers={"Content-Type": "text/xml"},
        timeout=60,
    )


def turn(server: BotServer, platform: FakePlatform, inner: str) -> Call:
    """Deliver one message; the message the bot then sends (asynchronously)."""
    before = len(platform.calls)
    answer = callback(server, inner)
    assert answer.status_code == 200 and answer.text == ""
    [sent] = platform.wait_for(SEND, before)
    return sent


def test_the_callback_is_answered_before_the_reply_is_sent(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    fake_platform.holding_sends.set()  # WeCom's send API stalls
    try:
        answered = fake_platform.sends_answered
        assert callback(bot_server, text_message("你好", "liqiang")).status_code == 200
        assert fake_platform.sends_answered == answered  # answered without waiting for the send
    finally:
        fake_platform.holding_sends.clear()


def said(call: Call) -> str:
    return call.body["text"]["content"]


def test_the_url_check_echoes_only_a_correctly_signed_echostr(bot_server: BotServer) -> None:
    url = f"{bot_server.rasa_url}/webhooks/wecom/webhook"

    def check(
        corp: str = CORP, sign: str | None = None, stamp: str | None = None
    ) -> requests.Response:
        echostr = wecom_crypto.encrypt("2026112812345678901", KEY, corp)
        stamp = stamp or str(int(time.time()))
        params = {
            "msg_signature": sign or wecom_crypto.signature(TOKEN, stamp, "n1", echostr),
            "timestamp": stamp,
            "nonce": "n1",
            "echostr": echostr,
        }
        return requests.get(url, params=params, timeout=30)

    good = check()
    assert good.status_code == 200 and good.text == "2026112812345678901"
    assert check(sign="0" * 40).status_code == 401
    assert check(corp="ww-another-corp").status_code == 401
    assert check(stamp=str(int(time.time()) - 2 * 3600)).status_code == 401
    assert check(stamp="9" * 400).status_code == 401  # once an OverflowError, a 500


def test_a_captured_message_cannot_be_decrypted_through_the_url_check(
    bot_server: BotServer,
) -> None:
    """A message callback is signed like an echostr; the URL check must not echo it."""
    encrypted = wecom_crypto.encrypt(text_message("我的手机号13800138000", "zhangwei"), KEY, CORP)
    stamp = str(int(time.time()))
    params = {
        "msg_signature": wecom_crypto.signature(TOKEN, stamp, "n7", encrypted),
        "timestamp": stamp, "nonce": "n7", "echostr": encrypted,
    }  # fmt: skip
    answer = requests.get(
        f"{bot_server.rasa_url}/webhooks/wecom/webhook", params=params, timeout=30
    )
    assert answer.status_code == 401 and "13800138000" not in answer.text


def test_a_message_is_answered_through_the_send_api_and_a_number_chooses(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    greeting = turn(bot_server, fake_platform, text_message("你好", "zhangwei"))
    assert greeting.method == "POST" and "access_token=fake-token-" in greeting.path
    assert greeting.body["touser"] == "zhangwei" and greeting.body["agentid"] == int(AGENT)
    assert "售后小助手" in said(greeting) and "1. 退换货" in said(greeting)
    assert "订单号" in said(turn(bot_server, fake_platform, text_message("1", "zhangwei")))


def test_refund_status_then_the_rating_form_by_numbers(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    me = "wangfang"
    assert "订单号" in said(turn(bot_server, fake_platform, text_message("退款到哪一步了", me)))
    assert "手机号" in said(turn(bot_server, fake_platform, text_message("单号202411020007", me)))
    status = said(turn(bot_server, fake_platform, text_message("9000", me)))
    assert "299.00元" in status and "整体满意度" in status and "\n5 非常满意" in status
    assert "解决了吗" in said(turn(bot_server, fake_platform, text_message("5", me)))
    turn(bot_server, fake_platform, text_message("解决了", me))
    assert "感谢您的评价" in said(turn(bot_server, fake_platform, text_message("没了", me)))
    rows = bot_server.rows(
        "select overall from ratings where channel = 'wecom' and conversation_id like 'wecom:%'"
    )
    assert (5,) in rows


def test_pictures_are_asked_for_text_and_events_need_no_answer(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    picture = text_message("", "zhaolei", kind="image", PicUrl="http://127.0.0.1/p.jpg")
    assert "文字" in said(turn(bot_server, fake_platform, picture))
    before = len(fake_platform.calls)
    event = text_message("", "zhaolei", kind="event", Event="enter_agent", MsgId=None)
    assert callback(bot_server, event).status_code == 200
    assert_nothing_sent(bot_server, fake_platform, before)


def assert_nothing_sent(server: BotServer, platform: FakePlatform, since: int) -> None:
    """Only a later, good message from another customer got an answer since `since`."""
    turn(server, platform, text_message("你好", "sentinel"))
    assert {c.body["touser"] for c in platform.calls_to(SEND, since)} == {"sentinel"}


def test_a_replayed_message_is_handled_once(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    inner = text_message("你好", "replayed")
    stamp, sign_for = str(int(time.time())), wecom_crypto.encrypt(inner, KEY, CORP)
    params = {
        "msg_signature": wecom_crypto.signature(TOKEN, stamp, "n1", sign_for),
        "timestamp": stamp,
        "nonce": "n1",
    }
    body = f"<xml><Encrypt><![CDATA[{sign_for}]]></Encrypt></xml>".encode()
    url = f"{bot_server.rasa_url}/webhooks/wecom/webhook"
    before = len(fake_platform.calls)
    assert requests.post(url, params=params, data=body, timeout=60).status_code == 200
    fake_platform.wait_for(SEND, before)
    before = len(fake_platform.calls)
    assert requests.post(url, params=params, data=body, timeout=60).status_code == 409
    assert callback(bot_server, inner).status_code == 409  # re-encrypted, same MsgId
    assert_nothing_sent(bot_server, fake_platform, before)


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><xml><Encrypt>&c;</Encrypt></xml>'
)


@pytest.mark.parametrize(
    ("case", "expected"),
    [("bad signature", 401), ("stale", 401), ("stamp of 400 digits", 401), ("another corp", 401),
     ("unknown XML encoding", 400),
     ("another app", 400),
     ("not xml", 400), ("entity bomb", 400), ("no Encrypt", 400), ("no MsgId", 400),
     ("no sender", 400), ("too large", 413)],
)  # fmt: skip
def test_a_bad_callback_gets_4xx_and_sends_nothing(
    bot_server: BotServer, fake_platform: FakePlatform, case: str, expected: int
) -> None:
    inner = text_message("查退款", "attacker")
    kwargs: dict = {
        "bad signature": {"sign": "0" * 40},
        "stale": {"stamp": str(int(time.time()) - 2 * 3600)},
        "stamp of 400 digits": {"stamp": "9" * 400},
        "another corp": {"corp": "ww-another-corp"},
        "not xml": {"body": "{not xml"},
        "entity bomb": {"body": BOMB},
        "no Encrypt": {"body": "<xml><ToUserName>x</ToUserName></xml>"},
        "unknown XML encoding": {  # once a LookupError, a 500
            "body": '<?xml version="1.0" encoding="bogus"?><xml><Encrypt>QUFB</Encrypt></xml>'
        },
    }.get(case, {})
    if case == "another app":
        inner = text_message("查退款", "attacker", AgentID="1000099")
    if case == "no MsgId":
        inner = text_message("查退款", "attacker", MsgId=None)
    if case == "no sender":
        inner = text_message("查退款", "", FromUserName=None)
    if case == "too large":
        inner = text_message("退" * 30000, "attacker")
    before = len(fake_platform.calls)
    assert callback(bot_server, inner, **kwargs).status_code == expected
    assert_nothing_sent(bot_server, fake_platform, before)

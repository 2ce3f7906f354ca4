"""The Feishu bot against the real servers and a fake Feishu on 127.0.0.1: a signed, encrypted
message is answered through the IM API (buttons as a card, a click continues the
conversation, the rating form is completed by clicks); a bad, stale, replayed, foreign or
malformed request gets 4xx and nothing is sent."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from bot.channels.feishu_crypto import encrypt, signature
from tests.e2e.conftest import FEISHU, BotServer, Call, FakePlatform

pytestmark = pytest.mark.e2e

KEY = FEISHU["FEISHU_ENCRYPT_KEY"]
SEND = "/open-apis/im/v1/messages"


def message(text: str, open_id: str, **changes: object) -> dict:
    """An im.message.receive_v1 event as Feishu delivers it, with a fresh event id."""
    body = {
        "chat_type": "p2p",
        "chat_id": f"oc_{open_id}",
        "message_id": f"om_{uuid.uuid4().hex}",
        "message_type": "text",
        "content": json.dumps({"text": text}, ensure_ascii=False),
    }
    body.update(changes)
    sender = {"sender_type": "user", "sender_id": {"open_id": open_id}}
    return envelope("im.message.receive_v1", {"sender": sender, "message": body})


def click(payload: str, open_id: str) -> dict:
    """A card.action.trigger event: the customer clicked a button we sent."""
    event = {
        "operator": {"open_id": open_id},
        "action": {"tag": "button", "value": {"payload": payload}},
    }
    return envelope("card.action.trigger", event)


def envelope(event_type: str, event: dict, **header: object) -> dict:
    return {
        "schema": "2.0",
        "header": {
            "event_id": uuid.uuid4().hex,
            "event_type": event_type,
            "token": FEISHU["FEISHU_VERIFICATION_TOKEN"],
            "app_id": FEISHU["FEISHU_APP_ID"],
            "create_time": str(int(time.time() * 1000)),
            **header,
        },
        "event": event,
    }


def encrypted(event: dict, key: str = KEY) -> bytes:
    return json.dumps({"encrypt": encrypt(json.dumps(event, ensure_ascii=False), key)}).encode()


def post(
    server: BotServer,
    body: bytes,
    *,
    stamp: str | None = None,
    sign: str | None = None,
    nonce: str | bytes | None = None,
) -> requests.Response:
    stamp = stamp or str(int(time.time()))
    nonce = nonce or uuid.uuid4().hex
    headers: dict[str, str | bytes] = {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": stamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": sign or signature(stamp, str(nonce), KEY, body),
    }
    return requests.post(
        f"{server.rasa_url}/webhooks/feishu/webhook", data=body, headers=headers, timeout=60
    )


def shown(call: Call) -> str:
    """What the customer sees of one sent message: the text, or the card's text and buttons."""
    content = json.loads(call.body["content"])
    if call.body["msg_type"] == "text":
        return content["text"]
    parts = [
        element["text"]["content"] for element in content["elements"] if element["tag"] == "div"
    ]
    actions = [
        a
        for element in content["elements"]
        if element["tag"] == "action"
        for a in element["actions"]
    ]
    return "\n".join(parts + [f"[{a['text']['content']}]" for a in actions])


def button(call: Call, title_part: str) -> str:
    """The payload of the card button whose title contains `title_part`."""
    content = json.loads(call.body["content"])
    for element in content["elements"]:
        for action in element.get("actions", []):
            if title_part in action["text"]["content"]:
                return action["value"]["payload"]
    pytest.fail(f"no button with {title_part!r} in {shown(call)}")


def turn(server: BotServer, platform: FakePlatform, event: dict) -> Call:
    """Deliver one event; the message the bot then sends (asynchronously)."""
    before = len(platform.calls)
    answer = post(server, encrypted(event))
    assert answer.status_code == 200 and answer.json() == {}
    [sent] = platform.wait_for(SEND, before)
    return sent


def test_url_verification_answers_only_with_our_token(bot_server: BotServer) -> None:
    url = f"{bot_server.rasa_url}/webhooks/feishu/webhook"
    challenge = {
        "challenge": "c-1234",
        "token": FEISHU["FEISHU_VERIFICATION_TOKEN"],
        "type": "url_verification",
    }
    good = requests.post(url, data=encrypted(challenge), timeout=30)
    assert good.status_code == 200 and good.json() == {"challenge": "c-1234"}
    wrong_token = requests.post(url, data=encrypted({**challenge, "token": "guess"}), timeout=30)
    in_clear = requests.post(url, json=challenge, timeout=30)
    other_key = requests.post(url, data=encrypted(challenge, key="another key"), timeout=30)
    nested = requests.post(url, data=b"[" * 30000, timeout=30)  # once a RecursionError, a 500
    statuses = {r.status_code for r in (wrong_token, in_clear, other_key, nested)}
    assert statuses == {401}


def test_a_message_gets_a_card_and_a_click_continues(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    greeting = turn(bot_server, fake_platform, message("在吗", "ou_e2e_hello"))
    assert greeting.path == f"{SEND}?receive_id_type=open_id"
    assert (
        greeting.body["receive_id"] == "ou_e2e_hello" and greeting.body["msg_type"] == "interactive"
    )
    assert (greeting.authorization or "").startswith("Bearer fake-token-")
    assert "售后小助手" in shown(greeting) and "[退换货]" in shown(greeting)
    asked = turn(bot_server, fake_platform, click(button(greeting, "退换货"), "ou_e2e_hello"))
    assert "订单号" in shown(asked)


def test_refund_status_then_the_rating_form_by_clicks(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    me = "ou_e2e_rating"
    assert "订单号" in shown(turn(bot_server, fake_platform, message("我退的耳机钱到哪了", me)))
    assert "手机号" in shown(turn(bot_server, fake_platform, message("202411020007", me)))
    status = turn(bot_server, fake_platform, message("尾号9000", me))
    assert "299.00元" in shown(status) and "整体满意度" in shown(status)
    solved = turn(bot_server, fake_platform, click(button(status, "5"), me))
    assert "解决了吗" in shown(solved)
    turn(bot_server, fake_platform, message("解决了", me))
    assert "感谢您的评价" in shown(turn(bot_server, fake_platform, message("没有了", me)))
    rows = bot_server.rows(
        "select overall, topic from ratings where channel = 'feishu' and conversation_id like 'feishu:%'"
    )
    assert (5, "refund") in rows


def test_a_token_is_reused_and_a_rejected_one_replaced(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    turn(bot_server, fake_platform, message("你好", "ou_e2e_token"))
    issued = fake_platform.tokens_issued
    used = turn(bot_server, fake_platform, message("你好", "ou_e2e_token")).authorization
    assert fake_platform.tokens_issued == issued  # reused, not fetched per message
    fake_platform.revoked.add((used or "").removeprefix("Bearer "))
    before = len(fake_platform.calls)
    post(bot_server, encrypted(message("你好", "ou_e2e_token")))
    refused, delivered = fake_platform.wait_for(SEND, before, count=2)
    assert refused.authorization == used and delivered.authorization != used
    assert fake_platform.tokens_issued == issued + 1


def test_group_chats_are_asked_to_write_privately_and_pictures_to_write_text(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    group = turn(
        bot_server, fake_platform, message("查下202411020007的退款", "ou_e2e_g", chat_type="group")
    )
    assert (
        group.path == f"{SEND}?receive_id_type=chat_id"
        and group.body["receive_id"] == "oc_ou_e2e_g"
    )
    assert "私聊" in shown(group)
    picture = turn(
        bot_server, fake_platform,
        message("", "ou_e2e_pic", message_type="image", content=json.dumps({"image_key": "img_1"})),
    )  # fmt: skip
    assert "文字" in shown(picture)


def assert_nothing_sent(server: BotServer, platform: FakePlatform, since: int) -> None:
    """Only a later, good message from another customer got an answer since `since`."""
    turn(server, platform, message("你好", "ou_e2e_sentinel"))
    assert {c.body["receive_id"] for c in platform.calls_to(SEND, since)} == {"ou_e2e_sentinel"}


def test_a_replayed_event_is_handled_once(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    event = message("你好", "ou_e2e_replay")
    body = encrypted(event)
    before = len(fake_platform.calls)
    assert post(bot_server, body).status_code == 200
    fake_platform.wait_for(SEND, before)
    before = len(fake_platform.calls)
    assert post(bot_server, body).status_code == 409  # the same request again
    assert post(bot_server, encrypted(event)).status_code == 409  # re-encrypted, same event id
    assert_nothing_sent(bot_server, fake_platform, before)


def _tampered(case: str) -> tuple[bytes, dict]:
    event = message("查退款", "ou_e2e_attacker")
    cases: dict[str, tuple[bytes, dict]] = {
        "bad signature": (encrypted(event), {"sign": "0" * 64}),
        "stale": (encrypted(event), {"stamp": str(int(time.time()) - 2 * 3600)}),
        "future": (encrypted(event), {"stamp": str(int(time.time()) + 2 * 3600)}),
        "stamp not a number": (encrypted(event), {"stamp": "yesterday"}),
        "stamp of 400 digits": (encrypted(event), {"stamp": "9" * 400}),
        "wrong verification token": (
            encrypted({**event, "header": {**event["header"], "token": "x"}}),
            {},
        ),
        "another app": (
            encrypted({**event, "header": {**event["header"], "app_id": "cli_other"}}),
            {},
        ),
        "not encrypted": (json.dumps(event).encode(), {}),
        "not json": (b"\xff\xfe<<", {}),
        "garbage ciphertext": (json.dumps({"encrypt": "AAAA" * 8}).encode(), {}),
        "schema 1.0": (encrypted({**event, "schema": "1.0"}), {}),
        "no event id": (encrypted({**event, "header": {**event["header"], "event_id": ""}}), {}),
        "content not json": (encrypted(message("x", "ou_e2e_attacker", content="{{")), {}),
        "click without payload": (
            encrypted(envelope("card.action.trigger", {"operator": {"open_id": "ou_x"}})),
            {},
        ),
        "too large": (encrypted(message("退" * 30000, "ou_e2e_attacker")), {}),
        # raw bytes that are no text: once an encoding error, a 500
        "nonce not text": (encrypted(event), {"nonce": b"\xff\xfe", "sign": "0" * 64}),
    }
    return cases[case]


@pytest.mark.parametrize(
    "case",
    ["bad signature", "stale", "future", "stamp not a number", "stamp of 400 digits",
     "wrong verification token",
     "another app", "not encrypted", "not json", "garbage ciphertext", "schema 1.0",
     "no event id", "content not json", "click without payload", "too large", "nonce not text"],
)  # fmt: skip
def test_a_bad_request_gets_4xx_and_sends_nothing(
    bot_server: BotServer, fake_platform: FakePlatform, case: str
) -> None:
    body, headers = _tampered(case)
    before = len(fake_platform.calls)
    status = post(bot_server, body, **headers).status_code
    assert 400 <= status < 500, status
    assert_nothing_sent(bot_server, fake_platform, before)


def test_a_pasted_rich_text_post_is_read(
    bot_server: BotServer, fake_platform: FakePlatform
) -> None:
    post_content = {"title": "", "content": [[{"tag": "text", "text": "我要退货 "}],
                                             [{"tag": "img", "image_key": "img_v2_1"}]]}  # fmt: skip
    event = message("", "ou_e2e_post", message_type="post", content=json.dumps(post_content))
    assert "订单号" in shown(turn(bot_server, fake_platform, event))

"""飞书 (Feishu) bot, event subscription 2.0: POST /webhooks/feishu/webhook.

Feishu is configured with an Encrypt Key, so every event arrives encrypted and signed
(`bot.channels.feishu_crypto`). The signature covers the body and is checked before anything
is decrypted; the decrypted event must carry the app's verification token and id, and its
event id is handled once. The one unsigned request, the URL-verification challenge, is
answered only when it decrypts and carries the token, and every failure on that path looks
the same (no padding oracle).

Feishu wants an answer within 3 s, so the callback is answered as soon as the event is
recorded and the bot replies through the IM API with a tenant access token. Buttons become
an interactive card; a click arrives as a signed `card.action.trigger` event on the same URL.
A bare "2" also chooses the second button.

Configured only from the environment: FEISHU_APP_ID, FEISHU_APP_SECRET,
FEISHU_VERIFICATION_TOKEN, FEISHU_ENCRYPT_KEY (without all four the route answers 404: an
unencrypted subscription could not be told from a forged one), FEISHU_API_BASE (default
https://open.feishu.cn; tests point it at a fake platform).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import requests
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.feishu_crypto import FeishuCryptoError, decrypt, signature
from bot.channels.messaging import (
    API_TIMEOUT_S,
    GROUP_CHAT_REPLY,
    TEXT_ONLY_REPLY,
    AccessToken,
    ConversationQueue,
    OnNewMessage,
    call_api,
    callback_body,
    fresh_stamp,
    keyed_conversation,
    refusal,
    run_turn,
)
from bot.channels.text_replies import as_plain_text

logger = logging.getLogger(__name__)

CHANNEL = "feishu"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
SEND_PATH = "/open-apis/im/v1/messages"
TOKEN_INVALID_CODES = frozenset({99991661, 99991663, 99991668})  # missing, invalid, expired


def card(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One turn's replies as an interactive card: the texts, then each button."""
    texts = "\n".join(str(m["text"]) for m in messages if m.get("text"))
    buttons = [b for m in messages for b in (m.get("buttons") or [])]
    actions = [
        {
            "tag": "button",
            "text": {"tag": "plain_text", "content": str(b.get("title", ""))},
            "type": "default",
            "value": {"payload": str(b.get("payload", ""))},
        }
        for b in buttons
    ]
    elements: list[dict[str, Any]] = []
    if texts:
        elements.append({"tag": "div", "text": {"tag": "plain_text", "content": texts}})
    elements.append({"tag": "action", "actions": actions})
    return {"config": {"wide_screen_mode": True}, "elements": elements}


@dataclass(frozen=True)
class FeishuSettings:
    """The app's credentials from Feishu's developer console."""

    app_id: str
    app_secret: str
    verification_token: str
    encrypt_key: str
    api_base: str

    @classmethod
    def from_env(cls) -> FeishuSettings | None:
        """The settings, or None unless all four credentials are set."""
        names = ("FEISHU_APP_ID", "FEISHU_APP_SECRET", "FEISHU_VERIFICATION_TOKEN")
        values = [os.environ.get(name, "") for name in (*names, "FEISHU_ENCRYPT_KEY")]
        if not all(values):
            return None
        base = os.environ.get("FEISHU_API_BASE") or "https://open.feishu.cn"
        app_id, app_secret, verification_token, encrypt_key = values
        return cls(app_id, app_secret, verification_token, encrypt_key, base.rstrip("/"))


@dataclass(frozen=True)
class Incoming:
    """What a verified event asks of the bot."""

    open_id: str
    text: str | None  # None: a message the bot cannot read (image, file, sticker…)
    group_chat_id: str | None = None  # set when the message was written in a group
    clicked: bool = False  # a button's payload, not typed text


class FeishuInput(InputChannel):
    """Feishu's event subscription (messages and card clicks) as a Rasa input channel."""

    def __init__(self, settings: FeishuSettings | None) -> None:
        self.settings = settings
        self.queue = ConversationQueue()
        self.token = AccessToken(self._fetch_token)

    @classmethod
    def name(cls) -> str:
        """/webhooks/feishu/webhook."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> FeishuInput:
        """Credentials come from the environment only, never from credentials.yml."""
        return cls(FeishuSettings.from_env())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The event route; accepted turns finish before the server stops."""
        hook = Blueprint("feishu_webhook", __name__)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.settings is None:
                return refusal(404, "feishu is not configured")
            return await self._receive(request, on_new_message)

        self.queue.drain_before_stop(hook)
        return hook

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        assert self.settings is not None
        body = callback_body(request)
        if body is None:
            return refusal(413, "too large")
        if "X-Lark-Signature" not in request.headers:
            return self._challenge(self._decrypted(body))
        if not self._signed(request, body):
            return refusal(401, "bad or stale signature")
        event = self._decrypted(body) or {}
        if event.get("type") == "url_verification":  # should Feishu ever sign the challenge
            return self._challenge(event)
        header, payload = event.get("header"), event.get("event")
        if event.get("schema") != "2.0" or not isinstance(header, dict):
            return refusal(400, "not a Feishu 2.0 event")
        if not self._ours(header):
            return refusal(401, "not for this app")
        event_id = header.get("event_id")
        try:
            incoming = _incoming(header.get("event_type"), payload)
        except (ValueError, RecursionError):
            return refusal(400, "malformed event")
        if not isinstance(event_id, str) or not event_id:
            return refusal(400, "no event id")
        if incoming is None:  # another subscribed event, or a bot's own message
            return response.json({})
        conversation = keyed_conversation(CHANNEL, self.settings.app_secret, incoming.open_id)
        app = request.app

        async def answer() -> None:
            await self._answer(app, on_new_message, incoming, conversation)

        refused = await self.queue.submit_once(conversation, CHANNEL, [f"event:{event_id}"], answer)
        return refused or response.json({})

    def _challenge(self, event: dict[str, Any] | None) -> HTTPResponse:
        """Feishu's URL verification: the challenge back if the request decrypted and carries
        the token; one and the same refusal for every other request."""
        assert self.settings is not None
        token = event.get("token") if event else None
        if (
            event is not None
            and event.get("type") == "url_verification"
            and isinstance(token, str)
            and hmac.compare_digest(token.encode(), self.settings.verification_token.encode())
            and isinstance(event.get("challenge"), str)
        ):
            return response.json({"challenge": event["challenge"]})
        return refusal(401, "unsigned request")

    def _signed(self, request: Request, body: bytes) -> bool:
        assert self.settings is not None
        stamp = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        if not fresh_stamp(stamp) or not (nonce.isascii() and nonce.isprintable()):
            return False
        expected = signature(stamp, nonce, self.settings.encrypt_key, body)
        given = request.headers.get("X-Lark-Signature", "")
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())

    def _decrypted(self, body: bytes) -> dict[str, Any] | None:
        """The event inside an {"encrypt": ...} body, or None."""
        assert self.settings is not None
        try:
            outer = json.loads(body)
            if not isinstance(outer, dict) or not isinstance(outer.get("encrypt"), str):
                return None
            inner = json.loads(decrypt(outer["encrypt"], self.settings.encrypt_key))
        except (ValueError, RecursionError, FeishuCryptoError):  # RecursionError: [[[[…
            return None
        return inner if isinstance(inner, dict) else None

    def _ours(self, header: dict[str, Any]) -> bool:
        """Does the event carry this app's verification token and id?"""
        assert self.settings is not None
        token = header.get("token")
        return (
            isinstance(token, str)
            and hmac.compare_digest(token.encode(), self.settings.verification_token.encode())
            and header.get("app_id") == self.settings.app_id
        )

    async def _answer(
        self, app: Sanic, on_new_message: OnNewMessage, incoming: Incoming, conversation: str
    ) -> None:
        """Run the customer's turn and send the bot's replies."""
        if incoming.group_chat_id is not None:
            await self._send("chat_id", incoming.group_chat_id, "text", {"text": GROUP_CHAT_REPLY})
            return
        if incoming.text is None:
            await self._send("open_id", incoming.open_id, "text", {"text": TEXT_ONLY_REPLY})
            return
        messages = await run_turn(
            app, on_new_message, incoming.text, conversation, CHANNEL, typed=not incoming.clicked
        )
        if any(m.get("buttons") for m in messages):
            await self._send("open_id", incoming.open_id, "interactive", card(messages))
        elif text := as_plain_text(messages):
            await self._send("open_id", incoming.open_id, "text", {"text": text})

    def _fetch_token(self) -> tuple[str, int]:
        """A new tenant access token and its lifetime in seconds."""
        assert self.settings is not None
        answer = requests.post(
            self.settings.api_base + TOKEN_PATH,
            json={"app_id": self.settings.app_id, "app_secret": self.settings.app_secret},
            timeout=API_TIMEOUT_S,
        )
        answer.raise_for_status()
        found = answer.json()
        if found.get("code") != 0 or not isinstance(found.get("tenant_access_token"), str):
            raise requests.RequestException(f"token refused: code {found.get('code')}")
        return found["tenant_access_token"], int(found.get("expire", 0))

    async def _send(
        self, id_type: str, receive_id: str, kind: str, content: dict[str, Any]
    ) -> None:
        """Send one message to a user (open_id) or a group (chat_id)."""
        assert self.settings is not None
        url = f"{self.settings.api_base}{SEND_PATH}?receive_id_type={id_type}"
        message = {
            "receive_id": receive_id,
            "msg_type": kind,
            "content": json.dumps(content, ensure_ascii=False),
        }

        def attempt(token: str) -> object:
            headers = {"Authorization": f"Bearer {token}"}
            answer = requests.post(url, headers=headers, json=message, timeout=API_TIMEOUT_S)
            return answer.json().get("code")

        await call_api(self.token.send, "Feishu", attempt, TOKEN_INVALID_CODES)


def _incoming(event_type: object, event: object) -> Incoming | None:
    """What a message or card-click event asks; None for events the bot does not handle
    (other types, messages from bots). Raises ValueError when a field is missing or wrong."""
    if event_type not in ("card.action.trigger", "im.message.receive_v1"):
        return None
    if not isinstance(event, dict):
        raise ValueError("no event")
    if event_type == "card.action.trigger":
        open_id = _field(event, "operator", "open_id")
        return Incoming(open_id, _field(event, "action", "value", "payload"), clicked=True)
    if _field(event, "sender", "sender_type") != "user":
        return None
    open_id = _field(event, "sender", "sender_id", "open_id")
    chat_type = _field(event, "message", "chat_type")
    if chat_type == "group":
        return Incoming(open_id, None, _field(event, "message", "chat_id"))
    if chat_type != "p2p":
        raise ValueError("unknown chat type")
    kind = _field(event, "message", "message_type")
    if kind not in ("text", "post"):
        return Incoming(open_id, None)
    content = json.loads(_field(event, "message", "content"))
    if kind == "post":  # a post of pictures only has no words: asked for text
        return Incoming(open_id, _text_of_post(content))
    text = content.get("text") if isinstance(content, dict) else None
    if not isinstance(text, str):
        raise ValueError("a text message without text")
    return Incoming(open_id, text)


def _text_of_post(content: object) -> str | None:
    """The words of a rich-text post (what customers paste): its title and text runs."""
    if not isinstance(content, dict) or not isinstance(content.get("content"), list):
        return None
    lines = [str(content["title"])] if content.get("title") else []
    for paragraph in content["content"]:
        runs = paragraph if isinstance(paragraph, list) else []
        words = [r["text"] for r in runs if isinstance(r, dict) and isinstance(r.get("text"), str)]
        if words:
            lines.append("".join(words))
    return "\n".join(lines) or None


def _field(data: dict[str, Any], *path: str) -> str:
    """The non-empty string at `path` in nested objects; ValueError if there is none."""
    found: Any = data
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, str) or not found:
        raise ValueError(f"no {'.'.join(path)}")
    return found

"""飞书 (Feishu) bot, event subscription 2.0: POST /webhooks/feishu/webhook.

Feishu is configured with an Encrypt Key, so every event arrives as {"encrypt": base64(iv +
AES-256-CBC(key = SHA-256(encrypt key), PKCS#7))} and is signed: header X-Lark-Signature =
hex SHA-256(X-Lark-Request-Timestamp + X-Lark-Request-Nonce + encrypt key + raw body). The
signature covers the body, so it is checked before anything is decrypted; the decrypted
event must carry the app's verification token and id, and its event id is handled once.
The one unsigned request, the URL-verification challenge, is answered only when it decrypts
and carries the token, and every failure on that path looks the same (no padding oracle).

Feishu wants an answer within 3 s, so the callback gets 200 at once and the bot replies
through the IM API with a tenant access token reused until shortly before it expires.
Buttons become an interactive card; a click arrives as a signed `card.action.trigger` event
on the same URL. A bare "2" also chooses the second button.

Configured only from the environment: FEISHU_APP_ID, FEISHU_APP_SECRET,
FEISHU_VERIFICATION_TOKEN, FEISHU_ENCRYPT_KEY (without all four the route answers 404: an
unencrypted subscription could not be told from a forged one), FEISHU_API_BASE (default
https://open.feishu.cn; tests point it at a fake platform).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.platform import (
    GROUP_CHAT_REPLY,
    TEXT_ONLY_REPLY,
    AccessToken,
    ConversationQueue,
    OnNewMessage,
    callback_body,
    duplicate_or_unavailable,
    fresh,
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
REPLY_TIMEOUT_S = 10


class FeishuCryptoError(ValueError):
    """The payload is not something Feishu encrypted with our key."""


def _aes_key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode()).digest()


def encrypt(plain: str, encrypt_key: str) -> str:
    """What Feishu sends in `encrypt` for `plain` (the fake platform in the tests uses it)."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_aes_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()


def decrypt(encrypted: str, encrypt_key: str) -> str:
    """The plain text of an `encrypt` field; raises FeishuCryptoError on anything else."""
    try:
        data = base64.b64decode(encrypted, validate=True)
        if len(data) < 32 or len(data) % 16:
            raise FeishuCryptoError("not whole AES blocks")
        decryptor = Cipher(algorithms.AES(_aes_key(encrypt_key)), modes.CBC(data[:16])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(decryptor.update(data[16:]) + decryptor.finalize())
        return (plain + unpadder.finalize()).decode()
    except (binascii.Error, ValueError) as exc:
        raise FeishuCryptoError(type(exc).__name__) from exc


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """X-Lark-Signature of a callback body."""
    signed = (timestamp + nonce + encrypt_key).encode() + body
    return hashlib.sha256(signed).hexdigest()


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
        """The event route."""
        hook = Blueprint("feishu_webhook", __name__)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.settings is None:
                return refusal(404, "feishu is not configured")
            return await self._receive(request, on_new_message)

        return hook

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        assert self.settings is not None
        body = callback_body(request)
        if body is None:
            return refusal(413, "too large")
        if "X-Lark-Signature" not in request.headers:
            return self._challenge(body)
        if not self._signed(request, body):
            return refusal(401, "bad or stale signature")
        event = self._decrypted(body) or {}
        header, payload = event.get("header"), event.get("event")
        if event.get("schema") != "2.0" or not isinstance(header, dict):
            return refusal(400, "not a Feishu 2.0 event")
        if not self._ours(header):
            return refusal(401, "not for this app")
        event_id = header.get("event_id")
        try:
            incoming = _incoming(header.get("event_type"), payload)
        except ValueError:
            return refusal(400, "malformed event")
        if not isinstance(event_id, str) or not event_id:
            return refusal(400, "no event id")
        if incoming is None:  # another subscribed event, or a bot's own message
            return response.json({})
        refused = await duplicate_or_unavailable(CHANNEL, [f"event:{event_id}"])
        if refused is not None:
            return refused
        conversation = keyed_conversation(CHANNEL, self.settings.app_secret, incoming.open_id)
        app = request.app
        self.queue.submit(conversation, lambda: self._answer(app, on_new_message, incoming))
        return response.json({})

    def _challenge(self, body: bytes) -> HTTPResponse:
        """Feishu's unsigned URL verification: the challenge back if it decrypts and carries
        the token; one and the same refusal for every other request."""
        assert self.settings is not None
        event = self._decrypted(body)
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
        if not stamp.isascii() or not stamp.isdigit() or not fresh(int(stamp)):
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
        except (ValueError, FeishuCryptoError):
            return None
        return inner if isinstance(inner, dict) else None

    def _ours(self, header: dict[str, Any]) -> bool:
        """Does the event carry this app's verification token and id?"""
        assert self.settings is not None
        token, app_id = header.get("token"), header.get("app_id")
        return (
            isinstance(token, str)
            and hmac.compare_digest(token.encode(), self.settings.verification_token.encode())
            and app_id in (None, self.settings.app_id)
        )

    async def _answer(self, app: Sanic, on_new_message: OnNewMessage, incoming: Incoming) -> None:
        """Run the customer's turn and send the bot's replies."""
        assert self.settings is not None
        if incoming.group_chat_id is not None:
            content = {"text": GROUP_CHAT_REPLY}
            await asyncio.to_thread(self._send, "chat_id", incoming.group_chat_id, "text", content)
            return
        if incoming.text is None:
            content = {"text": TEXT_ONLY_REPLY}
            await asyncio.to_thread(self._send, "open_id", incoming.open_id, "text", content)
            return
        conversation = keyed_conversation(CHANNEL, self.settings.app_secret, incoming.open_id)
        messages = await run_turn(
            app, on_new_message, incoming.text, conversation, CHANNEL, typed=not incoming.clicked
        )
        if any(m.get("buttons") for m in messages):
            kind, content = "interactive", card(messages)
        else:
            kind, content = "text", {"text": as_plain_text(messages)}
        if messages:
            await asyncio.to_thread(self._send, "open_id", incoming.open_id, kind, content)

    def _fetch_token(self) -> tuple[str, int]:
        """A new tenant access token and its lifetime in seconds."""
        assert self.settings is not None
        answer = requests.post(
            self.settings.api_base + TOKEN_PATH,
            json={"app_id": self.settings.app_id, "app_secret": self.settings.app_secret},
            timeout=REPLY_TIMEOUT_S,
        )
        answer.raise_for_status()
        found = answer.json()
        if found.get("code") != 0 or not isinstance(found.get("tenant_access_token"), str):
            raise requests.RequestException(f"token refused: code {found.get('code')}")
        return found["tenant_access_token"], int(found.get("expire", 0))

    def _send(self, id_type: str, receive_id: str, kind: str, content: dict[str, Any]) -> None:
        """Send one message; a rejected token is fetched anew once."""
        assert self.settings is not None
        for _attempt in range(2):
            try:
                token = self.token.get()
                answer = requests.post(
                    f"{self.settings.api_base}{SEND_PATH}?receive_id_type={id_type}",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "receive_id": receive_id,
                        "msg_type": kind,
                        "content": json.dumps(content, ensure_ascii=False),
                    },
                    timeout=REPLY_TIMEOUT_S,
                )
                code = answer.json().get("code")
            except (requests.RequestException, ValueError) as exc:
                logger.error("Feishu did not take the reply: %s", type(exc).__name__)
                return
            if code in TOKEN_INVALID_CODES:
                self.token.forget(token)
                continue
            if code != 0:
                logger.error("Feishu refused the reply: code %s", code)
            return
        logger.error("Feishu refused a fresh tenant access token")


def _incoming(event_type: object, event: object) -> Incoming | None:
    """What a message or card-click event asks; None for events the bot does not handle
    (other types, messages from bots). Raises ValueError when a field is missing or wrong."""
    if not isinstance(event, dict):
        raise ValueError("no event")
    if event_type == "card.action.trigger":
        open_id = _field(event, "operator", "open_id")
        payload = _field(event, "action", "value", "payload")
        return Incoming(open_id, payload, clicked=True)
    if event_type != "im.message.receive_v1":
        return None
    if _field(event, "sender", "sender_type") != "user":
        return None
    open_id = _field(event, "sender", "sender_id", "open_id")
    chat_type = _field(event, "message", "chat_type")
    if chat_type == "group":
        return Incoming(open_id, None, _field(event, "message", "chat_id"))
    if chat_type != "p2p":
        raise ValueError("unknown chat type")
    if _field(event, "message", "message_type") != "text":
        return Incoming(open_id, None)
    content = json.loads(_field(event, "message", "content"))
    text = content.get("text") if isinstance(content, dict) else None
    if not isinstance(text, str):
        raise ValueError("a text message without text")
    return Incoming(open_id, text)


def _field(data: dict[str, Any], *path: str) -> str:
    """The non-empty string at `path` in nested objects; ValueError if there is none."""
    found: Any = data
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, str) or not found:
        raise ValueError(f"no {'.'.join(path)}")
    return found

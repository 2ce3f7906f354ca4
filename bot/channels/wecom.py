"""企业微信 (WeCom) self-built app callback: /webhooks/wecom/webhook.

GET is WeCom's URL check: msg_signature over echostr, which decrypts to the text to echo.
POST carries <xml><Encrypt>…</Encrypt></xml> with msg_signature, timestamp and nonce in the
query: the signature is checked first, a stale timestamp is refused, the payload must
decrypt for this corp id and app, and a message id is handled once (kept in the store).
Crypto: `bot.channels.wecom_crypto`; untrusted XML is parsed with defusedxml.

WeCom waits at most 5 s for the callback's answer, so the answer is an empty 200 as soon as
the message is recorded, and the bot's reply goes out through the message-send API with an access token reused until
shortly before it expires. WeCom app messages have no buttons here: they become numbered
options, and a bare "2" chooses the second.

Configured only from the environment: WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET,
WECOM_TOKEN, WECOM_ENCODING_AES_KEY (without all five the route answers 404),
WECOM_API_BASE (default https://qyapi.weixin.qq.com; tests point it at a fake platform).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.messaging import (
    API_TIMEOUT_S,
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
from bot.channels.wecom_crypto import WeComCryptoError, aes_key, decrypt, signature

logger = logging.getLogger(__name__)

CHANNEL = "wecom"
TOKEN_PATH = "/cgi-bin/gettoken"
SEND_PATH = "/cgi-bin/message/send"
TOKEN_INVALID_CODES = frozenset({40001, 40014, 42001})  # invalid credential, invalid, expired
_ECHO = re.compile(r"[0-9A-Za-z]{1,64}")


@dataclass(frozen=True)
class WeComSettings:
    """The app's credentials from WeCom's admin console."""

    corp_id: str
    agent_id: str
    secret: str
    token: str
    key: bytes  # from the EncodingAESKey
    api_base: str

    @classmethod
    def from_env(cls) -> WeComSettings | None:
        """The settings, or None unless all five credentials are set (and the key is one)."""
        names = ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN")
        values = [os.environ.get(name, "") for name in names]
        encoding_key = os.environ.get("WECOM_ENCODING_AES_KEY", "")
        if not all(values) or not encoding_key:
            return None
        if not values[1].isascii() or not values[1].isdigit():
            logger.error("WECOM_AGENT_ID must be the app's numeric AgentId; WeCom stays off")
            return None
        try:
            key = aes_key(encoding_key)
        except WeComCryptoError as exc:
            logger.error("WECOM_ENCODING_AES_KEY is unusable (%s); WeCom stays off", exc)
            return None
        base = os.environ.get("WECOM_API_BASE") or "https://qyapi.weixin.qq.com"
        corp_id, agent_id, secret, token = values
        return cls(corp_id, agent_id, secret, token, key, base.rstrip("/"))


class WeComInput(InputChannel):
    """WeCom's app callback as a Rasa input channel."""

    def __init__(self, settings: WeComSettings | None) -> None:
        self.settings = settings
        self.queue = ConversationQueue()
        self.token = AccessToken(self._fetch_token)

    @classmethod
    def name(cls) -> str:
        """/webhooks/wecom/webhook."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeComInput:
        """Credentials come from the environment only, never from credentials.yml."""
        return cls(WeComSettings.from_env())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The URL check (GET) and the message callback (POST); accepted turns finish before
        the server stops."""
        hook = Blueprint("wecom_webhook", __name__)

        @hook.route("/webhook", methods=["GET"])
        async def verify_url(request: Request) -> HTTPResponse:
            if self.settings is None:
                return refusal(404, "wecom is not configured")
            echo = self._verified_plaintext(request, request.args.get("echostr", ""))
            # A captured message callback is signed the same way: echoing it would decrypt it
            # for whoever sent it. WeCom's echostr decrypts to a short random number.
            if echo is None or not _ECHO.fullmatch(echo):
                return refusal(401, "bad signature")
            return response.text(echo)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.settings is None:
                return refusal(404, "wecom is not configured")
            return await self._receive(request, on_new_message)

        self.queue.drain_before_stop(hook)
        return hook

    def _verified_plaintext(self, request: Request, encrypted: str) -> str | None:
        """The plain text of `encrypted` if the request's signature covers it, its timestamp
        is fresh and it was encrypted for this corp; else None."""
        assert self.settings is not None
        stamp = request.args.get("timestamp", "")
        nonce = request.args.get("nonce", "")
        given = request.args.get("msg_signature", "")
        if not fresh_stamp(stamp) or not encrypted:
            return None
        expected = signature(self.settings.token, stamp, nonce, encrypted)
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode()):
            return None
        try:
            message, receive_id = decrypt(encrypted, self.settings.key)
        except WeComCryptoError:
            return None
        return message if receive_id == self.settings.corp_id else None

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        assert self.settings is not None
        body = callback_body(request)
        if body is None:
            return refusal(413, "too large")
        envelope = _xml(body)
        encrypted = envelope.findtext("Encrypt") if envelope is not None else None
        if not encrypted:
            return refusal(400, "not a WeCom callback")
        plain = self._verified_plaintext(request, encrypted)
        if plain is None:
            return refusal(401, "bad or stale signature")
        message = _xml(plain.encode())
        if message is None or message.findtext("AgentID") != self.settings.agent_id:
            return refusal(400, "not a message for this app")
        user, kind = message.findtext("FromUserName"), message.findtext("MsgType")
        if kind == "event":  # entering the app, menu clicks…: nothing to answer
            return response.text("")
        message_id, text = message.findtext("MsgId"), message.findtext("Content")
        if not user or not message_id or (kind == "text" and text is None):
            return refusal(400, "malformed message")
        conversation = keyed_conversation(
            CHANNEL, self.settings.secret, f"{self.settings.corp_id}:{user}"
        )
        app, readable = request.app, text if kind == "text" else None

        async def answer() -> None:
            await self._answer(app, on_new_message, user, conversation, readable)

        refused = await self.queue.submit_once(conversation, CHANNEL, [f"msg:{message_id}"], answer)
        return refused or response.text("")  # an empty answer: the reply follows via the API

    async def _answer(
        self,
        app: Sanic,
        on_new_message: OnNewMessage,
        user: str,
        conversation: str,
        text: str | None,
    ) -> None:
        """Run the customer's turn and send the bot's reply."""
        if text is None:
            reply = TEXT_ONLY_REPLY
        else:
            reply = as_plain_text(await run_turn(app, on_new_message, text, conversation, CHANNEL))
        if reply:
            await self._send(user, reply)

    def _fetch_token(self) -> tuple[str, int]:
        """A new access token and its lifetime in seconds."""
        assert self.settings is not None
        answer = requests.get(
            self.settings.api_base + TOKEN_PATH,
            params={"corpid": self.settings.corp_id, "corpsecret": self.settings.secret},
            timeout=API_TIMEOUT_S,
        )
        answer.raise_for_status()
        found = answer.json()
        if found.get("errcode") != 0 or not isinstance(found.get("access_token"), str):
            raise requests.RequestException(f"token refused: errcode {found.get('errcode')}")
        return found["access_token"], int(found.get("expires_in", 0))

    async def _send(self, user: str, text: str) -> None:
        """Send one text message to a member of the corp."""
        assert self.settings is not None
        url = self.settings.api_base + SEND_PATH
        message = {
            "touser": user,
            "msgtype": "text",
            "agentid": int(self.settings.agent_id),
            "text": {"content": text},
        }

        def attempt(token: str) -> object:
            answer = requests.post(
                url, params={"access_token": token}, json=message, timeout=API_TIMEOUT_S
            )
            return answer.json().get("errcode")

        await call_api(self.token.send, "WeCom", attempt, TOKEN_INVALID_CODES)


def _xml(data: bytes) -> Element | None:
    """An untrusted XML document's root (no entities, no DTDs), or None."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError):  # LookupError: encoding=
        return None
    return root if isinstance(root, Element) else None

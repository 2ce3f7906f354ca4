"""钉钉 (DingTalk) enterprise robot: POST /webhooks/dingtalk/webhook.

DingTalk signs each callback: header `timestamp` (ms) and `sign` = base64(HMAC-SHA256(key=app
secret, message=f"{timestamp}\\n{app secret}")). The signature covers the timestamp only, not the
body, so a signed pair is accepted once, the body's `createAt` must be within a minute of it,
and a message id is handled once (both remembered in the store, so every replica and a
restart agree): a request failing any of these gets 4xx and reaches nothing.
The callback is answered as soon as the message is recorded; the bot's turn runs in the
background, one conversation's turns in the order they arrived, and the reply goes back
through the callback's unexpired `sessionWebhook`, only to `/robot/sendBySession` on the
configured platform host, so a message cannot make the bot post anywhere else. Group chats get
a fixed "message me privately": order details are personal.

Configured only from the environment: DINGTALK_APP_SECRET (without it the route answers 404),
DINGTALK_API_BASE (default https://oapi.dingtalk.com; tests point it at a fake platform).
The customer is the platform's verified sender id, never anything in the message text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.messaging import (
    API_TIMEOUT_S,
    GROUP_CHAT_REPLY,
    ConversationQueue,
    call_api,
    callback_body,
    fresh_stamp,
    keyed_conversation,
    now_s,
    refusal,
    run_turn,
)
from bot.channels.text_replies import as_plain_text

logger = logging.getLogger(__name__)

CHANNEL = "dingtalk"
MAX_CREATED_SKEW_MS = 60 * 1000  # the message was written when it was signed
_TIMESTAMP = re.compile(r"[0-9]{13}")
REPLY_PATH = "/robot/sendBySession"
PRIVATE_CHAT = "1"


def signature(timestamp: str, secret: str) -> str:
    """DingTalk's callback signature for `timestamp` (milliseconds, as sent)."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkInput(InputChannel):
    """DingTalk's robot callback as a Rasa input channel."""

    def __init__(self, secret: str | None, api_base: str) -> None:
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.queue = ConversationQueue()

    @classmethod
    def name(cls) -> str:
        """/webhooks/dingtalk/webhook."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> DingTalkInput:
        """Credentials come from the environment only, never from credentials.yml."""
        return cls(
            os.environ.get("DINGTALK_APP_SECRET") or None,
            os.environ.get("DINGTALK_API_BASE", "https://oapi.dingtalk.com"),
        )

    def _verified(self, request: Request) -> str | None:
        """The request's timestamp if its signature is DingTalk's and recent, else None."""
        assert self.secret is not None
        stamp = request.headers.get("timestamp", "")
        sign = request.headers.get("sign", "")
        if not _TIMESTAMP.fullmatch(stamp) or not fresh_stamp(stamp, per_second=1000):
            return None
        expected = signature(stamp, self.secret).encode()
        given = sign.encode("utf-8", "surrogateescape")
        return stamp if hmac.compare_digest(given, expected) else None

    def _reply_url(self, body: dict[str, Any]) -> str | None:
        """The session webhook, if it is DingTalk's reply endpoint and has not expired."""
        url, expires = body.get("sessionWebhook"), body.get("sessionWebhookExpiredTime")
        if not isinstance(url, str) or not isinstance(expires, int):
            return None
        try:
            ours, theirs = urlsplit(self.api_base), urlsplit(url)
        except ValueError:  # "http://[" and the like
            return None
        if (theirs.scheme, theirs.netloc, theirs.path) != (ours.scheme, ours.netloc, REPLY_PATH):
            return None
        return url if expires > now_s() * 1000 else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The callback route."""
        hook = Blueprint("dingtalk_webhook", __name__)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.secret is None:
                return refusal(404, "dingtalk is not configured")
            if callback_body(request) is None:
                return refusal(413, "too large")
            stamp = self._verified(request)
            if stamp is None:
                return refusal(401, "bad or stale signature")
            body = request.json if isinstance(request.json, dict) else {}
            message = _text_message(body, int(stamp))
            reply_url = self._reply_url(body)
            if message is None or reply_url is None:
                return refusal(400, "not a DingTalk text message")
            text, sender, message_id = message
            conversation = keyed_conversation(CHANNEL, self.secret, sender)
            group = str(body.get("conversationType")) != PRIVATE_CHAT
            app = request.app

            async def answer() -> None:
                if group:
                    await call_api(_post_reply, reply_url, GROUP_CHAT_REPLY)
                    return
                messages = await run_turn(app, on_new_message, text, conversation, CHANNEL)
                if reply := as_plain_text(messages):
                    await call_api(_post_reply, reply_url, reply)

            # One signature, one message: the signature does not cover the body.
            deliveries = [f"sign:{stamp}:{request.headers.get('sign')}", f"msg:{message_id}"]
            refused = await self.queue.submit_once(conversation, CHANNEL, deliveries, answer)
            return refused or response.json({})

        self.queue.drain_before_stop(hook)
        return hook


def _text_message(body: dict[str, Any], stamp: int) -> tuple[str, str, str] | None:
    """(text, sender, message id) of a text message written when it was signed, else None."""
    text = body.get("text")
    content = text.get("content") if isinstance(text, dict) else None
    sender = body.get("senderStaffId") or body.get("senderId")
    message_id, created = body.get("msgId"), body.get("createAt")
    if not (isinstance(content, str) and isinstance(sender, str) and sender
            and isinstance(message_id, str) and isinstance(created, int)):  # fmt: skip
        return None
    if abs(created - stamp) > MAX_CREATED_SKEW_MS:
        return None
    return content, sender, message_id


def _post_reply(url: str, text: str) -> None:
    """Send a reply; DingTalk answers 200 with errcode != 0 when it refuses one."""
    try:
        answer = requests.post(
            url, json={"msgtype": "text", "text": {"content": text}}, timeout=API_TIMEOUT_S
        )
        answer.raise_for_status()
        errcode = answer.json().get("errcode", 0)
        if errcode != 0:
            logger.error("DingTalk refused the reply: errcode %s", errcode)
    except (requests.RequestException, ValueError) as exc:
        logger.error("DingTalk did not take the reply: %s", type(exc).__name__)

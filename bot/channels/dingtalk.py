"""钉钉 (DingTalk) enterprise robot: POST /webhooks/dingtalk/webhook.

DingTalk signs each callback: header `timestamp` (ms) and `sign` = base64(HMAC-SHA256(key=app
secret, message=f"{timestamp}\\n{app secret}")). The signature covers the timestamp only, not the
body, so a signed pair is accepted once, the body's `createAt` must be within a minute of it,
and a message id is handled once: a request failing any of these gets 4xx and reaches nothing.
The reply goes back through the callback's unexpired `sessionWebhook`, and only to
`/robot/sendBySession` on the configured platform host, so a message cannot make the bot post
anywhere else. Group chats get a fixed "message me privately": order details are personal.

Configured only from the environment: DINGTALK_APP_SECRET (without it the route answers 404),
DINGTALK_API_BASE (default https://oapi.dingtalk.com; tests point it at a fake platform).
The customer is the platform's verified sender id, never anything in the message text.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.text_replies import as_plain_text, chosen_option

logger = logging.getLogger(__name__)

MAX_CLOCK_SKEW_MS = 60 * 60 * 1000  # DingTalk's own limit for a signed callback
MAX_CREATED_SKEW_MS = 60 * 1000  # the message was written when it was signed
_TIMESTAMP = re.compile(r"[0-9]{13}")
REPLY_PATH = "/robot/sendBySession"
PRIVATE_CHAT = "1"
GROUP_CHAT_REPLY = "为了保护您的订单信息，请私聊我办理售后。"
FAILURE_REPLY = "抱歉，系统暂时出了点问题，请稍后再试，或回复“转人工”。"
SEEN_MESSAGES = 10_000  # message ids remembered against replays
REPLY_TIMEOUT_S = 10


def signature(timestamp: str, secret: str) -> str:
    """DingTalk's callback signature for `timestamp` (milliseconds, as sent)."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkInput(InputChannel):
    """DingTalk's robot callback as a Rasa input channel."""

    def __init__(self, secret: str | None, api_base: str) -> None:
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self._seen: OrderedDict[str, None] = OrderedDict()
        # The numbered options last sent to each sender, so "2" can mean the second button.
        self._options: OrderedDict[str, list[dict[str, str]]] = OrderedDict()

    @classmethod
    def name(cls) -> str:
        """/webhooks/dingtalk/webhook."""
        return "dingtalk"

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
        if not _TIMESTAMP.fullmatch(stamp):
            return None
        if abs(time.time() * 1000 - int(stamp)) > MAX_CLOCK_SKEW_MS:
            return None
        expected = signature(stamp, self.secret).encode()
        given = sign.encode("utf-8", "surrogateescape")
        return stamp if hmac.compare_digest(given, expected) else None

    def _first_time(self, message_id: str) -> bool:
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        while len(self._seen) > SEEN_MESSAGES:
            self._seen.popitem(last=False)
        return True

    def _reply_url(self, body: dict[str, Any]) -> str | None:
        """The session webhook, if it is DingTalk's reply endpoint and has not expired."""
        url, expires = body.get("sessionWebhook"), body.get("sessionWebhookExpiredTime")
        if not isinstance(url, str) or not isinstance(expires, int):
            return None
        ours, theirs = urlsplit(self.api_base), urlsplit(url)
        if (theirs.scheme, theirs.netloc, theirs.path) != (ours.scheme, ours.netloc, REPLY_PATH):
            return None
        return url if expires > time.time() * 1000 else None

    def _conversation(self, sender: str) -> str:
        """The conversation id of a DingTalk user, keyed with the app secret: nobody can
        compute it from a staff id and continue the conversation through another channel."""
        assert self.secret is not None
        keyed = hmac.new(self.secret.encode(), sender.encode(), hashlib.sha256).hexdigest()
        return f"dingtalk:{keyed[:40]}"

    def _remember_options(self, sender: str, messages: list[dict[str, Any]]) -> None:
        """The options of this turn only: a number answers the latest question."""
        self._options.pop(sender, None)
        buttons = [b for m in messages for b in (m.get("buttons") or [])]
        if buttons:
            self._options[sender] = buttons
            while len(self._options) > SEEN_MESSAGES:
                self._options.popitem(last=False)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The callback route."""
        hook = Blueprint("dingtalk_webhook", __name__)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.secret is None:
                return response.json({"error": "dingtalk is not configured"}, status=404)
            stamp = self._verified(request)
            if stamp is None:
                return response.json({"error": "bad or stale signature"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            message = _text_message(body, int(stamp))
            reply_url = self._reply_url(body)
            if message is None or reply_url is None:
                return response.json({"error": "not a DingTalk text message"}, status=400)
            text, sender, message_id = message
            # One signature, one message: the signature does not cover the body.
            if not self._first_time(f"sign:{stamp}:{request.headers.get('sign')}"):
                return response.json({"error": "signature already used"}, status=409)
            if not self._first_time(f"msg:{message_id}"):
                return response.json({"error": "already handled"}, status=409)
            if str(body.get("conversationType")) != PRIVATE_CHAT:
                await asyncio.to_thread(_post_reply, reply_url, GROUP_CHAT_REPLY)
                return response.json({})
            conversation = self._conversation(sender)
            text = chosen_option(text, self._options.get(conversation, []))
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, conversation, input_channel=self.name())
                )
            except Exception:  # the customer gets an apology, never silence
                logger.exception("the bot failed on a DingTalk message")
                collector.messages = [{"text": FAILURE_REPLY}]
            self._remember_options(conversation, collector.messages)
            reply = as_plain_text(collector.messages)
            if reply:
                await asyncio.to_thread(_post_reply, reply_url, reply)
            return response.json({})

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
            url, json={"msgtype": "text", "text": {"content": text}}, timeout=REPLY_TIMEOUT_S
        )
        answer.raise_for_status()
        errcode = answer.json().get("errcode", 0)
        if errcode != 0:
            logger.error("DingTalk refused the reply: errcode %s", errcode)
    except (requests.RequestException, ValueError) as exc:
        logger.error("DingTalk did not take the reply: %s", type(exc).__name__)

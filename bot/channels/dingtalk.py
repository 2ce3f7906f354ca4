"""钉钉 (DingTalk) enterprise robot: POST /webhooks/dingtalk/webhook.

DingTalk signs each callback: header `timestamp` (ms) and `sign` = base64(HMAC-SHA256(key=app
secret, message=f"{timestamp}\\n{app secret}")). A request whose signature does not match, whose
timestamp is more than an hour away, or whose message id was already handled is refused with
4xx and reaches nothing. The reply goes back through the callback's `sessionWebhook`, and only
to the configured platform host, so a message cannot make the bot call anywhere else.

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

    def _verified(self, request: Request) -> bool:
        assert self.secret is not None
        stamp = request.headers.get("timestamp", "")
        sign = request.headers.get("sign", "")
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > MAX_CLOCK_SKEW_MS:
            return False
        return hmac.compare_digest(sign, signature(stamp, self.secret))

    def _first_time(self, message_id: str) -> bool:
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        while len(self._seen) > SEEN_MESSAGES:
            self._seen.popitem(last=False)
        return True

    def _reply_url(self, body: dict[str, Any]) -> str | None:
        url = body.get("sessionWebhook")
        if not isinstance(url, str):
            return None
        ours, theirs = urlsplit(self.api_base), urlsplit(url)
        same_host = (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)
        return url if same_host else None

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
            if not self._verified(request):
                return response.json({"error": "bad or stale signature"}, status=401)
            body = request.json if isinstance(request.json, dict) else None
            text = ((body or {}).get("text") or {}).get("content")
            sender = (body or {}).get("senderStaffId") or (body or {}).get("senderId")
            message_id = (body or {}).get("msgId")
            reply_url = self._reply_url(body or {})
            if not (isinstance(text, str) and isinstance(sender, str) and sender
                    and isinstance(message_id, str) and reply_url):  # fmt: skip
                return response.json({"error": "not a DingTalk text message"}, status=400)
            if not self._first_time(message_id):
                return response.json({"error": "already handled"}, status=409)
            sender_id = f"dingtalk:{hashlib.sha256(sender.encode()).hexdigest()[:32]}"
            text = chosen_option(text, self._options.get(sender_id, []))
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, sender_id, input_channel=self.name()))
            self._remember_options(sender_id, collector.messages)
            reply = as_plain_text(collector.messages)
            if reply:
                await asyncio.to_thread(_post_reply, reply_url, reply)
            return response.json({})

        return hook


def _post_reply(url: str, text: str) -> None:
    try:
        requests.post(
            url, json={"msgtype": "text", "text": {"content": text}}, timeout=REPLY_TIMEOUT_S
        ).raise_for_status()
    except requests.RequestException as exc:
        logger.error("DingTalk did not take the reply: %s", type(exc).__name__)

"""The shop page's chat widget: POST /webhooks/web/webhook, from our own web server only.

The body is the REST channel's ({"sender", "message", "metadata"}); the difference is who may
send it. The page's server (`bot/web`) is the only client: it proves it with the key both
processes share (WEB_CHANNEL_KEY; `make run` makes one per run when none is set), so the
widget's conversations are recorded as channel `web`. A widget's `web-<uuid>` conversation
can be reached only through the page (and the REST channel refuses such senders): whoever
knows the random id is the browser that made it. Without a key the route answers 404.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from sanic.exceptions import Forbidden, InvalidUsage, NotFound
from sanic.request import Request

from bot.channels.rest import CheckedRestInput, request_body
from bot.identifiers import CLIENT_ADDRESS_HEADER, WIDGET_KEY_HEADER, WIDGET_SENDER


class WebWidgetInput(CheckedRestInput):
    """The widget's messages, forwarded by the page's server."""

    def __init__(self, key: str | None) -> None:
        super().__init__()
        self.key = key

    @classmethod
    def name(cls) -> str:
        """/webhooks/web/webhook."""
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebWidgetInput:
        """The key comes from the environment only, never from credentials.yml."""
        return cls(os.environ.get("WEB_CHANNEL_KEY") or None)

    def checked_sender(self, req: Request) -> str:
        """The widget's web-<uuid>, from the page's server only (403 without its key)."""
        if self.key is None:
            raise NotFound("the web channel is not configured")
        given = req.headers.get(WIDGET_KEY_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self.key.encode()):
            raise Forbidden("only the shop page's server may use this channel")
        sender = request_body(req).get("sender")
        if not isinstance(sender, str) or not WIDGET_SENDER.fullmatch(sender):
            raise InvalidUsage("'sender' must be the widget's web-<uuid>")
        return sender

    def client_address(self, req: Request) -> str:
        """The browser's address as the page's server saw it (it sends it only after proving
        itself with the key, checked first); the connection's if it sent none."""
        return req.headers.get(CLIENT_ADDRESS_HEADER, "")[:64] or super().client_address(req)

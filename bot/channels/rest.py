"""Rasa's REST channel, refusing what it cannot trust before anything reaches the bot.

Rasa's own `rest` channel accepts a missing sender (every such client then shares one
conversation, `default`, and with it any proof of ownership made in it), a sender the tracker
store cannot encode (a lone surrogate stopped the whole server), a message that is not text,
and an `input_channel` the client names itself. This channel answers those with 400. The
conversation id is the sender. In the production profile it is issued by the server with a
token every message must carry (bot/channels/rest_sessions.py); in the embedded default a
client must make it unguessable itself (a random id per chat). Either way it proves nothing
about who the customer is: orders still need their proof.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage, NotFound, SanicException, Unauthorized
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.messaging import (  # verified platform users' conversations
    CONVERSATION_PREFIXES,
    FAILURE_REPLY,
    MAX_MESSAGE_CHARS,
    OnNewMessage,
)
from bot.channels.redelivery import DELIVERY_HEADER, DELIVERY_KEY, delivery_id
from bot.channels.rest_sessions import issue_session, session_sender, sessions_required
from bot.identifiers import (  # the web widget's conversations (bot/channels/web.py)
    WIDGET_PREFIX,
    proxied_client,
)
from bot.nlp.normalise import encodable
from bot.privacy.redact import too_deep
from bot.services.admission import admit

logger = logging.getLogger(__name__)

# Ids as platforms and widgets make them (UUIDs, open ids, e-mail-like ids); at most the
# width of the store's conversation_id columns.
SENDER_ID = re.compile(r"[A-Za-z0-9_.:@\-]{1,128}")
RESERVED_SENDERS = frozenset({"default"})  # Rasa's shared fallback conversation
# Payloads of Rasa's default intents: /back rewinds a form mid-way and can leave the
# conversation looping, /session_start answers nothing. A customer's "/back" is only words.
# Rasa strips the text (and spaces after the slash) before it reads an intent, so the check
# is on the stripped text too.
RASA_CONTROL = re.compile(r"/\s*(?:back|session_start)\b")
# What a client may put in `metadata`: the shop's sign-in token (actions/identity.py). Nothing
# else is read, so nothing else is stored.
METADATA_KEYS = frozenset({"customer_token"})
MAX_METADATA_VALUE_CHARS = 4096  # a JWT is a few hundred characters


class TooManyConversations(SanicException):
    """429: this address started its hour's share of conversations."""

    status_code = 429
    quiet = True


def request_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 if the body is anything else."""
    body = request.json
    if not isinstance(body, dict):
        raise InvalidUsage("the body must be a JSON object")
    return body


class CheckedRestInput(RestInput):
    """POST /webhooks/rest/webhook {"sender": id, "message": text, "metadata": {...}}."""

    @classmethod
    def name(cls) -> str:
        """The same URL as Rasa's REST channel."""
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's REST routes, with a turn that fails answered by an apology: Rasa's own
        channel logs the failure and answers `[]`, which the customer reads as silence."""

        async def guarded(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("a %s turn failed", self.name())
                await message.output_channel.send_response(
                    message.sender_id, {"text": FAILURE_REPLY}
                )

        blueprint = super().blueprint(guarded)
        if self.name() != CheckedRestInput.name():  # the widget's channel has its own ids
            return blueprint

        @blueprint.route("/session", methods=["POST"])
        async def session(request: Request) -> HTTPResponse:
            """A new conversation id and its token (bot/channels/rest_sessions.py)."""
            secret = os.environ.get("REST_SESSION_SECRET")
            if not secret:
                raise NotFound("REST sessions are not configured")
            return response.json(issue_session(secret))

        return blueprint

    async def _extract_sender(self, req: Request) -> str:
        sender = self.checked_sender(req)
        # The rest of the request is checked before it may take a place under the limit.
        self._extract_message(req)
        self.get_metadata(req)
        if not await asyncio.to_thread(admit, self.client_address(req), sender):
            raise TooManyConversations(
                "too many new conversations from this address; continue an existing one"
            )
        return sender

    def checked_sender(self, req: Request) -> str:
        """The request's sender if this channel takes it; 400 (or 401/403/404) if not."""
        sender = request_body(req).get("sender")
        if sessions_required():
            secret = os.environ.get("REST_SESSION_SECRET", "")
            proven = session_sender(req.headers.get("Authorization"), secret) if secret else None
            if proven is None or proven != sender:
                raise Unauthorized(
                    "this conversation needs its session token: POST /webhooks/rest/session "
                    "for one, then send Authorization: Bearer <token>",
                    scheme="Bearer",
                )
        if not isinstance(sender, str) or not SENDER_ID.fullmatch(sender):
            raise InvalidUsage("'sender' must be 1-128 letters, digits or _ . : @ -")
        if sender in RESERVED_SENDERS or sender.startswith((*CONVERSATION_PREFIXES, WIDGET_PREFIX)):
            raise InvalidUsage("this 'sender' belongs to another channel")
        return sender

    def client_address(self, req: Request) -> str:
        """Who sent the request: behind a proxy that appends the client's address to
        X-Forwarded-For (RASA_BEHIND_PROXY=1, which `python -m bot serve` sets for the
        replicas behind its nginx) that address, else the connection's."""
        forwarded = proxied_client(req.headers.get("X-Forwarded-For"))
        if os.environ.get("RASA_BEHIND_PROXY") == "1" and forwarded:
            return forwarded
        return req.ip or "?"

    def _extract_message(self, req: Request) -> str:
        message = request_body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string")
        message = message[:MAX_MESSAGE_CHARS]  # read by its beginning, never stored whole
        if RASA_CONTROL.match(message.strip()):  # Rasa's own /back …: as plain words
            message = message.strip().lstrip("/")
        return encodable(message)  # a lone surrogate could not be stored with a complaint

    def _extract_input_channel(self, req: Request) -> str:
        """This channel's name: a client does not get to say which channel it is."""
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """What the bot reads of the request's `metadata` object (METADATA_KEYS, as short
        strings; the rest is dropped, not stored), with the delivery id of its X-Request-Id
        header (bot/channels/redelivery.py); 400 if it is nested too deep to be checked."""
        metadata = request_body(request).get("metadata")
        if too_deep(metadata):
            raise InvalidUsage("'metadata' is nested too deep")
        kept = {
            key: value for key, value in metadata.items()
            if key in METADATA_KEYS and isinstance(value, str)
            and len(value) <= MAX_METADATA_VALUE_CHARS
        } if isinstance(metadata, dict) else {}  # fmt: skip
        delivery = delivery_id(request.headers.get(DELIVERY_HEADER))
        if delivery is not None:
            kept[DELIVERY_KEY] = delivery
        return kept or None

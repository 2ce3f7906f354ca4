"""What the messaging-platform channels (DingTalk, Feishu, WeCom) share.

Each platform signs its callbacks differently, but once a callback is verified they all do
the same things: refuse a delivery seen before (kept in the store, so every replica and a
restart agree), turn the platform's user id into a conversation id nobody can compute
without the app's secret, read a bare "2" as the second button the bot last offered, run
one turn of the bot with an apology instead of silence on failure, and send the reply with
the platform's access token, reused until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.text_replies import chosen_option
from bot.clock import utc_now
from bot.services.deliveries import first_delivery
from bot.store import StoreUnavailable

logger = logging.getLogger(__name__)

# Conversation ids of verified platform users start with these; no other channel may use them.
CONVERSATION_PREFIXES = ("dingtalk:", "feishu:", "wecom:")
MAX_CALLBACK_BYTES = 64 * 1024  # a chat message callback is a few KB
MAX_SIGNATURE_AGE_S = 60 * 60  # a signed callback older (or newer) than this is refused
API_TIMEOUT_S = 10  # for each call to a platform's API
TOKEN_REFRESH_MARGIN_S = 300  # fetch a new access token this long before the old one expires
DRAIN_TIMEOUT_S = 10  # on shutdown, how long accepted turns may take (serve waits 15 s)
GROUP_CHAT_REPLY = "为了保护您的订单信息，请私聊我办理售后。"
FAILURE_REPLY = "抱歉，系统暂时出了点问题，请稍后再试，或回复“转人工”。"
TEXT_ONLY_REPLY = "抱歉，我暂时只能看懂文字消息。请用文字描述您的问题，或回复“转人工”。"
_STAMP = re.compile(r"[0-9]{1,13}")  # ASCII digits only; longer would overflow a float

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
T = TypeVar("T")

# Calls to the platforms' APIs wait here, not in the default pool the store checks use: a slow
# platform must not delay the next callback's answer past the platform's deadline.
_API_CALLS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="platform-api")
# The longest message the bot reads (a long complaint fits): longer ones are cut, before
# anything is parsed or stored (here for the platforms, in bot/channels/rest.py for REST).
MAX_MESSAGE_CHARS = 2000


def now_s() -> float:
    """Seconds since the epoch, from the shop's one clock."""
    return utc_now().timestamp()


def fresh_stamp(text: str, per_second: int = 1) -> bool:
    """Is `text` a plain timestamp (seconds, or milliseconds with per_second=1000) within
    an hour of now? Anything else (not digits, absurdly long) is simply not fresh."""
    if not _STAMP.fullmatch(text):
        return False
    return abs(now_s() - int(text) / per_second) <= MAX_SIGNATURE_AGE_S


def keyed_conversation(channel: str, secret: str, user_id: str) -> str:
    """The conversation id of a platform user, keyed with the app's secret: nobody can compute
    it from a user id and continue that customer's conversation through another channel."""
    user = user_id.encode("utf-8", "surrogatepass")  # any string a platform sends
    keyed = hmac.new(secret.encode(), user, hashlib.sha256).hexdigest()
    return f"{channel}:{keyed[:40]}"


def refusal(status: int, reason: str) -> HTTPResponse:
    """A 4xx/5xx answer to a callback the bot did not act on."""
    return response.json({"error": reason}, status=status)


def callback_body(request: Request) -> bytes | None:
    """The raw body of a callback, or None when it is larger than any chat callback."""
    body = request.body or b""
    return None if len(body) > MAX_CALLBACK_BYTES else body


async def call_api(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking call to a platform's API in the API threads."""
    return await asyncio.get_running_loop().run_in_executor(_API_CALLS, function, *args)


async def duplicate_or_unavailable(channel: str, delivery_ids: list[str]) -> HTTPResponse | None:
    """The refusal for a delivery already handled (409) or that the store cannot check (503:
    the platform delivers it again later), else None: the delivery is now recorded."""
    for delivery_id in delivery_ids:
        try:
            first = await asyncio.to_thread(first_delivery, channel, delivery_id)
        except StoreUnavailable:
            logger.error("the store could not check a %s delivery", channel)
            return refusal(503, "try again later")
        if not first:
            return refusal(409, "already handled")
    return None


async def offered_buttons(app: Sanic, conversation: str) -> list[dict[str, Any]]:
    """The buttons of the bot's last turn in `conversation` (read from the tracker store, so
    every replica knows them): what a bare "2" answers."""
    tracker = await app.ctx.agent.tracker_store.retrieve(conversation)
    if tracker is None:
        return []
    buttons: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            buttons[:0] = event.data.get("buttons") or []
    return buttons


async def run_turn(
    app: Sanic,
    on_new_message: OnNewMessage,
    text: str,
    conversation: str,
    channel: str,
    *,
    typed: bool = True,
) -> list[dict[str, Any]]:
    """One turn of the bot for a verified platform user: the replies it produced, or an
    apology if it failed (the customer never meets silence). `typed` text may be the number
    of an option; a clicked button's payload (typed=False) is taken as it is."""
    collector = CollectingOutputChannel()
    text = text[:MAX_MESSAGE_CHARS]  # a pasted novel is read by its beginning, not stored whole
    try:
        if typed:
            text = chosen_option(text, await offered_buttons(app, conversation))
        await on_new_message(UserMessage(text, collector, conversation, input_channel=channel))
    except Exception:
        logger.exception("the bot failed on a %s message", channel)
        collector.messages = [{"text": FAILURE_REPLY}]
    return collector.messages


class ConversationQueue:
    """Runs turns in the background, each conversation's turns in the order they arrived.

    Platforms that want their callback answered within seconds (Feishu 3 s, WeCom 5 s) get
    their answer as soon as the delivery is recorded; the bot then thinks and replies through
    the platform's API.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit_once(
        self,
        conversation: str,
        channel: str,
        delivery_ids: list[str],
        turn: Callable[[], Awaitable[None]],
    ) -> HTTPResponse | None:
        """Queue `turn` behind the conversation's earlier turns and run it if the store says
        the delivery is new; the refusal to answer otherwise (409, 503), else None.

        The turn takes its place before the store is asked, so two quick messages keep their
        order; the check and the turn carry on even if the platform hangs up meanwhile, so a
        delivery recorded as handled is never dropped.
        """
        check = asyncio.get_running_loop().create_task(
            duplicate_or_unavailable(channel, delivery_ids)
        )

        async def if_new() -> None:
            if await check is None:
                await turn()

        self.submit(conversation, if_new)
        return await asyncio.shield(check)

    def submit(self, conversation: str, turn: Callable[[], Awaitable[None]]) -> None:
        """Run `turn` after every turn already submitted for `conversation`."""
        self._waiting[conversation] = self._waiting.get(conversation, 0) + 1
        lock = self._locks.setdefault(conversation, asyncio.Lock())
        task = asyncio.get_running_loop().create_task(self._run(conversation, lock, turn))
        self._tasks.add(task)  # a task nobody references may be collected mid-turn
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self, conversation: str, lock: asyncio.Lock, turn: Callable[[], Awaitable[None]]
    ) -> None:
        try:
            async with lock:
                await turn()
        except Exception:
            logger.exception("a background turn failed")
        finally:
            self._waiting[conversation] -= 1
            if not self._waiting[conversation]:
                del self._waiting[conversation], self._locks[conversation]

    def drain_before_stop(self, hook: Blueprint) -> None:
        """Have the server wait for this queue's accepted turns before it stops."""

        @hook.listener("before_server_stop")
        async def finish_turns(_app: Sanic, _loop: object) -> None:
            await self.drain()

    async def drain(self, timeout: float = DRAIN_TIMEOUT_S) -> None:
        """Wait (at most `timeout` seconds) for the turns already accepted: on shutdown, a
        customer whose message was acknowledged still gets the answer."""
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            if pending:
                logger.error("%d accepted turns were still running at shutdown", len(pending))


class AccessToken:
    """A platform access token, fetched when first needed and reused until shortly before it
    expires; `forget` drops one the platform has rejected. Safe to use from worker threads."""

    def __init__(self, fetch: Callable[[], tuple[str, int]]) -> None:
        self._fetch = fetch  # returns (token, lifetime in seconds); raises on failure
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def get(self) -> str:
        """A token believed valid now."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                token, lifetime = self._fetch()
                self._token = token
                self._renew_at = time.monotonic() + max(lifetime - TOKEN_REFRESH_MARGIN_S, 0)
            return self._token

    def forget(self, token: str) -> None:
        """Drop `token` (if still the cached one): the platform said it is no longer valid."""
        with self._lock:
            if self._token == token:
                self._token = None

    def send(
        self, platform: str, attempt: Callable[[str], object], invalid: frozenset[object]
    ) -> None:
        """Call the platform's API with a token: `attempt(token)` returns the platform's result
        code (0 is success); a code in `invalid` means the token was rejected, and the call is
        made once more with a fresh one. Failures are logged, never raised."""
        for _try in range(2):
            try:
                token = self.get()
                code = attempt(token)
            except (requests.RequestException, ValueError) as exc:
                logger.error("%s did not take the message: %s", platform, type(exc).__name__)
                return
            if code in invalid:
                self.forget(token)
                continue
            if code != 0:
                logger.error("%s refused the message: code %s", platform, code)
            return
        logger.error("%s refused a fresh access token", platform)

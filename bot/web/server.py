"""The shop's demo page and chat widget on one port.

- `GET /` the page, `GET /static/…` the widget (plain JS and CSS: no build step, no CDN);
- `POST /api/chat` forwards a message to the bot's `web` channel with the key only this
  server holds, so the page talks to its own origin only (no CORS), Rasa need not face the
  browser, and the widget's conversations are recorded as channel `web`;
- `GET /api/health` says whether the bot answers (the widget shows a reconnect state if not);
- `GET /demo/token?customer=zhangwei|lina` signs a demo sign-in token, only with BOT_DEMO=1
  (`make run` sets it; production never does): 404 otherwise;
- `GET|POST /upload?t=…` the photo upload page a signed link opens (`bot/web/uploads.py`);
- `GET /operator/…` a request's photos for the service team, with OPERATOR_TOKEN only
  (`bot/web/operator.py`);
- `/ops…` the operator console behind a password, with OPS_PASSWORD_HASH only
  (`bot/web/console.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_runner import GracefulExit

from bot.customer_tokens import issue_token
from bot.identifiers import CLIENT_ADDRESS_HEADER, WIDGET_KEY_HEADER, WIDGET_SENDER
from bot.privacy import install_log_redaction
from bot.privacy.redact import too_deep
from bot.store import StoreError, open_repository
from bot.web import console, operator, uploads
from bot.web.console_auth import is_password_hash

logger = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
MAX_BODY_BYTES = 16 * 1024
LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]"})
# Longer than nginx waits for a hung replica (120 s) plus the time a conversation's lock can
# outlive it (TICKET_LOCK_LIFETIME, 20 s) plus a turn: the retry of that turn waits for both.
UPSTREAM_TIMEOUT_S = 160
# The demo page's sign-in switch: who each choice is, by the phone on their demo orders.
DEMO_CUSTOMERS = {"zhangwei": ("张伟", "13800138000"), "lina": ("李娜", "13900139000")}
# Scripts and styles come from this origin only: even if some text slipped into the page as
# HTML, no inline script would run.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class WebOptions:
    """Where the page listens and where the bot is."""

    rasa_url: str
    demo: bool
    token_secret: str | None
    channel_key: str = ""  # WEB_CHANNEL_KEY: what the bot's web channel accepts from us
    upload_secret: str | None = None  # UPLOAD_LINK_SECRET: signs the photo upload links
    operator_token: str | None = None  # OPERATOR_TOKEN: the service team's bearer token
    # OPS_PASSWORD_HASH (python -m bot console-password) and OPS_SESSION_SECRET; without a
    # session secret, one made at start-up (sessions end with the process)
    ops_console: console.ConsoleOptions = dataclasses.field(
        default_factory=lambda: console.ConsoleOptions(None, "")
    )

    @classmethod
    def from_env(cls) -> WebOptions:
        """RASA_URL (default http://127.0.0.1:$RASA_PORT), BOT_DEMO, CUSTOMER_TOKEN_SECRET,
        WEB_CHANNEL_KEY, UPLOAD_LINK_SECRET, OPERATOR_TOKEN, OPS_PASSWORD_HASH,
        OPS_SESSION_SECRET, OPS_PUBLIC_ORIGIN, OPS_BEHIND_PROXY."""
        port = os.environ.get("RASA_PORT", "5005")
        return cls(
            rasa_url=os.environ.get("RASA_URL", f"http://127.0.0.1:{port}"),
            demo=os.environ.get("BOT_DEMO") == "1",
            token_secret=os.environ.get("CUSTOMER_TOKEN_SECRET") or None,
            channel_key=os.environ.get("WEB_CHANNEL_KEY", ""),
            upload_secret=os.environ.get("UPLOAD_LINK_SECRET") or None,
            operator_token=os.environ.get("OPERATOR_TOKEN") or None,
            ops_console=console.ConsoleOptions(
                password_hash=os.environ.get("OPS_PASSWORD_HASH") or None,
                secret=os.environ.get("OPS_SESSION_SECRET") or secrets.token_urlsafe(32),
                public_origin=os.environ.get("OPS_PUBLIC_ORIGIN") or None,
                behind_proxy=os.environ.get("OPS_BEHIND_PROXY") == "1",
            ),
        )


OPTIONS = web.AppKey("options", WebOptions)
IN_FLIGHT = web.AppKey("in_flight", set)
SESSION = web.AppKey("session", aiohttp.ClientSession)


@web.middleware
async def _security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as refusal:  # errors carry the headers too
        refusal.headers.update(SECURITY_HEADERS)
        raise
    for name, value in SECURITY_HEADERS.items():  # a route's own stricter policy stays
        response.headers.setdefault(name, value)
    return response


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def _chat(request: web.Request) -> web.Response:
    """Forward {sender, message, metadata} to Rasa; 503 if the bot does not answer."""
    try:  # read as UTF-8 whatever charset the request claims; deep nesting is not JSON we take
        body = json.loads((await request.read()).decode("utf-8"))
    except (ValueError, RecursionError):
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    if not isinstance(body, dict) or too_deep(body):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    forwarded = {k: body[k] for k in ("sender", "message", "metadata") if k in body}
    sender = forwarded.get("sender")
    if not isinstance(sender, str) or not WIDGET_SENDER.fullmatch(sender):
        raise web.HTTPBadRequest(text="sender must be the widget's web-<uuid>")
    busy: set[str] = request.app[IN_FLIGHT]
    if sender in busy:  # one message at a time per chat: a flood cannot hold every connection
        raise web.HTTPTooManyRequests(text="the previous message is still being answered")
    busy.add(sender)
    try:
        return await _forward(request, forwarded)
    finally:
        busy.discard(sender)


async def _forward(request: web.Request, forwarded: dict[str, Any]) -> web.Response:
    options, session = request.app[OPTIONS], request.app[SESSION]
    try:
        async with session.post(
            f"{options.rasa_url}/webhooks/web/webhook",
            json=forwarded,
            headers={
                WIDGET_KEY_HEADER: options.channel_key,
                CLIENT_ADDRESS_HEADER: console.client_address(request, options.ops_console),
            },
        ) as upstream:
            if upstream.status == 400:  # the channel refused it: say why
                raise web.HTTPBadRequest(text=await upstream.text())
            if upstream.status == 429:  # this address started too many conversations
                raise web.HTTPTooManyRequests(text=await upstream.text())
            if upstream.status in (403, 404):  # a deployment fault, not the customer's
                logger.error("the bot's web channel refused this server: check WEB_CHANNEL_KEY")
            upstream.raise_for_status()
            return web.json_response(await upstream.json())
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        logger.warning("the bot did not answer: %s", type(exc).__name__)
        raise web.HTTPServiceUnavailable(text="the bot is not reachable") from None


async def _health(request: web.Request) -> web.Response:
    options, session = request.app[OPTIONS], request.app[SESSION]
    try:
        async with session.get(f"{options.rasa_url}/") as upstream:
            if upstream.status == 200:
                return web.json_response({"bot": "up"})
    except (aiohttp.ClientError, asyncio.TimeoutError):
        pass
    return web.json_response({"bot": "down"}, status=503)


async def _demo_token(request: web.Request) -> web.Response:
    """A demo sign-in token for one of the demo customers (BOT_DEMO=1 only, and only for a
    page opened on this machine: a DNS-rebinding site or another host gets 404)."""
    options = request.app[OPTIONS]
    if not options.demo or not options.token_secret or request.host.split(":")[0] not in LOOPBACK:
        raise web.HTTPNotFound()
    choice = request.query.get("customer", "")
    if choice not in DEMO_CUSTOMERS:
        raise web.HTTPBadRequest(text="customer must be one of: " + ", ".join(DEMO_CUSTOMERS))
    name, phone = DEMO_CUSTOMERS[choice]
    customer = await asyncio.to_thread(_demo_customer_id, phone)
    if customer is None:
        raise web.HTTPServiceUnavailable(text="the demo customers are not in the store")
    return web.json_response({"name": name, "token": issue_token(customer, options.token_secret)})


def _demo_customer_id(phone: str) -> str | None:
    try:
        with open_repository() as repo:
            return repo.customer_id_of_phone(phone)
    except StoreError:
        return None


async def _client_session(app: web.Application) -> AsyncIterator[None]:
    """One HTTP client for the page's calls to the bot, closed with the app."""
    app[SESSION] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_S))
    yield
    await app[SESSION].close()


async def _upload_page(request: web.Request) -> web.Response:
    return await uploads.show_page(request, request.app[OPTIONS].upload_secret)


async def _upload(request: web.Request) -> web.Response:
    return await uploads.take_photos(request, request.app[OPTIONS].upload_secret)


async def _upload_expect(request: web.Request) -> web.Response | None:
    refusal = await uploads.before_continue(request, request.app[OPTIONS].upload_secret)
    if refusal is not None:  # sent before the middlewares run: the headers are added here
        refusal.headers.update(SECURITY_HEADERS)
    return refusal


async def _operator_photos(request: web.Request) -> web.Response:
    return await operator.list_photos(request, request.app[OPTIONS].operator_token)


async def _operator_photo(request: web.Request) -> web.Response:
    return await operator.get_photo(request, request.app[OPTIONS].operator_token)


ConsoleHandler = Callable[[web.Request, console.ConsoleOptions], Awaitable[web.Response]]


def _console(handler: ConsoleHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def route(request: web.Request) -> web.Response:
        return await handler(request, request.app[OPTIONS].ops_console)

    return route


def create_app(options: WebOptions) -> web.Application:
    """The page's web application."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_security_headers])
    app[OPTIONS] = options
    app[IN_FLIGHT] = set()
    app[uploads.UPLOADS] = uploads.Uploads()
    app.cleanup_ctx.append(_client_session)
    app.router.add_get("/", _page)
    app.router.add_static("/static/", STATIC)
    app.router.add_post("/api/chat", _chat)
    app.router.add_get("/api/health", _health)
    app.router.add_get("/demo/token", _demo_token)
    app.router.add_get("/upload", _upload_page)
    app.router.add_post("/upload", _upload, expect_handler=_upload_expect)
    app.router.add_get("/operator/requests/{subject}/photos", _operator_photos)
    app.router.add_get(r"/operator/photos/{photo_id:\d{1,12}}", _operator_photo)
    app.router.add_get("/ops", _console(console.dashboard))
    app.router.add_get("/ops/login", _console(console.login_page))
    app.router.add_post("/ops/login", _console(console.login))
    app.router.add_post("/ops/logout", _console(console.logout))
    app.router.add_get("/ops/report", _console(console.report))
    app.router.add_get("/ops/conversations", _console(console.conversation))
    app.router.add_post(
        r"/ops/{step:take-handoff|resolve}/{public_id:[A-Z]{2}\d{8}-\d{4}}", _console(console.act)
    )
    return app


class PathOnlyAccessLogger(AbstractAccessLogger):
    """One line per request with its path only: no query string (an upload link's token is
    there, percent-encoded or not), no Referer, no User-Agent."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """remote "METHOD /path" status seconds."""
        self.logger.info(
            '%s "%s %s" %s %.3fs', request.remote, request.method, request.path,
            response.status, time,
        )  # fmt: skip


def _exception_name(trace: str) -> str:
    """The final exception's class in a formatted traceback: the first unindented line after
    the last frame (its message may run over several lines)."""
    lines = trace.splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    after = lines[frames[-1] + 1 :] if frames else lines
    found = next((line for line in after if line and not line[0].isspace()), "")
    return found.split(":", 1)[0].rsplit(".", 1)[-1] or "error"


class ShortProtocolErrors(logging.Filter):
    """aiohttp logs a request it could not parse with the raw bytes it choked on (part of a
    customer's photo, half a megabyte of it): the record keeps the error's name only."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always kept, its traceback replaced by the exception's name. Log redaction may have
        turned the exception into text already (`exc_text`): its last line names it."""
        if record.exc_info and record.exc_info[1] is not None:
            name = type(record.exc_info[1]).__name__
        elif record.exc_text:
            name = _exception_name(record.exc_text)
        else:
            return True
        record.msg, record.args = "%s (%s)", ("error handling a request", name)
        record.exc_info = record.exc_text = None
        return True


# How the page's server runs (main and the tests alike). Request bodies are taken as sent:
# aiohttp would inflate a gzip body as it arrives, without a limit and in the one event loop,
# so 1 MB of gzip froze every route for seconds. Nothing here accepts a compressed body.
SERVER_OPTIONS: dict[str, Any] = {
    "auto_decompress": False,
    "access_log_class": PathOnlyAccessLogger,
}


async def _serve(app: web.Application, host: str, port: int) -> None:
    runner = web.AppRunner(app, handle_signals=True, **SERVER_OPTIONS)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        logger.info("the shop page is on http://%s:%d/", host, port)
        await asyncio.Event().wait()  # until Ctrl-C or SIGTERM
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Serve the page until stopped."""
    parser = argparse.ArgumentParser(prog="python -m bot.web")
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s  %(message)s"
    )
    install_log_redaction()  # the access log shows what browsers send (Referer, User-Agent)
    options = WebOptions.from_env()
    if not options.channel_key:
        logger.error(
            "WEB_CHANNEL_KEY is not set: start the page with 'make run' (python -m bot serve)"
        )
        return 1
    if options.operator_token and len(options.operator_token.encode()) < operator.MIN_TOKEN_BYTES:
        logger.error(
            "OPERATOR_TOKEN is shorter than %d bytes: the /operator routes stay off",
            operator.MIN_TOKEN_BYTES,
        )
    hashed = options.ops_console.password_hash
    if hashed and not is_password_hash(hashed):
        logger.error(
            "OPS_PASSWORD_HASH is not a hash from 'python -m bot console-password': /ops stays off"
        )
        options = dataclasses.replace(options, ops_console=console.ConsoleOptions(None, ""))
    logging.getLogger("aiohttp.server").addFilter(ShortProtocolErrors())
    with contextlib.suppress(GracefulExit, KeyboardInterrupt):  # the way to stop it
        asyncio.run(_serve(create_app(options), args.host, args.port))
    return 0

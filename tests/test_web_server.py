"""The page's own server, without the bot: what it refuses, the demo route that production
never has, the headers that keep injected text from running, and a down bot reported as 503."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.server import SERVER_OPTIONS, WebOptions, create_app

NOBODY_LISTENS = "http://127.0.0.1:9"  # the discard port: connections are refused


async def client_for(options: WebOptions) -> TestClient:
    """The page's app on a test server run as `main` runs it (no inflating, path-only log)."""
    server = TestServer(create_app(options))
    await server.start_server(**SERVER_OPTIONS)  # TestServer() itself drops these
    client = TestClient(server)
    await client.start_server()
    return client


@pytest.fixture
async def production() -> AsyncIterator[TestClient]:
    client = await client_for(WebOptions(NOBODY_LISTENS, demo=False, token_secret="s" * 40))
    yield client
    await client.close()


async def test_the_page_is_served_with_a_strict_content_policy(production: TestClient) -> None:
    page = await production.get("/")
    assert page.status == 200 and "在线客服" in await page.text()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = await production.get("/static/widget.js")
    source = await script.text()
    assert script.status == 200
    assert not any(sink in source for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML"))
    refused = await production.get("/demo/token")
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]  # errors too


async def test_no_demo_tokens_outside_the_demo(production: TestClient) -> None:
    assert (await production.get("/demo/token?customer=zhangwei")).status == 404


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
async def test_a_body_that_is_not_a_json_object_is_refused(
    production: TestClient, body: str
) -> None:
    reply = await production.post("/api/chat", data=body)
    assert reply.status == 400


WIDGET_SENDER = "web-0f8fad5b-d9cb-469f-a165-70867728950e"


async def test_an_oversized_message_is_refused(production: TestClient) -> None:
    body = {"sender": WIDGET_SENDER, "message": "退" * 20_000}
    assert (await production.post("/api/chat", json=body)).status == 413


@pytest.mark.parametrize("sender", ["me", "dingtalk:0123", "web-<script>", None])
async def test_only_the_widgets_own_senders_are_forwarded(
    production: TestClient, sender: object
) -> None:
    reply = await production.post("/api/chat", json={"sender": sender, "message": "你好"})
    assert reply.status == 400


async def test_a_bot_that_does_not_answer_is_a_503_not_a_crash(production: TestClient) -> None:
    reply = await production.post("/api/chat", json={"sender": WIDGET_SENDER, "message": "你好"})
    assert reply.status == 503
    assert (await production.get("/api/health")).status == 503


async def test_the_demo_signs_only_its_own_customers_for_this_machine() -> None:
    client = await client_for(WebOptions(NOBODY_LISTENS, demo=True, token_secret="s" * 40))
    try:
        assert (await client.get("/demo/token?customer=someone")).status == 400
        # A page served under another name (DNS rebinding, another host) gets nothing.
        rebound = await client.get(
            "/demo/token?customer=zhangwei", headers={"Host": "evil.example"}
        )
        assert rebound.status == 404
    finally:
        await client.close()


def test_a_request_aiohttp_could_not_parse_is_logged_without_its_bytes() -> None:
    import logging
    import sys

    from bot.web.server import ShortProtocolErrors

    try:
        raise ValueError("Invalid method encountered: b'\\xff\\xd8\\xff\\xe0 JFIF 13800138000'")
    except ValueError:
        record = logging.LogRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", None,
            sys.exc_info(),
        )  # fmt: skip
    assert ShortProtocolErrors().filter(record)
    assert record.getMessage() == "error handling a request (ValueError)"
    assert record.exc_info is None


def test_it_is_shortened_after_log_redaction_too() -> None:
    """In the running server the redacting record factory has already turned the exception
    into text before any filter sees the record."""
    import logging
    import sys

    from aiohttp.http_exceptions import BadHttpMessage

    from bot.privacy.log_filter import redact_record
    from bot.web.server import ShortProtocolErrors

    try:
        raise BadHttpMessage("Bad\x01Header: \xff\xfe 13800138000")
    except BadHttpMessage:
        record = redact_record(
            logging.LogRecord(
                "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", None,
                sys.exc_info(),
            )
        )  # fmt: skip
    assert record.exc_info is None and record.exc_text  # what redaction leaves
    assert ShortProtocolErrors().filter(record)
    assert record.getMessage() == "error handling a request (BadHttpMessage)"
    assert record.exc_text is None

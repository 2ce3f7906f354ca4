"""The operator console in headless Chromium, against the servers `make run` starts: signing
in, a customer's request for a person appearing in the list with its deadline, its
conversation, taking it, and the satisfaction report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import CONSOLE_PASSWORD, TIMEOUT_MS, BotServer, texts

pytestmark = pytest.mark.e2e


@pytest.fixture
def console(browser: Browser, bot_server: BotServer) -> Iterator[Page]:
    """A fresh browser profile, laptop-sized, at the console's address."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(bot_server.web_url + "/ops")
    yield page
    context.close()


def sign_in(page: Page, password: str) -> None:
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_agent_signs_in_sees_a_waiting_customer_reads_the_chat_and_takes_it(
    console: Page, bot_server: BotServer, tmp_path: Path
) -> None:
    assert console.url.endswith("/ops/login")  # a stranger gets the form, nothing else
    sign_in(console, "wrong password")
    assert "密码不正确" in console.inner_text("body")
    me = "e2e-console-customer"
    bot_server.say(me, "你好")
    assert "人工" in texts(bot_server.say(me, "转人工 我要找真人"))
    sign_in(console, CONSOLE_PASSWORD)
    console.wait_for_url("**/ops")
    row = console.locator("tr", has_text="人工接待").last
    assert "还剩" in row.inner_text() or "已超时" in row.inner_text()
    console.screenshot(path=str(tmp_path / "console.png"), full_page=True)
    row.get_by_text("对话").click()
    chat = console.inner_text("body")
    assert "转人工 我要找真人" in chat and "客户" in chat
    console.go_back()
    console.locator("tr", has_text="人工接待").last.get_by_role("button", name="已接待").click()
    console.wait_for_url("**/ops")
    assert me not in console.content()  # taken: off the waiting list


def test_the_report_opens_from_the_console(console: Page) -> None:
    sign_in(console, CONSOLE_PASSWORD)
    console.click("text=满意度报告")
    console.wait_for_url("**/ops/report")
    assert "售后满意度报告" in console.inner_text("h1")
    assert console.locator("img[src^='data:image/png']").count() >= 1

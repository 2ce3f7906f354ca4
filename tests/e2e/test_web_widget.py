"""The demo shop page in headless Chromium (Debian's, driven by Playwright): a return done by
typing and clicking, the rating row it leaves, the conversation kept across a reload, a
signed-in customer's order picked from buttons, text that looks like HTML shown as text, and
the reconnect state. Screenshots go to the test's temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import TIMEOUT_MS, BotServer
from tests.photo_samples import phone_jpeg

pytestmark = pytest.mark.e2e


@pytest.fixture
def dialogs() -> list[str]:
    """Every alert/confirm the page opened (there must be none)."""
    return []


@pytest.fixture
def page(browser: Browser, bot_server: BotServer, dialogs: list[str]) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) on the shop page, phone-sized."""
    context = browser.new_context(viewport={"width": 375, "height": 740})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(bot_server.web_url + "/")
    yield page
    context.close()


def bot_messages(page: Page) -> list[str]:
    return page.locator(".chat-message.bot .bubble").all_text_contents()


def say(page: Page, text: str) -> str:
    """Type a message, wait for the bot's answer; the answer's text."""
    before = len(bot_messages(page))
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    return wait_for_answer(page, before)


def click(page: Page, title: str) -> str:
    """Click the newest button with this title; the bot's answer."""
    before = len(bot_messages(page))
    page.locator(".chat-buttons button", has_text=title).last.click()
    return wait_for_answer(page, before)


def wait_for_answer(page: Page, before: int) -> str:
    page.locator(".chat-message.bot").nth(before).wait_for()
    page.locator("#chat-typing").wait_for(state="hidden")
    return "\n".join(bot_messages(page)[before:])


def open_chat(page: Page) -> str:
    page.click("#chat-launcher")
    return wait_for_answer(page, 0)


def test_a_return_done_by_typing_and_clicking_is_rated_and_survives_a_reload(
    page: Page, bot_server: BotServer, tmp_path: Path
) -> None:
    bot_server.settle("202411150003")
    assert "退换货" in open_chat(page)
    assert "订单号" in say(page, "我要退货")
    assert "手机号" in say(page, "202411150003")
    assert "原因" in say(page, "8000")
    assert "提交吗" in say(page, "不想要了")
    assert "满意度" in say(page, "确认")
    page.screenshot(path=str(tmp_path / "rating.png"))
    # A return has no outcome yet: no "solved?"; the optional questions end with one tap.
    assert "回复得快" in click(page, "5 非常满意")
    assert "感谢您的评价" in click(page, "跳过")
    sender = page.evaluate("JSON.parse(localStorage.getItem('aftersales-chat-v1')).sender")
    rows = bot_server.rows(
        "select overall, solved, responsiveness, topic, subject, channel from ratings "
        "where conversation_id = ?",
        sender,
    )
    [(overall, solved, responsiveness, topic, subject, channel)] = rows
    assert (overall, solved, responsiveness, topic, channel) == (5, None, None, "return", "web")
    assert subject.startswith("RT")

    shown = bot_messages(page)
    page.reload()
    page.locator(".chat-message.bot").nth(len(shown) - 1).wait_for()
    assert bot_messages(page) == shown
    page.screenshot(path=str(tmp_path / "after-reload.png"))


def test_a_signed_in_customer_picks_an_order_without_a_phone(page: Page, tmp_path: Path) -> None:
    with page.expect_response(lambda r: "/demo/token?customer=zhangwei" in r.url):
        page.select_option("#sign-in-as", "zhangwei")
    open_chat(page)
    assert "最近的订单" in click(page, "查退款进度")
    answer = click(page, "羽绒服")
    assert "手机号" not in answer
    page.screenshot(path=str(tmp_path / "signed-in.png"))


def test_text_that_looks_like_html_stays_text(page: Page, dialogs: list[str]) -> None:
    open_chat(page)
    attack = "<img src=x onerror=alert(1)>"
    say(page, attack)
    assert page.locator(".chat-message.user .bubble").last.text_content() == attack
    assert page.locator("#chat-messages img").count() == 0
    assert dialogs == []


def test_bot_text_and_button_titles_that_look_like_html_stay_text(page: Page) -> None:
    attack = "<img src=x onerror=document.title='pwned'>"
    answer = [{"recipient_id": "x", "text": attack, "buttons": [{"title": attack, "payload": "1"}]}]
    page.route("**/api/chat", lambda route: route.fulfill(json=answer))
    open_chat(page)
    assert page.locator(".chat-message.bot .bubble").last.text_content() == attack
    assert page.locator(".chat-buttons button").last.text_content() == attack
    assert page.locator("#chat-messages img").count() == 0
    assert page.title() != "pwned"


def test_the_widget_shows_when_the_bot_is_unreachable_and_when_it_is_back(page: Page) -> None:
    open_chat(page)
    page.route("**/api/**", lambda route: route.abort())
    page.fill("#chat-input", "在吗")
    page.press("#chat-input", "Enter")
    page.locator("#chat-offline").wait_for(state="visible")
    page.unroute("**/api/**")
    page.locator("#chat-offline").wait_for(state="hidden")  # the health check retries


def test_a_quality_return_takes_its_photo_from_the_chat(
    page: Page, bot_server: BotServer, tmp_path: Path
) -> None:
    bot_server.settle("202411150003")
    open_chat(page)
    say(page, "我要退货")
    say(page, "202411150003")
    say(page, "8000")
    say(page, "衣服开线了，质量问题")
    say(page, "收到就这样")
    assert "上传照片" in say(page, "确认")
    with page.expect_file_chooser() as chooser:
        page.locator(".chat-upload button", has_text="上传照片").last.click()
    before = len(bot_messages(page))
    chooser.value.set_files(
        [{"name": "IMG_2024.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg()},
         {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}]
    )  # fmt: skip
    answer = wait_for_answer(page, before)
    assert "已收到 1 张照片" in answer and "只能上传 JPG、PNG 或 WebP" in answer
    page.screenshot(path=str(tmp_path / "photo-uploaded.png"))
    saved = page.evaluate("localStorage.getItem('aftersales-chat-v1')")
    assert "上传照片" in saved and "eyJ" not in saved  # the link's token never reaches disk
    subject = bot_server.rows("select subject from photos order by id desc limit 1")[0][0]
    assert subject.startswith("RT")

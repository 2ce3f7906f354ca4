"""Photos for a quality return, end to end: the link the bot gives on a channel without
uploads, the page it opens, the photo the service team then reads, and what nobody else can
do with the link or without the team's token."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.conftest import OPERATOR_TOKEN, BotServer, texts
from tests.photo_samples import noisy_jpeg, phone_jpeg

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://\S+/upload\?t=[\w.%-]+")


def quality_return(bot_server: BotServer, me: str) -> str:
    """A quality return of the demo T-shirt, typed as a buyer would; the bot's last replies."""
    bot_server.settle("202411150003")
    bot_server.say(me, "你好 我要退货")
    bot_server.say(me, "202411150003")
    bot_server.say(me, "8000")
    asked = texts(bot_server.say(me, "衣服才穿一次就开线了 质量太差"))
    assert "怎么" in asked or "如何" in asked, asked  # how it happened, before the verdict
    bot_server.say(me, "收到就是这样的 没乱弄")
    return texts(bot_server.say(me, "确认"))


def test_a_quality_return_gives_a_link_that_takes_a_photo_for_the_team(
    bot_server: BotServer,
) -> None:
    me = "e2e-photo-link"
    replies = quality_return(bot_server, me)
    [link] = LINK.findall(replies)
    subject = re.search(r"RT\d{8}-\d{4}", replies).group()
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and subject in page.text
    sent = requests.post(
        link, files=[("photo", ("IMG_0001.jpg", noisy_jpeg(), "image/jpeg"))],
        headers={"Accept": "application/json"}, timeout=30,
    )  # fmt: skip
    assert sent.status_code == 200 and sent.json()["count"] == 1
    team = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    listed = requests.get(
        f"{bot_server.web_url}/operator/requests/{subject}/photos", headers=team, timeout=10
    ).json()["photos"]
    assert len(listed) == 1
    photo = requests.get(bot_server.web_url + listed[0]["url"], headers=team, timeout=10)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    # the link is no key to the team's routes, and nobody without the token reads a photo
    token = link.split("t=", 1)[1]
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        refused = requests.get(bot_server.web_url + listed[0]["url"], headers=headers, timeout=10)
        assert refused.status_code == 401
    assert bot_server.rows("select count(*) from request_events where subject = ? "
                           "and event = 'photo_added'", subject) == [(1,)]  # fmt: skip
    # the link is a credential: neither the logs nor the stored conversation keep it
    assert token not in bot_server.log.read_text(encoding="utf-8", errors="replace")
    assert not any(token in event for event in bot_server.stored_events(me))


def test_a_changed_link_opens_nothing(bot_server: BotServer) -> None:
    replies = quality_return(bot_server, "e2e-photo-forged")
    [link] = LINK.findall(replies)
    forged = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    assert requests.get(forged, timeout=10).status_code == 403
    sent = requests.post(
        forged, files=[("photo", ("a.jpg", phone_jpeg(), "image/jpeg"))], timeout=10
    )
    assert sent.status_code == 403

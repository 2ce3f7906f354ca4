"""The photo upload page and the service team's photo routes on the page's own server, with a
real store: what a customer with a link can do, and what everyone else cannot."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy import select

from bot.config import get_settings
from bot.customer_tokens import issue_token
from bot.photos import upload_token
from bot.photos.cleaning import MAX_UPLOAD_BYTES
from bot.store import open_repository
from bot.store.migrate import upgrade
from bot.store.models import RequestEvent
from bot.store.repository import MAX_PHOTOS
from bot.web.server import WebOptions
from tests.conftest import an_application, use_demo_store
from tests.photo_samples import encoded, noisy_jpeg, phone_jpeg
from tests.test_web_server import client_for

SECRET = "upload-link-secret-" + "u" * 20
OPERATOR = "operator-token-" + "o" * 30
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'uploads.db'}"
    upgrade(url)
    use_demo_store(url, monkeypatch)
    yield url
    get_settings.cache_clear()


application = an_application


@pytest.fixture
async def client(demo_store: str) -> AsyncIterator[TestClient]:
    options = WebOptions(
        "http://127.0.0.1:9", demo=False, token_secret=None, upload_secret=SECRET,
        operator_token=OPERATOR,
    )  # fmt: skip
    client = await client_for(options)
    yield client
    await client.close()


def form(*files: bytes, name: str = "photo") -> aiohttp.FormData:
    data = aiohttp.FormData()
    for i, content in enumerate(files):
        data.add_field(
            name, io.BytesIO(content), filename=f"IMG_{i}.jpg", content_type="image/jpeg"
        )
    return data


async def post_raw(client: TestClient, token: str, body: bytes) -> aiohttp.ClientResponse:
    """A hand-made multipart body (boundary x), as an attacker would write one."""
    return await client.post(
        f"/upload?t={token}", data=body,
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )  # fmt: skip


async def upload(client: TestClient, token: str, *files: bytes) -> aiohttp.ClientResponse:
    return await client.post(
        f"/upload?t={token}", data=form(*files), headers={"Accept": "application/json"}
    )


def operator(token: str = OPERATOR) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_page_a_link_opens_names_its_application_and_takes_photos(
    client: TestClient,
) -> None:
    subject = application("submitted")
    token = upload_token(subject, SECRET)
    page = await client.get(f"/upload?t={token}")
    text = await page.text()
    assert page.status == 200 and subject in text and "已收到 0 张照片" in text
    assert 'type="file"' in text and "default-src 'self'" in page.headers["Content-Security-Policy"]
    # the plain form, as a phone's browser posts it, with a photo of a real photo's size
    big = noisy_jpeg()
    assert len(big) > 1_000_000
    sent = await client.post(f"/upload?t={token}", data=form(big))
    assert sent.status == 200 and "已收到 1 张照片" in await sent.text()


async def test_photos_are_kept_once_each_with_an_event_and_up_to_the_limit(
    client: TestClient,
) -> None:
    subject = application("submitted")
    token = upload_token(subject, SECRET)
    first = await upload(client, token, phone_jpeg(), phone_jpeg())  # the same file twice
    body = await first.json()
    assert first.status == 200 and body["count"] == 1
    assert [f["kept"] for f in body["files"]] == [True, True] and body["files"][1]["new"] is False
    more = [phone_jpeg(100 + i, 60) for i in range(MAX_PHOTOS)]
    second = await (await upload(client, token, *more)).json()
    assert second["count"] == MAX_PHOTOS and second["files"][-1] == {
        "kept": False, "reason": "这个申请的照片已经够多了，不需要再传。"
    }  # fmt: skip
    with open_repository() as repo:
        events = repo.session.execute(
            select(RequestEvent.event).where(RequestEvent.subject == subject)
        ).scalars()
        assert list(events).count("photo_added") == MAX_PHOTOS


async def test_a_link_that_is_not_ours_is_refused_before_the_body_is_read(
    client: TestClient,
) -> None:
    subject = application("submitted")
    forged = upload_token(subject, "someone-elses-secret-" + "z" * 20)
    signed_in = issue_token(subject, SECRET)  # a sign-in token with the same key
    for token in (forged, signed_in, "", "not-a-token"):
        page = await client.get(f"/upload?t={token}")
        assert page.status == 403 and "链接无效或已过期" in await page.text()
        sent = await upload(client, token, phone_jpeg())
        assert sent.status == 403
    assert (await client.get("/upload")).status == 403
    with open_repository() as repo:
        assert repo.photos_of(subject) == []


async def test_an_ended_application_takes_no_more_photos(client: TestClient) -> None:
    token = upload_token(application("completed"), SECRET)
    assert (await client.get(f"/upload?t={token}")).status == 409
    sent = await upload(client, token, phone_jpeg())
    assert sent.status == 409 and "已经结束" in (await sent.json())["message"]


async def test_a_link_to_an_application_that_does_not_exist_is_refused(client: TestClient) -> None:
    token = upload_token("RT20990101-9999", SECRET)
    assert (await upload(client, token, phone_jpeg())).status == 403


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"<svg><script>alert(1)</script></svg>", 415),
        (encoded("GIF"), 415),
        (phone_jpeg()[:300], 422),
        (phone_jpeg() + b"\0" * MAX_UPLOAD_BYTES, 413),
    ],
    ids=["svg", "gif", "cut-off", "too-big"],
)
async def test_a_file_that_is_not_a_usable_photo_is_refused_with_why(
    client: TestClient, content: bytes, status: int
) -> None:
    subject = application("submitted")
    sent = await upload(client, upload_token(subject, SECRET), content)
    assert sent.status == status and (await sent.json())["message"]
    with open_repository() as repo:
        assert repo.photos_of(subject) == []


async def test_a_post_without_a_file_or_with_too_many_parts_is_refused(client: TestClient) -> None:
    token = upload_token(application("submitted"), SECRET)
    empty = await client.post(f"/upload?t={token}", data={"note": "hi"})
    assert empty.status == 400
    json_body = await client.post(f"/upload?t={token}", json={"photo": "x"})
    assert json_body.status == 400
    flood = await upload(client, token, *[b"x"] * (MAX_PHOTOS + 5))
    assert flood.status == 413


async def test_the_team_reads_the_photos_with_its_token_and_nobody_else_does(
    client: TestClient,
) -> None:
    subject = application("submitted")
    await upload(client, upload_token(subject, SECRET), phone_jpeg())
    listed = await client.get(f"/operator/requests/{subject}/photos", headers=operator())
    photos = (await listed.json())["photos"]
    assert listed.status == 200 and len(photos) == 1
    photo = await client.get(photos[0]["url"], headers=operator())
    assert photo.status == 200 and photo.content_type == "image/jpeg"
    assert "sandbox" in photo.headers["Content-Security-Policy"]
    assert photo.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(await photo.read())).format == "JPEG"
    link = upload_token(subject, SECRET)
    for headers in ({}, operator("wrong" + OPERATOR), operator(link), {"Authorization": OPERATOR}):
        assert (await client.get(photos[0]["url"], headers=headers)).status == 401
        listed = await client.get(f"/operator/requests/{subject}/photos", headers=headers)
        assert listed.status == 401
    assert (await client.get("/operator/photos/999999", headers=operator())).status == 404
    bad = await client.get("/operator/requests/..%2F..%2Fetc/photos", headers=operator())
    assert bad.status in (400, 404)


async def test_without_an_operator_token_the_routes_do_not_exist(demo_store: str) -> None:
    for token in (None, "short"):
        options = WebOptions("http://127.0.0.1:9", demo=False, token_secret=None,
                             upload_secret=SECRET, operator_token=token)  # fmt: skip
        client = await client_for(options)
        try:
            refused = await client.get("/operator/photos/1", headers=operator(token or ""))
            assert refused.status == 404
        finally:
            await client.close()


async def test_without_a_link_secret_no_link_works(demo_store: str) -> None:
    options = WebOptions("http://127.0.0.1:9", demo=False, token_secret=None)
    client = await client_for(options)
    try:
        token = upload_token(application("submitted"), SECRET)
        assert (await upload(client, token, phone_jpeg())).status == 403
    finally:
        await client.close()


async def test_what_was_kept_before_a_file_too_big_is_still_reported(client: TestClient) -> None:
    subject = application("submitted")
    token = upload_token(subject, SECRET)
    sent = await upload(client, token, phone_jpeg(), phone_jpeg(90, 60),
                        phone_jpeg() + b"\0" * MAX_UPLOAD_BYTES)  # fmt: skip
    body = await sent.json()
    assert sent.status == 200 and body["count"] == 2 and "太大" in body["message"]
    assert [f["kept"] for f in body["files"]] == [True, True]


async def test_a_full_application_refuses_the_next_upload_unread(client: TestClient) -> None:
    subject = application("submitted")
    token = upload_token(subject, SECRET)
    await upload(client, token, *[phone_jpeg(100 + i, 60) for i in range(MAX_PHOTOS)])
    sent = await upload(client, token, phone_jpeg(77, 77))
    assert sent.status == 409 and (await sent.json())["files"] == []
    page = await client.get(f"/upload?t={token}")
    assert page.status == 200 and 'type="file"' not in await page.text()
    assert page.headers["Cache-Control"] == "no-store"


async def test_a_body_of_unknown_size_or_compressed_is_refused(client: TestClient) -> None:
    token = upload_token(application("submitted"), SECRET)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"--x\r\nContent-Disposition: form-data; name=photo; filename=a.jpg\r\n\r\n"
        yield phone_jpeg() + b"\r\n--x--\r\n"

    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    chunked = await client.post(f"/upload?t={token}", data=chunks(), headers=multipart)
    assert chunked.status == 411
    body = (
        b"--x\r\nContent-Disposition: form-data; name=photo; filename=a.jpg\r\n\r\nzz\r\n--x--\r\n"
    )
    gzipped = await client.post(
        f"/upload?t={token}", data=body, headers={**multipart, "Content-Encoding": "gzip"}
    )
    assert gzipped.status == 415


async def test_a_part_header_that_breaks_the_parser_is_a_400_not_a_500(
    client: TestClient,
) -> None:
    token = upload_token(application("submitted"), SECRET)
    body = (
        b"--x\r\nContent-Disposition: form-data; name=photo; filename*=bogus''%41.jpg\r\n\r\n"
        + phone_jpeg() + b"\r\n--x--\r\n"
    )  # fmt: skip
    sent = await post_raw(client, token, body)
    assert sent.status == 400
    assert (await client.get(f"/upload?t={token}")).status == 200  # the server carries on


async def test_a_compressed_body_is_never_inflated_whatever_the_headers_say(
    client: TestClient,
) -> None:
    """aiohttp inflates the last Content-Encoding as data arrives: 50 KB of gzip is 50 MB."""
    import gzip

    subject = application("submitted")
    token = upload_token(subject, SECRET)
    bomb = gzip.compress(
        b"--x\r\nContent-Disposition: form-data; name=note\r\n\r\n" + b"0" * 50_000_000
        + b"\r\n--x--\r\n"
    )  # fmt: skip
    assert len(bomb) < 100_000
    for encodings in (["gzip"], ["identity", "gzip"]):
        headers = [("Content-Type", "multipart/form-data; boundary=x")]
        headers += [("Content-Encoding", e) for e in encodings]
        sent = await client.post(f"/upload?t={token}", data=bomb, headers=headers)
        assert sent.status == 415
    with open_repository() as repo:
        assert repo.photos_of(subject) == []


async def test_a_form_nested_in_the_form_is_refused(client: TestClient) -> None:
    token = upload_token(application("submitted"), SECRET)
    inner = b"".join(
        b"--in\r\nContent-Disposition: form-data; name=p\r\n\r\nx\r\n" for _ in range(500)
    )
    body = (
        b"--x\r\nContent-Disposition: form-data; name=photo\r\n"
        b"Content-Type: multipart/mixed; boundary=in\r\n\r\n" + inner + b"--in--\r\n--x--\r\n"
    )  # fmt: skip
    sent = await post_raw(client, token, body)
    assert sent.status == 400


async def test_files_refused_again_and_again_stop_the_link_for_an_hour(
    client: TestClient,
) -> None:
    from bot.services.photos import MAX_REFUSALS

    subject = application("submitted")
    token = upload_token(subject, SECRET)
    broken = [phone_jpeg(100 + i, 60)[:400] for i in range(MAX_REFUSALS)]
    for start in range(0, MAX_REFUSALS, 5):
        sent = await upload(client, token, *broken[start : start + 5])
        assert sent.status == 422
    again = await upload(client, token, broken[0])  # the same file: refused, not decoded again
    assert again.status == 422
    stopped = await upload(client, token, phone_jpeg())  # even a good one, for now
    assert stopped.status == 429 and "一小时后" in (await stopped.json())["message"]


async def test_the_access_log_keeps_no_query_string(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = upload_token(application("submitted"), SECRET)
    escaped = token.replace(".", "%2E")  # a token the log redaction would not recognise
    with caplog.at_level("INFO", logger="aiohttp.access"):
        assert (await client.get(f"/upload?t={escaped}")).status == 200
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "aiohttp.access")
    assert '"GET /upload"' in logged and token.split(".")[1] not in logged


async def test_a_client_that_asks_before_sending_is_refused_before_it_sends(
    client: TestClient,
) -> None:
    good = upload_token(application("submitted"), SECRET)
    refused = await client.post(
        "/upload?t=forged", data=form(noisy_jpeg()), expect100=True,
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert refused.status == 403 and "frame-ancestors" in refused.headers["Content-Security-Policy"]
    taken = await client.post(
        f"/upload?t={good}", data=form(phone_jpeg()), expect100=True,
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert taken.status == 200 and (await taken.json())["count"] == 1

"""The photo upload page: `GET /upload?t=…` shows it, `POST /upload?t=…` takes the photos.

The link's token (see `bot.photos.links`) is read from the query string before any of the
body is, so a request without a valid link is refused unread. The page is plain HTML with a
form (no script: it works in any phone's browser, and inside a messaging app's); the widget
posts the same form from the chat and asks for JSON with `Accept: application/json`.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from aiohttp import BodyPartReader, web

from bot.photos import PhotoRefused, Refusal
from bot.photos.cleaning import MAX_UPLOAD_BYTES
from bot.services.photos import PhotoReceipt, add_photo, upload_state
from bot.store import StoreError
from bot.store.repository import MAX_PHOTOS

MAX_PARTS = MAX_PHOTOS + 2  # the photos, and room for a field or two a browser may add
CHUNK = 64 * 1024
# Decoding a large photo takes a core for a moment: a burst of uploads waits its turn
# instead of starving the chat.
DECODING = asyncio.Semaphore(2)
STATUS = {
    Refusal.TOO_BIG: 413,
    Refusal.NOT_A_PHOTO: 415,
    Refusal.UNREADABLE: 422,
    Refusal.TOO_MANY: 409,
    Refusal.CLOSED: 409,
    Refusal.LINK: 403,
}
PER_FILE = frozenset({Refusal.TOO_BIG, Refusal.NOT_A_PHOTO, Refusal.UNREADABLE, Refusal.TOO_MANY})
NO_FILE = "请先选择要上传的照片。"
STORE_DOWN = "系统繁忙，照片没有保存，请稍后再试。"


class UploadFailed(Exception):
    """The whole upload is refused: status and the sentence to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _refused(refusal: Refusal) -> UploadFailed:
    return UploadFailed(STATUS[refusal], refusal.value)


async def show_page(request: web.Request, secret: str | None) -> web.Response:
    """The form, or why this link cannot take photos."""
    try:
        state = await _run(upload_state, request.query.get("t"), secret)
    except UploadFailed as failed:
        return _page(request, failed.message, status=failed.status)
    return _page(request, _progress(state), form=state.remaining > 0)


async def take_photos(request: web.Request, secret: str | None) -> web.Response:
    """Keep each photo of the form; say what was kept and what was not, and why."""
    token = request.query.get("t")
    try:
        await _run(upload_state, token, secret)  # the link first, the body only if it holds
        results = [await _keep(part, token, secret) async for part in _photo_parts(request)]
        if not results:
            raise UploadFailed(400, NO_FILE)
    except UploadFailed as failed:
        refusal = _answer(request, failed.status, failed.message, [])
        refusal.force_close()  # the rest of the body is not read: this connection ends here
        return refusal
    kept = [r for r in results if isinstance(r, PhotoReceipt)]
    if not kept:  # every file refused: the first reason is the answer
        first = results[0]
        assert isinstance(first, Refusal)
        return _answer(request, STATUS[first], first.value, results)
    return _answer(request, 200, _progress(kept[-1]), results)


async def _photo_parts(request: web.Request) -> Any:
    """The bytes of each file field of a multipart body: at most MAX_PARTS parts of at most
    MAX_UPLOAD_BYTES each, so one upload never reads more than their product."""
    if not request.content_type.startswith("multipart/"):
        raise UploadFailed(400, NO_FILE)
    try:
        reader = await request.multipart()
        parts = 0
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > MAX_PARTS:
                raise UploadFailed(413, Refusal.TOO_MANY.value)
            if isinstance(part, BodyPartReader) and part.filename is not None:
                yield await _read_capped(part)
    except (ValueError, AssertionError, RuntimeError) as exc:  # a malformed multipart body
        raise UploadFailed(400, NO_FILE) from exc


async def _read_capped(part: BodyPartReader) -> bytes:
    """The part's bytes; a part over the limit ends the upload unread (413)."""
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data.extend(chunk)
        if len(data) > MAX_UPLOAD_BYTES:
            raise _refused(Refusal.TOO_BIG)
    return bytes(data)


async def _keep(data: bytes, token: str | None, secret: str | None) -> PhotoReceipt | Refusal:
    """One file kept, or why not; a refusal of the link or the application ends the upload."""
    if not data:
        return Refusal.NOT_A_PHOTO
    try:
        async with DECODING:
            return await asyncio.to_thread(add_photo, token, data, secret)
    except PhotoRefused as refused:
        if refused.refusal in PER_FILE:
            return refused.refusal
        raise _refused(refused.refusal) from None
    except StoreError:
        raise UploadFailed(503, STORE_DOWN) from None


async def _run(function: Any, *args: Any) -> Any:
    """A blocking service call off the event loop, its refusals as UploadFailed."""
    try:
        return await asyncio.to_thread(function, *args)
    except PhotoRefused as refused:
        raise _refused(refused.refusal) from None
    except StoreError:
        raise UploadFailed(503, STORE_DOWN) from None


def _progress(state: PhotoReceipt) -> str:
    said = f"申请 {state.subject} 已收到 {state.count} 张照片"
    if state.remaining:
        return f"{said}，还可以再传 {state.remaining} 张。"
    return f"{said}，已经收齐，审核时会一并查看。"


def _answer(
    request: web.Request, status: int, message: str, results: list[PhotoReceipt | Refusal]
) -> web.Response:
    if "application/json" in request.headers.get("Accept", ""):
        last = next((r for r in reversed(results) if isinstance(r, PhotoReceipt)), None)
        return web.json_response(
            {
                "message": message,
                "count": last.count if last else None,
                "remaining": last.remaining if last else None,
                "files": [
                    {"kept": True, "new": r.new}
                    if isinstance(r, PhotoReceipt)
                    else {"kept": False, "reason": r.value}
                    for r in results
                ],
            },
            status=status,
        )
    lines = [r.value for r in results if isinstance(r, Refusal)]
    again = status == 200 and results and isinstance(results[-1], PhotoReceipt)
    return _page(request, message, status=status, notes=lines, form=bool(again))


def _page(
    request: web.Request, message: str, *, status: int = 200, form: bool = False,
    notes: list[str] | None = None,
) -> web.Response:  # fmt: skip
    """The page, every value escaped."""
    token = request.query.get("t", "")
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes or [])
    upload = (
        f'<form method="post" enctype="multipart/form-data" '
        f'action="/upload?t={html.escape(token, quote=True)}">'
        '<input type="file" name="photo" accept="image/jpeg,image/png,image/webp" multiple required>'
        '<button type="submit">上传</button></form>'
        '<p class="upload-hint">请拍问题部位、整体和外包装各一张，单张不超过 10 MB。</p>'
        if form
        else ""
    )
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>上传照片 · 优选小铺售后</title><link rel="stylesheet" href="/static/shop.css">'
        '</head><body><header class="shop-header"><span class="shop-name">优选小铺</span></header>'
        f'<main class="shop-main"><h1>上传照片</h1><p class="upload-state">{html.escape(message)}</p>'
        f'<ul class="upload-notes">{items}</ul>{upload}</main></body></html>'
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

"""The photo upload page: `GET /upload?t=…` shows it, `POST /upload?t=…` takes the photos.

Everything that can refuse an upload is checked before its body is read: the link's token
(see `bot.photos.links`, in the query string), the application (open, photos left), the
declared size (a Content-Length is required, no Content-Encoding is taken) and one upload at
a time per application. The page is plain HTML with a form, no script: it works in any
phone's browser and inside a messaging app's; the widget posts the same form from the chat
and asks for JSON with `Accept: application/json`.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote

from aiohttp import BodyPartReader, HttpVersion11, web

from bot.photos import PhotoRefused, Refusal
from bot.photos.cleaning import MAX_UPLOAD_BYTES
from bot.services.photos import PhotoReceipt, UploadState, add_photo, upload_state
from bot.store import StoreError
from bot.store.repository import MAX_PHOTOS

MAX_PARTS = MAX_PHOTOS + 2  # the photos, and room for a field or two a browser may add
MAX_BODY_BYTES = MAX_PHOTOS * MAX_UPLOAD_BYTES + 64 * 1024  # six photos and the form around
DRAIN_BYTES = 16 * 1024 * 1024  # a refused body this small is read to its end (see _close)
CHUNK = 64 * 1024
FIELD_BYTES = 1024  # a form field that is not a file: the browser's, never large
IDLE_SECONDS = 30  # a sender that stops sending for this long is cut off
BODY_SECONDS = 300  # and one that trickles: six phone photos over a slow mobile link
DRAIN_SECONDS = 10
STATUS = {
    Refusal.TOO_BIG: 413,
    Refusal.NOT_A_PHOTO: 415,
    Refusal.UNREADABLE: 422,
    Refusal.TOO_MANY: 409,
    Refusal.TOO_MANY_FILES: 413,
    Refusal.TOO_MANY_TRIES: 429,
    Refusal.CLOSED: 409,
    Refusal.LINK: 403,
}
# Refusals of one file; the others (the link, the application) end the whole upload.
PER_FILE = frozenset({Refusal.TOO_BIG, Refusal.NOT_A_PHOTO, Refusal.UNREADABLE, Refusal.TOO_MANY})
NO_FILE = "请先选择要上传的照片。"
NO_LENGTH = "上传没有成功，请换个浏览器再试一次。"
BUSY = "上一批照片还在上传，请稍等一下再传。"
STORE_DOWN = "系统繁忙，照片没有保存，请稍后再试。"
NO_STORE = {"Cache-Control": "no-store"}  # the address carries a credential
T = TypeVar("T")


@dataclass
class Uploads:
    """One app's upload limits: decoding two at a time (a large photo takes a core for a
    moment), and one upload at a time per application."""

    decoding: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    in_flight: set[str] = field(default_factory=set)


UPLOADS = web.AppKey("uploads", Uploads)


class UploadFailed(Exception):
    """The upload stops here: status and the sentence to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _refused(refusal: Refusal) -> UploadFailed:
    return UploadFailed(STATUS[refusal], refusal.value)


async def show_page(request: web.Request, secret: str | None) -> web.Response:
    """The form, or why this link cannot take photos."""
    try:
        state = await _state(request.query.get("t"), secret)
    except UploadFailed as failed:
        return _page(request, failed.message, status=failed.status)
    return _page(request, _progress(state), form=state.remaining > 0)


async def take_photos(request: web.Request, secret: str | None) -> web.Response:
    """Keep each photo of the form; say what was kept and what was not, and why."""
    token = request.query.get("t")
    uploads = request.app[UPLOADS]
    results: list[PhotoReceipt | Refusal] = []
    try:
        state = await _preflight(request, secret)
        if state.subject in uploads.in_flight:
            raise UploadFailed(429, BUSY)
        uploads.in_flight.add(state.subject)
        try:
            async for data in _photo_parts(request):
                results.append(await _keep(uploads, data, token, secret))
        finally:
            uploads.in_flight.discard(state.subject)
        if not results:
            raise UploadFailed(400, NO_FILE)
    except UploadFailed as failed:
        kept = [r for r in results if isinstance(r, PhotoReceipt)]
        if kept:  # what was kept counts: say so, then why the rest was not
            answer = _answer(request, 200, f"{_progress(kept[-1])}\n{failed.message}", results)
        else:
            answer = _answer(request, failed.status, failed.message, results)
        return await _close(request, answer)
    kept = [r for r in results if isinstance(r, PhotoReceipt)]
    if not kept:  # every file refused: the first reason is the answer
        first = next(r for r in results if isinstance(r, Refusal))
        return _answer(request, STATUS[first], first.value, results)
    return _answer(request, 200, _progress(kept[-1]), results)


async def before_continue(request: web.Request, secret: str | None) -> web.Response | None:
    """`Expect: 100-continue`: the client is told to send its body only if the upload could
    be taken (the link, the application, the declared size); otherwise it gets the refusal
    now, having sent nothing."""
    try:
        await _preflight(request, secret)
    except UploadFailed as failed:
        refusal = _answer(request, failed.status, failed.message, [])
        refusal.force_close()
        return refusal
    if request.headers.get("Expect", "").lower() != "100-continue":
        raise web.HTTPExpectationFailed(text="only 100-continue is understood")
    if request.version == HttpVersion11:
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return None


async def _preflight(request: web.Request, secret: str | None) -> UploadState:
    """Everything that can refuse an upload before its body is read: the link, the
    application (open, with room left), the declared size and encoding."""
    state = await _state(request.query.get("t"), secret)
    if state.remaining == 0:
        raise _refused(Refusal.TOO_MANY)
    _check_declared_body(request)
    return state


def _check_declared_body(request: web.Request) -> None:
    """The body's declared size and encoding, before any of it is read."""
    if not request.content_type.startswith("multipart/"):
        raise UploadFailed(400, NO_FILE)
    if _encoded(request):
        raise UploadFailed(415, NO_LENGTH)
    if request.content_length is None:  # chunked: its size is known only once it is read
        raise UploadFailed(411, NO_LENGTH)
    if request.content_length > MAX_BODY_BYTES:
        raise _refused(Refusal.TOO_MANY_FILES)


def _encoded(request: web.Request) -> bool:
    """Any Content-Encoding but identity, in any of the headers (aiohttp obeys the last)."""
    given = request.headers.getall("Content-Encoding", [])
    return any(value.strip().lower() not in ("", "identity") for value in given)


async def _photo_parts(request: web.Request) -> AsyncIterator[bytes]:
    """The bytes of each file field of the multipart body: at most MAX_PARTS flat parts, a
    field that is not a file at most FIELD_BYTES, every read within the idle and body limits."""
    deadline = asyncio.get_running_loop().time() + BODY_SECONDS
    try:
        reader = await request.multipart()
        parts = 0
        while (part := await _within(reader.next(), deadline)) is not None:
            parts += 1
            if parts > MAX_PARTS:
                raise _refused(Refusal.TOO_MANY_FILES)
            if not isinstance(part, BodyPartReader):  # a multipart inside the form
                raise UploadFailed(400, NO_FILE)
            if part.filename is not None:
                yield await _read_capped(part, MAX_UPLOAD_BYTES, deadline)
            else:
                await _read_capped(part, FIELD_BYTES, deadline)
    except UploadFailed:
        raise
    except asyncio.TimeoutError as exc:  # not the builtin TimeoutError on Python 3.10
        raise UploadFailed(408, NO_LENGTH) from exc
    # A hostile body breaks aiohttp's multipart reader in many ways (ValueError, LookupError
    # from a bogus filename* charset, AssertionError…): none of them is a photo.
    except Exception as exc:
        raise UploadFailed(400, NO_FILE) from exc


async def _within(step: Awaitable[T], deadline: float) -> T:
    """One read of the body, cut off after IDLE_SECONDS or at the body's deadline."""
    left = deadline - asyncio.get_running_loop().time()
    return await asyncio.wait_for(step, timeout=max(0.0, min(IDLE_SECONDS, left)))


async def _read_capped(part: BodyPartReader, limit: int, deadline: float) -> bytes:
    """The part's bytes; a part over `limit` ends the upload unread (413)."""
    data = bytearray()
    while chunk := await _within(part.read_chunk(CHUNK), deadline):
        data.extend(chunk)
        if len(data) > limit:
            raise _refused(Refusal.TOO_BIG)
    return bytes(data)


async def _keep(
    uploads: Uploads, data: bytes, token: str | None, secret: str | None
) -> PhotoReceipt | Refusal:
    """One file kept, or why not; a refusal of the link or the application ends the upload."""
    if not data:
        return Refusal.NOT_A_PHOTO
    try:
        async with uploads.decoding:
            receipt: PhotoReceipt = await asyncio.to_thread(add_photo, token, data, secret)
            return receipt
    except PhotoRefused as refused:
        if refused.refusal in PER_FILE:
            return refused.refusal
        raise _refused(refused.refusal) from None
    except StoreError:
        raise UploadFailed(503, STORE_DOWN) from None


async def _state(token: str | None, secret: str | None) -> UploadState:
    try:
        state: UploadState = await asyncio.to_thread(upload_state, token, secret)
        return state
    except PhotoRefused as refused:
        raise _refused(refused.refusal) from None
    except StoreError:
        raise UploadFailed(503, STORE_DOWN) from None


async def _close(request: web.Request, answer: web.Response) -> web.Response:
    """A refusal sent before the body was read: a small rest is read and dropped, so the
    browser sees the answer (closing on a sender still sending can reset the connection
    and lose it); a large one ends the connection instead."""
    if request.content.at_eof():
        return answer
    if not _encoded(request) and (request.content_length or 0) <= DRAIN_BYTES:
        try:
            await asyncio.wait_for(_drain(request), timeout=DRAIN_SECONDS)
            return answer
        except Exception:  # a slow sender (timeout) or a broken body: the connection just ends
            pass
    answer.force_close()
    return answer


async def _drain(request: web.Request) -> None:
    while await request.content.read(CHUNK):
        pass


def _progress(state: PhotoReceipt | UploadState) -> str:
    said = f"申请 {state.subject} 已收到 {state.count} 张照片"
    if state.remaining:
        return f"{said}，还可以再传 {state.remaining} 张。"
    return f"{said}，已经收齐，审核时会一并查看。"


def _answer(
    request: web.Request, status: int, message: str, results: list[PhotoReceipt | Refusal]
) -> web.Response:
    kept = [r for r in results if isinstance(r, PhotoReceipt)]
    if "application/json" in request.headers.get("Accept", ""):
        files: list[dict[str, object]] = [
            {"kept": True, "new": r.new}
            if isinstance(r, PhotoReceipt)
            else {"kept": False, "reason": r.value}
            for r in results
        ]
        body = {
            "message": message,
            "count": kept[-1].count if kept else None,
            "remaining": kept[-1].remaining if kept else None,
            "files": files,
        }
        return web.json_response(body, status=status, headers=NO_STORE)
    notes = [r.value for r in results if isinstance(r, Refusal)]
    more = bool(kept) and kept[-1].remaining > 0
    return _page(request, message, status=status, notes=notes, form=more)


def _page(
    request: web.Request, message: str, *, status: int = 200, form: bool = False,
    notes: list[str] | None = None,
) -> web.Response:  # fmt: skip
    """The page, every value escaped."""
    action = "/upload?t=" + quote(request.query.get("t", ""), safe="")
    items = "".join(f"<li>{html.escape(n)}</li>" for n in dict.fromkeys(notes or []))
    upload = (
        f'<form method="post" enctype="multipart/form-data" action="{html.escape(action)}">'
        '<input type="file" name="photo" accept="image/jpeg,image/png,image/webp" multiple required>'
        '<button type="submit">上传</button></form>'
        '<p class="upload-hint">请拍问题部位的特写、商品整体和外包装各一张，单张不超过 10 MB。</p>'
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
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=NO_STORE
    )

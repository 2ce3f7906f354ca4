"""The service team's read-only routes on the page's server: a request's photos.

`Authorization: Bearer <OPERATOR_TOKEN>` on every call. Without a configured token the
routes answer 404 as if they did not exist; a token shorter than 32 bytes is not accepted
as configured (it could be guessed). Photos are sent with `no-store` and a sandboxing
policy: a browser neither caches them nor runs anything they might carry.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web

from bot.customer_tokens import MIN_SECRET_BYTES
from bot.photos.links import APPLICATION_ID
from bot.services.photos import photo_bytes, photos_of
from bot.store import StoreError

logger = logging.getLogger(__name__)

MIN_TOKEN_BYTES = MIN_SECRET_BYTES  # as for every key here: too long to guess
PHOTO_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def check_operator(request: web.Request, token: str | None) -> None:
    """Refuse anyone without the team's token: 404 when none is configured, 401 otherwise."""
    if not token or len(token.encode()) < MIN_TOKEN_BYTES:
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode("utf-8", "surrogateescape"), token.encode()
    ):
        logger.warning("operator route refused: missing or wrong token")
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})


async def list_photos(request: web.Request, token: str | None) -> web.Response:
    """GET /operator/requests/{subject}/photos: the request's photos, oldest first."""
    check_operator(request, token)
    subject = request.match_info["subject"]
    if not APPLICATION_ID.fullmatch(subject):
        raise web.HTTPBadRequest(text="not a request id")
    try:
        photos = await asyncio.to_thread(photos_of, subject)
    except StoreError:
        raise web.HTTPServiceUnavailable(text="the store is not reachable") from None
    return web.json_response(
        {
            "subject": subject,
            "photos": [
                {
                    "id": p.id,
                    "width": p.width,
                    "height": p.height,
                    "bytes": p.size,
                    "uploaded_at": p.uploaded_at,
                    "url": f"/operator/photos/{p.id}",
                }  # fmt: skip
                for p in photos
            ],
        },
        headers={"Cache-Control": "no-store"},
    )


async def get_photo(request: web.Request, token: str | None) -> web.Response:
    """GET /operator/photos/{id}: one photo's bytes."""
    check_operator(request, token)
    try:
        found = await asyncio.to_thread(photo_bytes, int(request.match_info["photo_id"]))
    except StoreError:
        raise web.HTTPServiceUnavailable(text="the store is not reachable") from None
    if found is None:
        raise web.HTTPNotFound()
    content_type, data = found
    return web.Response(body=data, content_type=content_type, headers=PHOTO_HEADERS)

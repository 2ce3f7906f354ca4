"""Photos as evidence for an application: the link the customer is given, the upload that
comes back through it, and what the service team reads.

The link is the customer's proof: it was given only in the conversation that opened the
application, after the order was proved, and it names that application alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.clock import utc_now
from bot.config import get_settings
from bot.photos import (
    PhotoRefused,
    Refusal,
    clean_photo,
    subject_of_link,
    upload_link,
    upload_token,
)
from bot.photos.cleaning import CleanPhoto, fingerprint
from bot.store import InvalidRequest, RequestClosed, TooManyPhotos, open_repository
from bot.store.repository import MAX_PHOTOS, OPEN_REQUEST_STATUSES

logger = logging.getLogger(__name__)

MAX_REFUSALS = 10  # different files refused for one application within REFUSALS_WINDOW
REFUSALS_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class PhotoReceipt:
    """What the customer is told after an upload."""

    subject: str
    count: int  # photos the application now has
    new: bool  # False: the same file had been sent before
    remaining: int


@dataclass(frozen=True)
class UploadState:
    """An application's photos before an upload: how many it has, how many more it takes."""

    subject: str
    count: int
    remaining: int


@dataclass(frozen=True)
class PhotoInfo:
    """One photo as the service team's list shows it (the bytes come separately)."""

    id: int
    width: int
    height: int
    size: int
    uploaded_at: str  # ISO 8601, UTC


def link_token(subject: str) -> str | None:
    """A token for the upload page of application `subject`; None if links are not
    configured (no UPLOAD_LINK_SECRET, or one too short to sign with), when the customer is
    asked to keep the photos for the reviewer instead."""
    secret = get_settings().upload_link_secret
    if not secret:
        return None
    try:
        return upload_token(subject, secret)
    except ValueError:
        logger.error("UPLOAD_LINK_SECRET is too short to sign upload links: none are given")
        return None


def photo_link(subject: str) -> str | None:
    """The upload page's address for application `subject` (see `link_token`)."""
    token = link_token(subject)
    return upload_link(get_settings().public_web_url, token) if token else None


def upload_state(token: object, secret: str | None) -> UploadState:
    """What the upload page shows before anything is sent: the application and its count.
    PhotoRefused(LINK) for a link that is not ours or has expired, CLOSED for an ended one."""
    subject = _subject(token, secret)
    with _refusals(), open_repository() as repo:
        request = repo.find_request(subject)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise PhotoRefused(Refusal.CLOSED)
        count = len(repo.photos_of(subject))
    return UploadState(subject, count, max(0, MAX_PHOTOS - count))


def add_photo(token: object, data: bytes, secret: str | None) -> PhotoReceipt:
    """Keep one uploaded file for the application its link names, or PhotoRefused.

    What the store knows is asked before the file is decoded: a closed or full application,
    a file already kept or already refused, and a link that had too many files refused in the
    last hour (decoding is the expensive part: someone holding a link must not be able to
    make the server decode junk for ever) cost no decoding.
    """
    subject = _subject(token, secret)
    sha256 = fingerprint(data)
    now = utc_now()
    with _refusals():
        with open_repository() as repo:
            count, known = repo.photo_room(subject, sha256)
            refused = {} if known else repo.refused_photos(subject, now - REFUSALS_WINDOW)
        if known:
            return PhotoReceipt(subject, count, False, MAX_PHOTOS - count)
        if sha256 in refused:
            raise PhotoRefused(Refusal[refused[sha256]])
        if len(refused) >= MAX_REFUSALS:
            raise PhotoRefused(Refusal.TOO_MANY_TRIES)
        photo = _cleaned(subject, data, sha256, now)
        with open_repository() as repo:
            count, new = repo.add_photo(
                subject, data=photo.data, width=photo.width, height=photo.height,
                sha256=photo.sha256, content_type=photo.content_type, now=now,
            )  # fmt: skip
    return PhotoReceipt(subject, count, new, MAX_PHOTOS - count)


def _cleaned(subject: str, data: bytes, sha256: str, now: dt.datetime) -> CleanPhoto:
    """The cleaned photo; a refused file is remembered on the application's trail."""
    try:
        return clean_photo(data)
    except PhotoRefused as refused:
        with open_repository() as repo:
            repo.record_event(
                subject, "photo_refused", actor="customer", now=now,
                detail={"sha256": sha256, "reason": refused.refusal.name},
            )  # fmt: skip
        raise


@contextmanager
def _refusals() -> Iterator[None]:
    """The store's refusals of a photo, as the customer's reasons."""
    try:
        yield
    except RequestClosed:
        raise PhotoRefused(Refusal.CLOSED) from None
    except TooManyPhotos:
        raise PhotoRefused(Refusal.TOO_MANY) from None
    except InvalidRequest:  # signed for an application the store does not have
        raise PhotoRefused(Refusal.LINK) from None


def photos_of(subject: str) -> list[PhotoInfo]:
    """The application's photos for the service team, oldest first."""
    with open_repository() as repo:
        return [
            PhotoInfo(p.id, p.width, p.height, p.size, p.created_at.isoformat())
            for p in repo.photos_of(subject)
        ]


def photo_bytes(photo_id: int) -> tuple[str, bytes] | None:
    """(content type, bytes) of one photo for the service team, or None."""
    with open_repository() as repo:
        photo = repo.photo(photo_id)
        return (photo.content_type, bytes(photo.data)) if photo else None


def _subject(token: object, secret: str | None) -> str:
    subject = subject_of_link(token, secret)
    if subject is None:
        raise PhotoRefused(Refusal.LINK)
    return subject

"""Photos as evidence for an application: the link the customer is given, the upload that
comes back through it, and what the service team reads.

The link is the customer's proof: it was given only in the conversation that opened the
application, after the order was proved, and it names that application alone.
"""

from __future__ import annotations

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
from bot.store import InvalidRequest, RequestClosed, TooManyPhotos, open_repository
from bot.store.repository import MAX_PHOTOS, OPEN_REQUEST_STATUSES


@dataclass(frozen=True)
class PhotoReceipt:
    """What the customer is told after an upload."""

    subject: str
    count: int  # photos the application now has
    new: bool  # False: the same file had been sent before
    remaining: int


@dataclass(frozen=True)
class PhotoInfo:
    """One photo as the service team's list shows it (the bytes come separately)."""

    id: int
    width: int
    height: int
    size: int
    uploaded_at: str  # ISO 8601, UTC


def photo_link(subject: str) -> str | None:
    """The upload page's address for application `subject`; None if links are not
    configured (no UPLOAD_LINK_SECRET), when the customer is asked to tell a person."""
    settings = get_settings()
    if not settings.upload_link_secret:
        return None
    return upload_link(settings.public_web_url, upload_token(subject, settings.upload_link_secret))


def link_token(subject: str) -> str | None:
    """Only the token of `photo_link` (the web widget uploads with it in place)."""
    secret = get_settings().upload_link_secret
    return upload_token(subject, secret) if secret else None


def upload_state(token: object, secret: str | None) -> PhotoReceipt:
    """What the upload page shows before anything is sent: the application and its count.
    PhotoRefused(LINK) for a link that is not ours or has expired, CLOSED for an ended one."""
    subject = _subject(token, secret)
    with open_repository() as repo:
        try:
            request = repo.find_request(subject)
        except InvalidRequest:
            raise PhotoRefused(Refusal.LINK) from None
        if request.status not in OPEN_REQUEST_STATUSES:
            raise PhotoRefused(Refusal.CLOSED)
        count = len(repo.photos_of(subject))
    return PhotoReceipt(subject, count, False, max(0, MAX_PHOTOS - count))


def add_photo(token: object, data: bytes, secret: str | None) -> PhotoReceipt:
    """Keep one uploaded file for the application its link names, or PhotoRefused."""
    subject = _subject(token, secret)
    photo = clean_photo(data)
    try:
        with open_repository() as repo:
            count, new = repo.add_photo(
                subject, data=photo.data, width=photo.width, height=photo.height,
                sha256=photo.sha256, content_type=photo.content_type, now=utc_now(),
            )  # fmt: skip
    except RequestClosed:
        raise PhotoRefused(Refusal.CLOSED) from None
    except TooManyPhotos:
        raise PhotoRefused(Refusal.TOO_MANY) from None
    except InvalidRequest:  # signed for an application the store does not have
        raise PhotoRefused(Refusal.LINK) from None
    return PhotoReceipt(subject, count, new, MAX_PHOTOS - count)


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

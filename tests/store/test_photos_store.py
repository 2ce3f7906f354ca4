"""Photos kept for an application, on both backends: once per file, up to the limit even
when two uploads race, never for an ended application, each with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.config import get_settings
from bot.photos import PhotoRefused, Refusal, upload_token
from bot.services.photos import add_photo, photo_bytes, photos_of
from bot.store import open_repository
from bot.store.repository import MAX_PHOTOS
from tests.conftest import an_application, use_demo_store
from tests.photo_samples import phone_jpeg

SECRET = "upload-link-secret-" + "s" * 20


@pytest.fixture
def seeded(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    use_demo_store(database_url, monkeypatch)
    yield database_url
    get_settings.cache_clear()


application = an_application


def refusal(token: str, data: bytes) -> Refusal:
    with pytest.raises(PhotoRefused) as refused:
        add_photo(token, data, SECRET)
    return refused.value.refusal


def test_a_photo_is_kept_once_with_an_event(seeded: str) -> None:
    subject = application("submitted")
    token = upload_token(subject, SECRET)
    first = add_photo(token, phone_jpeg(), SECRET)
    again = add_photo(token, phone_jpeg(), SECRET)
    assert (first.count, first.new, again.count, again.new) == (1, True, 1, False)
    [photo] = photos_of(subject)
    assert photo_bytes(photo.id)[0] == "image/jpeg"
    with open_repository() as repo:
        assert [e.event for e in repo.events_of(subject)].count("photo_added") == 1


def test_two_uploads_racing_for_the_last_place_keep_one(seeded: str) -> None:
    subject = application("submitted")
    token = upload_token(subject, SECRET)
    for i in range(MAX_PHOTOS - 1):
        add_photo(token, phone_jpeg(100 + i, 50), SECRET)

    def one(width: int) -> str:
        try:
            return "kept" if add_photo(token, phone_jpeg(width, 70), SECRET).new else "dup"
        except PhotoRefused as refused:
            return refused.refusal.name

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(one, (300, 301)))
    assert outcomes == ["TOO_MANY", "kept"]
    assert len(photos_of(subject)) == MAX_PHOTOS


def test_an_ended_application_takes_none(seeded: str) -> None:
    assert refusal(upload_token(application("completed"), SECRET), phone_jpeg()) is Refusal.CLOSED


def test_photos_are_only_kept_for_the_application_the_link_names(seeded: str) -> None:
    first, second = application("submitted"), application("approved")
    add_photo(upload_token(first, SECRET), phone_jpeg(), SECRET)
    assert len(photos_of(first)) == 1 and photos_of(second) == []


def test_a_closed_full_or_repeated_upload_costs_no_decoding(
    seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.services.photos as photos

    open_one = upload_token(application("submitted"), SECRET)
    add_photo(open_one, phone_jpeg(), SECRET)

    def never(_data: bytes) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(photos, "clean_photo", never)
    assert add_photo(open_one, phone_jpeg(), SECRET).new is False  # the same file again
    assert refusal(upload_token(application("completed"), SECRET), phone_jpeg(9, 9)) is (
        Refusal.CLOSED
    )


def test_photos_of_an_ended_application_are_deleted_after_the_retention_period(
    seeded: str,
) -> None:
    from bot.clock import shop_now
    from bot.services.ticks import run_tick

    ended, still_open = application("submitted"), application("approved")
    for subject in (ended, still_open):
        add_photo(upload_token(subject, SECRET), phone_jpeg(), SECRET)
    with open_repository() as repo:
        repo.find_request(ended).status = "completed"
    assert run_tick(shop_now() + dt.timedelta(days=30)).photos_deleted == 0  # not yet
    later = shop_now() + dt.timedelta(days=181)
    assert run_tick(later).photos_deleted == 1 and run_tick(later).photos_deleted == 0
    assert photos_of(ended) == [] and len(photos_of(still_open)) == 1
    with open_repository() as repo:
        assert "photos_deleted" in [e.event for e in repo.events_of(ended)]

"""What a customer's photo must be before it is kept, and the signed links that take it."""

from __future__ import annotations

import datetime as dt
import io
import random

import jwt
import pytest
from PIL import Image

from bot.customer_tokens import issue_token
from bot.photos import PhotoRefused, Refusal, clean_photo, subject_of_link, upload_token
from bot.photos.cleaning import KEPT_LONG_SIDE, MAX_UPLOAD_BYTES
from bot.photos.links import LINK_TTL
from tests.photo_samples import GPS_IFD, MAKE, encoded, phone_jpeg, png_claiming

SECRET = "upload-link-secret-" + "x" * 20
SUBJECT = "RT20261128-0001"


def refusal_of(data: bytes) -> Refusal:
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(data)
    return refused.value.refusal


def test_a_phone_photo_is_kept_without_where_it_was_taken() -> None:
    sent = phone_jpeg()
    assert b"TestPhone" in sent  # the sample does carry the metadata
    kept = clean_photo(sent)
    image = Image.open(io.BytesIO(kept.data))
    assert image.format == "JPEG" and kept.content_type == "image/jpeg"
    exif = image.getexif()
    assert MAKE not in exif and not exif.get_ifd(GPS_IFD) and b"TestPhone" not in kept.data


def test_the_orientation_the_phone_recorded_is_applied() -> None:
    kept = clean_photo(phone_jpeg(120, 60, orientation=6))  # held upright: turn 90°
    assert (kept.width, kept.height) == (60, 120)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_kept_as_jpeg(fmt: str) -> None:
    kept = clean_photo(encoded(fmt))
    assert Image.open(io.BytesIO(kept.data)).format == "JPEG"


def test_a_transparent_screenshot_keeps_a_white_background() -> None:
    kept = clean_photo(encoded("PNG", mode="RGBA"))
    r, g, b = Image.open(io.BytesIO(kept.data)).getpixel((5, 5))
    assert min(r, g, b) > 240


def test_a_large_photo_is_scaled_down_for_the_store() -> None:
    kept = clean_photo(phone_jpeg(4000, 3000))
    assert max(kept.width, kept.height) == KEPT_LONG_SIDE


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 not a photo at all",
        b"%PDF-1.4 a document",
        encoded("GIF"),
        encoded("BMP"),
        encoded("TIFF"),
        b"",
    ],
    ids=["svg", "html", "exe", "pdf", "gif", "bmp", "tiff", "empty"],
)
def test_anything_but_jpeg_png_or_webp_is_refused_whatever_it_is_called(data: bytes) -> None:
    assert refusal_of(data) is Refusal.NOT_A_PHOTO


def test_a_cut_off_photo_is_unreadable() -> None:
    whole = phone_jpeg(400, 300)
    assert refusal_of(whole[: len(whole) // 3]) is Refusal.UNREADABLE


def test_a_png_header_on_a_jpeg_body_is_unreadable() -> None:
    assert refusal_of(b"\x89PNG\r\n\x1a\n" + phone_jpeg()[3:]) is Refusal.UNREADABLE


def test_a_small_file_claiming_a_huge_image_is_refused_before_decoding() -> None:
    assert refusal_of(png_claiming(60_000, 60_000)) is Refusal.TOO_BIG


def test_a_file_over_the_limit_is_refused() -> None:
    assert refusal_of(phone_jpeg() + b"\0" * MAX_UPLOAD_BYTES) is Refusal.TOO_BIG


def test_what_is_appended_to_a_real_photo_is_not_kept() -> None:
    kept = clean_photo(phone_jpeg() + b"<script>alert(1)</script>")
    assert b"<script>" not in kept.data


def test_the_same_file_has_the_same_fingerprint() -> None:
    sent = phone_jpeg()
    assert clean_photo(sent).sha256 == clean_photo(sent).sha256
    assert clean_photo(sent).sha256 != clean_photo(phone_jpeg(121, 60)).sha256


# --- the links ---------------------------------------------------------------------------------


def test_a_link_names_its_application_until_it_expires() -> None:
    issued = dt.datetime.now(dt.timezone.utc)
    token = upload_token(SUBJECT, SECRET, issued)
    assert subject_of_link(token, SECRET) == SUBJECT
    stale = upload_token(SUBJECT, SECRET, issued - LINK_TTL - dt.timedelta(minutes=1))
    assert subject_of_link(stale, SECRET) is None


def test_a_link_is_refused_when_forged_altered_or_of_another_kind() -> None:
    token = upload_token(SUBJECT, SECRET)
    assert subject_of_link(token, "another-secret-" + "y" * 30) is None
    assert subject_of_link(token, None) is None
    head, body, signature = token.split(".")
    assert subject_of_link(f"{head}.{body}.{signature[::-1]}", SECRET) is None
    unsigned = jwt.encode({"sub": SUBJECT, "aud": "photo-upload"}, key=None, algorithm="none")
    assert subject_of_link(unsigned, SECRET) is None
    # a sign-in token signed with the same key is not an upload link
    assert subject_of_link(issue_token(SUBJECT, SECRET), SECRET) is None
    for junk in (None, 42, "", "x" * 5000, "\ud800", "eyJ.eyJ.x"):
        assert subject_of_link(junk, SECRET) is None


def test_a_link_never_names_anything_but_an_application() -> None:
    forged_subject = jwt.encode(
        {"sub": "../../etc", "aud": "photo-upload", "exp": dt.datetime.now(dt.timezone.utc)
         + dt.timedelta(hours=1)}, SECRET, algorithm="HS256",
    )  # fmt: skip
    assert subject_of_link(forged_subject, SECRET) is None
    with pytest.raises(ValueError):
        upload_token("CP20261128-0001", SECRET)  # complaints take no photos this way
    with pytest.raises(ValueError):
        upload_token(SUBJECT, "short")


def test_a_comment_in_the_jpeg_is_not_kept() -> None:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "red").save(out, "JPEG", comment=b"SN:PHONE-SERIAL-12345")
    assert b"PHONE-SERIAL" in out.getvalue()
    assert b"PHONE-SERIAL" not in clean_photo(out.getvalue()).data


def test_a_jpeg_with_thousands_of_scans_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("L", (64, 64), 128).save(out, "JPEG", progressive=True)
    data = out.getvalue()
    last_scan = data[data.rindex(b"\xff\xda") : data.rindex(b"\xff\xd9")]
    bloated = data[:-2] + last_scan * 500 + b"\xff\xd9"
    assert refusal_of(bloated) is Refusal.UNREADABLE


def test_damaged_bytes_anywhere_give_a_refusal_or_a_photo_never_an_error() -> None:
    rng = random.Random(20261128)
    sample = phone_jpeg(64, 48, orientation=6)
    for _ in range(1500):
        damaged = bytearray(sample)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            kept = clean_photo(bytes(damaged))
        except PhotoRefused:
            continue
        assert Image.open(io.BytesIO(kept.data)).format == "JPEG"

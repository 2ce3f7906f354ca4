"""What a customer's photo must be before the store keeps it, and what the store keeps.

The file's first bytes must say JPEG, PNG or WebP whatever name or type the browser claims;
Pillow must then decode it whole, within budgets checked before decoding (a small file can
declare a huge image, or a progressive JPEG thousands of scans that each cost a full pass).
What is kept is a re-encoded JPEG: the camera's metadata (EXIF, XMP, comments: where and
when it was taken, the phone's serial) is left behind, the orientation it recorded is
applied, and a picture larger than operators need is scaled down.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from enum import Enum

from PIL import Image

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a 50-megapixel phone's JPEG stays under this
MAX_PIXELS = 64_000_000  # a JPEG: 8160 × 6144, the largest phone sensors, fits
# PNG and WebP are decoded whole (no reduced-scale decoding): screenshots, not camera photos.
MAX_PIXELS_LOSSLESS = 25_000_000
MAX_JPEG_SCANS = 16  # a progressive JPEG has about ten; each one is a pass over the image
KEPT_LONG_SIDE = 2560  # enough to see a scratch or a label; a tenth of the bytes of a raw photo
JPEG_QUALITY = 85
ORIENTATION_TAG = 0x0112
JPEG_SCAN = b"\xff\xda"  # start-of-scan marker; 0xFF in coded data is always followed by 0x00
# EXIF orientation → the turn that shows the picture upright. Applied by hand rather than with
# ImageOps.exif_transpose, which re-writes the sender's EXIF and fails on damaged tags.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class Refusal(Enum):
    """Why a file was not kept; each is a sentence the customer sees."""

    TOO_BIG = "照片太大了，请压缩后再传（单张不超过 10 MB）。"
    NOT_A_PHOTO = "只能上传 JPG、PNG 或 WebP 格式的照片。"
    UNREADABLE = "这张照片打不开，可能已损坏，请换一张。"
    TOO_MANY = "这个申请的照片已经够多了，不需要再传。"
    TOO_MANY_FILES = "一次最多选 6 张照片，请分几次上传。"
    TOO_MANY_TRIES = "没能收下的照片太多了，请一小时后再试，或直接联系人工客服。"
    CLOSED = "这个申请已经结束，不能再补充照片了。"
    LINK = "上传链接无效或已过期，请回到对话里重新获取。"


class PhotoRefused(Exception):
    """The file, the link or the request does not allow this photo; `refusal` says why."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.name)
        self.refusal = refusal


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as the store keeps it."""

    data: bytes  # JPEG
    width: int
    height: int
    sha256: str  # of the file as sent, so the same file sent twice is recognised

    content_type = "image/jpeg"


def fingerprint(data: bytes) -> str:
    """The file's SHA-256: the same file sent twice is found before it is decoded again."""
    return hashlib.sha256(data).hexdigest()


def sniffed_format(data: bytes) -> str | None:
    """JPEG, PNG or WEBP if the file's own header says so; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_photo(data: bytes) -> CleanPhoto:
    """The photo re-encoded without metadata, or PhotoRefused saying why not."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRefused(Refusal.TOO_BIG)
    expected = sniffed_format(data)
    if expected is None:
        raise PhotoRefused(Refusal.NOT_A_PHOTO)
    if expected == "JPEG" and data.count(JPEG_SCAN) > MAX_JPEG_SCANS:
        raise PhotoRefused(Refusal.UNREADABLE)
    try:
        kept = _decoded_small(data, expected)
    except PhotoRefused:
        raise
    except Image.DecompressionBombError:  # Pillow's own, larger, limit
        raise PhotoRefused(Refusal.TOO_BIG) from None
    # A decoder fed hostile bytes fails in many ways (OSError, SyntaxError, struct.error,
    # TypeError…); whatever it is, the file is not a photo we can keep.
    except Exception:
        raise PhotoRefused(Refusal.UNREADABLE) from None
    out = io.BytesIO()
    kept.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(out.getvalue(), kept.width, kept.height, fingerprint(data))


def _decoded_small(data: bytes, expected: str) -> Image.Image:
    """Decoded, scaled down, turned upright and flattened to RGB, with no metadata left."""
    with Image.open(io.BytesIO(data), formats=[expected]) as image:
        width, height = image.size  # from the header: nothing decoded yet
        if width * height > (MAX_PIXELS if expected == "JPEG" else MAX_PIXELS_LOSSLESS):
            raise PhotoRefused(Refusal.TOO_BIG)
        orientation = _orientation(image)
        if expected == "JPEG":  # decode at a reduced DCT scale when the photo is large
            image.draft("RGB", (KEPT_LONG_SIDE, KEPT_LONG_SIDE))
        image.load()
        image.thumbnail((KEPT_LONG_SIDE, KEPT_LONG_SIDE))  # first: the copies below are small
        small = image.copy()
    if orientation in UPRIGHT:
        small = small.transpose(UPRIGHT[orientation])
    flat = _on_white(small)
    flat.info = {}  # the JPEG writer would copy a comment (COM) from here
    return flat


def _orientation(image: Image.Image) -> int | None:
    """The EXIF orientation; None if there is none or the EXIF is damaged (the photo is
    then kept as stored rather than refused)."""
    try:
        value = image.getexif().get(ORIENTATION_TAG)
    except Exception:  # the sender's EXIF is theirs to break
        return None
    return value if isinstance(value, int) else None


def _on_white(image: Image.Image) -> Image.Image:
    """RGB for JPEG: a transparent screenshot's background becomes white, not black."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")

"""What a customer's photo must be before the store keeps it, and what the store keeps.

The file's first bytes must say JPEG, PNG or WebP whatever name or type the browser claims;
Pillow must then decode it whole, within a pixel budget checked before decoding (a small
file can declare a huge image). What is kept is a re-encoded JPEG: the camera's metadata
(EXIF: where and when it was taken, the phone's serial) is left behind, the orientation it
recorded is applied, and a picture larger than operators need is scaled down.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from enum import Enum

from PIL import Image, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a 48-megapixel phone's JPEG stays under this
MAX_PIXELS = 50_000_000
KEPT_LONG_SIDE = 2560  # enough to see a scratch or a label; a tenth of the bytes of a raw photo
JPEG_QUALITY = 85
SIGNATURES = {  # the file's own first bytes → the format Pillow must then find
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}


class Refusal(Enum):
    """Why a file was not kept; each is a sentence the customer sees."""

    TOO_BIG = "照片太大了，单张不能超过 10 MB，请压缩后再传。"
    NOT_A_PHOTO = "只能上传 JPG、PNG 或 WebP 格式的照片。"
    UNREADABLE = "这张照片打不开，可能已损坏，请换一张。"
    TOO_MANY = "这个申请的照片已经够多了，不需要再传。"
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


def sniffed_format(data: bytes) -> str | None:
    """JPEG, PNG or WEBP if the file's own header says so; None for anything else."""
    for signature, name in SIGNATURES.items():
        if data.startswith(signature):
            return name
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
    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > MAX_PIXELS:
                raise PhotoRefused(Refusal.TOO_BIG)
            image.load()
            upright = ImageOps.exif_transpose(image)  # a copy; the EXIF stays behind
    except PhotoRefused:
        raise
    except Image.DecompressionBombError:  # Pillow's own, far larger, limit
        raise PhotoRefused(Refusal.TOO_BIG) from None
    except (OSError, SyntaxError, ValueError, EOFError):  # a damaged or lying file
        raise PhotoRefused(Refusal.UNREADABLE) from None
    rgb = _on_white(upright)
    rgb.thumbnail((KEPT_LONG_SIDE, KEPT_LONG_SIDE))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= : none is written
    return CleanPhoto(
        data=out.getvalue(),
        width=rgb.width,
        height=rgb.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _on_white(image: Image.Image) -> Image.Image:
    """RGB for JPEG: a transparent screenshot's background becomes white, not black."""
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")

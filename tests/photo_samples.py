"""Photo files as phones and attackers send them, made with Pillow for the tests."""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def phone_jpeg(width: int = 120, height: int = 60, *, orientation: int = 1) -> bytes:
    """A JPEG with the metadata a phone writes: where it was taken, the make, orientation."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, width // 4, height))  # a blue band on the left
    exif = Image.Exif()
    exif[MAKE] = "TestPhone"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 16.0, 12.0), 3: "E", 4: (120.0, 9.0, 5.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def encoded(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    """A plain image in `fmt` (PNG, WEBP, GIF, BMP, TIFF)."""
    colour = (10, 120, 10, 0) if mode == "RGBA" else (10, 120, 10)
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb's shape)."""
    data = bytearray(encoded("PNG", (1, 1)))
    ihdr = 8 + 4 + 4  # signature, chunk length, chunk type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def noisy_jpeg(side: int = 1200) -> bytes:
    """A JPEG the size of a real phone photo (noise does not compress): about 1–2 MB."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()

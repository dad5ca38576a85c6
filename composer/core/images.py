"""What kind of image a file holds, and how large it is, read from its first bytes.

An inline image is trusted by what its bytes say, never by its name: a ``.png`` that is a PDF
(or ``~/.ssh/id_rsa`` renamed ``logo.png``) is refused. Four formats every mail client shows:
PNG, JPEG, GIF and WebP. SVG is left out on purpose: Gmail and Outlook do not show it, and it
can carry script.

Dimensions come from the header (a few lines per format, so no Pillow): the window writes them
into the ``<img>`` tag it inserts, since Outlook ignores CSS sizes and lays out an image with
no ``width``/``height`` at its natural size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["HEAD_BYTES", "ImageInfo", "image_info", "image_type"]

# No real image is wider or taller (JPEG's and GIF's own maximum; WebP's is 16,383): a header
# claiming more (a PNG may say 2^31) is damaged or hostile, and its size is not written into a tag.
MAX_SIDE = 65535

# JPEG puts its frame header after EXIF / ICC segments, which can be tens of KB; 256 KB covers
# every camera and export tool we tried, and is read only when the window inserts a tag.
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class ImageInfo:
    mime: str  # image/png, image/jpeg, image/gif, image/webp
    width: int | None = None  # None: the header did not say (truncated, odd encoder)
    height: int | None = None


def image_type(head: bytes) -> str | None:
    """The MIME type the first bytes announce, or None for anything but the four formats."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_info(head: bytes) -> ImageInfo | None:
    """Type and dimensions from the start of a file (HEAD_BYTES is enough); None when the bytes
    are not one of the four formats."""
    mime = image_type(head)
    if mime is None:
        return None
    try:
        size = _SIZE_READERS[mime](head)
    except (struct.error, IndexError, ValueError):
        size = None
    if size is None or not (0 < size[0] <= MAX_SIDE and 0 < size[1] <= MAX_SIDE):
        return ImageInfo(mime)
    return ImageInfo(mime, size[0], size[1])


def _png(head: bytes) -> tuple[int, int] | None:
    if head[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


def _gif(head: bytes) -> tuple[int, int] | None:
    w, h = struct.unpack("<HH", head[6:10])
    return int(w), int(h)


# Start-of-frame markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(head):
        if head[i] != 0xFF:
            return None  # lost sync: a damaged file, or one we do not understand
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        (length,) = struct.unpack(">H", head[i + 2 : i + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", head[i + 5 : i + 9])
            return int(w), int(h)
        if marker == 0xDA or length < 2:  # image data starts: no frame header found before it
            return None
        i += 2 + length
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X":  # extended: 24-bit width-1, height-1
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L":  # lossless: 14-bit width-1, height-1 after a signature byte
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":  # lossy: after a 3-byte frame tag and the start code 9d 01 2a
        if head[23:26] != b"\x9d\x01\x2a":
            return None
        w, h = struct.unpack("<HH", head[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    return None


_SIZE_READERS = {"image/png": _png, "image/gif": _gif, "image/jpeg": _jpeg, "image/webp": _webp}

"""Checking uploaded files by what they contain, not by what the browser says they are.

Framework-free: the Django form fields of the archive and the moderation log call
`sniff_type` and set the stored content type from its answer.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"

#: Types whose bytes cannot run script when served from our origin (no SVG, no HTML).
IMAGE_AND_PDF = frozenset({PNG, JPEG, GIF, WEBP, PDF})

#: How many leading bytes `sniff_type` needs.
HEAD_BYTES = 16

#: The file name extension an upload is stored under: from its bytes, never its name.
EXTENSIONS = {PNG: ".png", JPEG: ".jpg", GIF: ".gif", WEBP: ".webp", PDF: ".pdf"}

#: settings.UPLOAD_MAX_PIXELS unless set: an image's width × height as its header claims.
#: A long full-page screenshot (1280 × 30000) is 38 million; a decompression bomb, a few
#: bytes of PNG claiming 50000 × 50000, is 2500 million and would need gigabytes to decode.
DEFAULT_MAX_PIXELS = 50_000_000


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, whence: int = ..., /) -> object: ...


def sniff_bytes(head: bytes) -> str | None:
    """The MIME type the leading bytes show, or None if they are none of ours."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def sniff_type(upload: _Readable) -> str | None:
    """`sniff_bytes` of a file's start; the file is left at position 0."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return sniff_bytes(head)


def extension_for(kind: str | None) -> str:
    """The extension (".png") to store a file of the sniffed type `kind` under."""
    return EXTENSIONS.get(kind or "", ".bin")


def max_pixels() -> int:
    """settings.UPLOAD_MAX_PIXELS, or DEFAULT_MAX_PIXELS outside Django."""
    try:
        from django.conf import settings

        return int(getattr(settings, "UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    except Exception:  # Django not configured (a plain script)
        return DEFAULT_MAX_PIXELS


def image_size(upload: _Readable) -> tuple[int, int] | None:
    """The (width, height) a PNG, JPEG, GIF or WebP header claims, read without decoding
    a pixel; None for other files and unreadable headers. The file is left at position 0.

    The format's own reader is used rather than Image.open, whose decompression-bomb
    check raises before the size can be read (and warns below it).
    """
    from PIL import GifImagePlugin, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

    readers: dict[str, Any] = {
        PNG: PngImagePlugin.PngImageFile,
        JPEG: JpegImagePlugin.JpegImageFile,
        GIF: GifImagePlugin.GifImageFile,
        WEBP: WebPImagePlugin.WebPImageFile,
    }
    reader = readers.get(sniff_type(upload) or "")
    if reader is None:
        return None
    try:
        width, height = reader(upload).size  # header only: pixels load on first access
    except (OSError, ValueError, SyntaxError, struct.error, EOFError):
        return None
    finally:
        upload.seek(0)
    return int(width), int(height)


def image_pixels(upload: _Readable) -> int | None:
    """Width × height of an image as its header claims (see `image_size`), or None."""
    size = image_size(upload)
    return size[0] * size[1] if size else None


class UploadRejected(ValueError):
    """An upload that `check_upload` refuses; `reason` is "too_large", "wrong_type" or
    "too_many_pixels" (then `limit` is the pixel limit and `dimensions` the image's)."""

    def __init__(
        self, reason: str, *, limit: int | None = None, dimensions: tuple[int, int] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit
        self.dimensions = dimensions


def check_pixels(upload: _Readable, *, limit: int | None = None) -> None:
    """Refuse an image whose header claims more than `limit` pixels (UPLOAD_MAX_PIXELS)."""
    limit = max_pixels() if limit is None else limit
    size = image_size(upload)
    if size is not None and size[0] * size[1] > limit:
        raise UploadRejected("too_many_pixels", limit=limit, dimensions=size)


def check_upload(
    upload: _Readable,
    *,
    size: int,
    allowed: frozenset[str],
    max_bytes: int,
    max_pixels: int | None = None,
) -> str:
    """The sniffed MIME type of an upload that is at most `max_bytes` long, of one of the
    `allowed` types and, for an image, at most `max_pixels` pixels (default: the setting
    UPLOAD_MAX_PIXELS); otherwise UploadRejected. Decided by the bytes alone: the
    browser's Content-Type and the file name are not trusted. Bytes alone are not
    enough for images: a few hundred of them can claim billions of pixels."""
    if size > max_bytes:
        raise UploadRejected("too_large")
    kind = sniff_type(upload)
    if kind is None or kind not in allowed:
        raise UploadRejected("wrong_type")
    check_pixels(upload, limit=max_pixels)
    return kind

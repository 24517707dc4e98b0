"""Checking uploaded files by what they contain, not by what the browser says they are.

Framework-free: the Django form fields of the archive and the moderation log call
`sniff_type` and set the stored content type from its answer.
"""

from __future__ import annotations

from typing import Protocol

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"

#: Types whose bytes cannot run script when served from our origin (no SVG, no HTML).
IMAGE_AND_PDF = frozenset({PNG, JPEG, GIF, WEBP, PDF})

#: How many leading bytes `sniff_type` needs.
HEAD_BYTES = 16


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


class UploadRejected(ValueError):
    """An upload that `check_upload` refuses; `reason` is "too_large" or "wrong_type"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_upload(upload: _Readable, *, size: int, allowed: frozenset[str], max_bytes: int) -> str:
    """The sniffed MIME type of an upload that is at most `max_bytes` long and of one of
    the `allowed` types; otherwise UploadRejected. Decided by the bytes alone: the
    browser's Content-Type and the file name are not trusted."""
    if size > max_bytes:
        raise UploadRejected("too_large")
    kind = sniff_type(upload)
    if kind is None or kind not in allowed:
        raise UploadRejected("wrong_type")
    return kind

"""The shared upload check (nykvarn_sm.lib.uploads): images are judged by the pixels their
header claims, not only by their bytes, for the archive's uploads and moderation's evidence."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nykvarn_sm.lib.uploads import (
    IMAGE_AND_PDF,
    JPEG,
    PNG,
    UploadRejected,
    check_upload,
    extension_for,
    image_pixels,
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A PNG of a few dozen bytes whose header claims width × height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def real_image(width: int, height: int, kind: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, kind)
    return buffer.getvalue()


def _check(data: bytes, **kwargs) -> str:
    return check_upload(
        io.BytesIO(data), size=len(data), allowed=IMAGE_AND_PDF, max_bytes=10**7, **kwargs
    )


def test_header_pixels_are_read_without_decoding():
    assert len(bomb_png()) < 200
    assert image_pixels(io.BytesIO(bomb_png())) == 50_000 * 50_000
    assert image_pixels(io.BytesIO(real_image(30, 20, "JPEG"))) == 600
    assert image_pixels(io.BytesIO(b"%PDF-1.4 ...")) is None
    assert image_pixels(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)) is None


def test_a_decompression_bomb_is_refused_by_its_pixels(settings):
    settings.UPLOAD_MAX_PIXELS = 50_000_000
    with pytest.raises(UploadRejected) as raised:
        _check(bomb_png())
    assert raised.value.reason == "too_many_pixels"
    assert raised.value.limit == 50_000_000


def test_the_limit_is_the_setting(settings):
    settings.UPLOAD_MAX_PIXELS = 1000
    assert _check(real_image(40, 25)) == PNG
    with pytest.raises(UploadRejected):
        _check(real_image(40, 26))
    assert _check(real_image(400, 260), max_pixels=200_000) == PNG


def test_extension_comes_from_the_sniffed_type():
    assert extension_for(PNG) == ".png" and extension_for(JPEG) == ".jpg"
    assert extension_for("text/html") == ".bin"


@pytest.mark.django_db
def test_moderation_evidence_refuses_a_bomb_with_a_clear_message(settings):
    from django import forms

    from moderation.forms import MultipleFileField

    settings.UPLOAD_MAX_PIXELS = 50_000_000

    class EvidenceForm(forms.Form):
        evidence = MultipleFileField(required=False)

    form = EvidenceForm(files={"evidence": [SimpleUploadedFile("skärm.png", bomb_png())]})
    assert not form.is_valid()
    assert form.errors["evidence"] == [
        "skärm.png har för många bildpunkter (50000 × 50000); högst 50 miljoner tillåts."
    ]

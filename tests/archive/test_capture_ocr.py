"""Uploaded screenshots of login-walled pages get a text layer made by OCR (OCRmyPDF with
Tesseract's Swedish data), so that their words can be found; the file stays PDF/A and
validated. Without OCR the snapshot is still stored and the cover says so (issue 10)."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from archive import services
from archive.models import Snapshot
from nykvarn_sm.lib import pdfa
from tests.archive.conftest import pdf_text

pytestmark = pytest.mark.django_db

LINES = ["Välkommen till Hemtjänsten i Nykvarn", "Räksmörgås och kanelbullar på fredag"]


def _screenshot() -> bytes:
    """A screenshot of a post, its Swedish words drawn in DejaVu Sans."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1280, 1200), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 44)
    for n, line in enumerate(LINES):
        draw.text((60, 100 + 90 * n), line, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _upload(account) -> tuple[Snapshot, bytes]:
    snapshot = services.request_snapshot(
        account=account,
        context=Snapshot.Context.MANUAL,
        by=None,
        uploads=[SimpleUploadedFile("inlägg.png", _screenshot(), "image/png")],
        queue=False,
    )
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    with storages["archive"].open(snapshot.file_name, "rb") as handle:
        return snapshot, handle.read()


def test_uploaded_screenshot_words_are_found_in_the_stored_pdfa(account_b):
    snapshot, data = _upload(account_b)

    text = pdf_text(data)
    assert "Räksmörgås" in text
    assert "Hemtjänsten" in text
    # The file stays PDF/A: pikepdf's checks and PDFBox Preflight, as for every snapshot.
    assert snapshot.validation_passed is True
    assert "PDFBox Preflight" in snapshot.validator
    result = pdfa.validate_pdfa(data)
    assert result.passed, result.messages
    assert "Sökbart textlager gjort med OCR" in " ".join(text.split())


def test_without_ocrmypdf_the_snapshot_is_stored_and_the_cover_says_no_text_layer(
    account_b, settings
):
    settings.ARCHIVE_OCR_COMMAND = "/nonexistent/ocrmypdf"

    snapshot, data = _upload(account_b)

    text = " ".join(pdf_text(data).split())
    assert "Räksmörgås" not in text
    assert "Inget textlager gjordes: ocrmypdf finns inte på servern." in text
    assert snapshot.validation_passed is True


def test_a_failing_ocr_run_stores_the_snapshot_without_a_text_layer(account_b, settings, tmp_path):
    broken = tmp_path / "ocrmypdf"
    broken.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && echo 14.0.1 && exit 0\n'
        "echo 'Tesseract kraschade' >&2\nexit 15\n"
    )
    broken.chmod(0o755)
    settings.ARCHIVE_OCR_COMMAND = str(broken)

    snapshot, data = _upload(account_b)

    text = " ".join(pdf_text(data).split())
    assert "Räksmörgås" not in text
    assert "Inget textlager gjordes: OCR misslyckades" in text
    assert "Tesseract kraschade" in text
    assert snapshot.validation_passed is True


def test_an_ocr_run_over_its_time_is_stopped(account_b, settings, tmp_path):
    slow = tmp_path / "ocrmypdf"
    slow.write_text('#!/bin/sh\n[ "$1" = --version ] && echo 14.0.1 && exit 0\nsleep 30\n')
    slow.chmod(0o755)
    settings.ARCHIVE_OCR_COMMAND = str(slow)
    settings.ARCHIVE_OCR_TIMEOUT = 1

    snapshot, data = _upload(account_b)

    text = " ".join(pdf_text(data).split())
    assert "Inget textlager gjordes: OCR blev inte klar inom 1 s." in text

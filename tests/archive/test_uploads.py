"""Uploaded screenshots and prints for pages behind a login wall: judged by their bytes and
their pixels, stored under the extension their bytes show (ARC-1; issue 8)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from archive import services
from archive.forms import UploadForm
from archive.models import Snapshot, SnapshotSource
from tests.lib.test_uploads import bomb_png, real_image

pytestmark = pytest.mark.django_db


def _waiting(account):
    return Snapshot.objects.create(
        account=account,
        period="2026-H1",
        context=Snapshot.Context.PERIODIC,
        source_url=account.url,
        method=Snapshot.Method.UPLOAD,
    )


def test_upload_form_refuses_a_decompression_bomb_with_a_clear_message(settings):
    settings.UPLOAD_MAX_PIXELS = 50_000_000
    form = UploadForm(files={"files": [SimpleUploadedFile("sida.png", bomb_png(), "image/png")]})
    assert not form.is_valid()
    assert form.errors["files"] == [
        "sida.png har för många bildpunkter (50000 × 50000); högst 50 miljoner tillåts."
    ]


def test_upload_form_refuses_an_image_whose_header_cannot_be_read():
    junk = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    form = UploadForm(files={"files": [SimpleUploadedFile("a.png", junk, "image/png")]})
    assert not form.is_valid()
    assert "a.png är inte en PNG-, JPEG- eller PDF-fil." in str(form.errors)


def test_upload_view_shows_the_message_and_stores_nothing(client, operator, account_a, settings):
    settings.UPLOAD_MAX_PIXELS = 50_000_000
    waiting = _waiting(account_a)
    client.force_login(operator)
    bomb = io.BytesIO(bomb_png())
    bomb.name = "sida.png"
    response = client.post(reverse("archive:upload", args=[waiting.pk]), {"files": [bomb]})
    assert response.status_code == 302
    assert "för många bildpunkter" in str(list(response.wsgi_request._messages)[0])
    assert not SnapshotSource.objects.exists()


def test_a_bomb_that_reaches_the_worker_fails_permanently_and_visibly(account_b, settings):
    settings.UPLOAD_MAX_PIXELS = 50_000_000
    snapshot = services.request_snapshot(
        account=account_b,
        context=Snapshot.Context.MANUAL,
        by=None,
        uploads=[SimpleUploadedFile("sida.png", bomb_png(), "image/png")],
        queue=False,
    )
    outcome = services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    assert outcome.retry_in is None
    assert snapshot.status == Snapshot.Status.FAILED and snapshot.attempts == 1
    assert "sida.png har för många bildpunkter (50000 × 50000)" in snapshot.last_error


def test_a_moderate_image_over_the_setting_also_fails_in_the_worker(account_b, settings):
    settings.UPLOAD_MAX_PIXELS = 1000
    snapshot = services.request_snapshot(
        account=account_b,
        context=Snapshot.Context.MANUAL,
        by=None,
        uploads=[SimpleUploadedFile("sida.png", real_image(100, 100), "image/png")],
        queue=False,
    )
    assert services.process_snapshot(snapshot.pk).retry_in is None
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.FAILED and "100 × 100" in snapshot.last_error


def test_uploads_are_stored_under_the_sniffed_extension(client, operator, account_a, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    waiting = _waiting(account_a)
    client.force_login(operator)
    disguised = io.BytesIO(real_image(40, 30, "JPEG"))
    disguised.name = "sida.html"
    client.post(reverse("archive:upload", args=[waiting.pk]), {"files": [disguised]})
    source = SnapshotSource.objects.get()
    assert source.file.name.endswith(".jpg") and ".html" not in source.file.name
    assert source.original_name == "sida.html" and source.content_type == "image/jpeg"


def test_command_checks_files_like_the_form(account_b, tmp_path, settings):
    settings.UPLOAD_MAX_PIXELS = 50_000_000
    bomb = tmp_path / "sida.png"
    bomb.write_bytes(bomb_png())
    page = tmp_path / "sida.pdf"
    page.write_text("<html>not a pdf</html>")
    for path, message in ((bomb, "för många bildpunkter"), (page, "är inte en PNG-")):
        with pytest.raises(CommandError, match=message):
            call_command("snapshot", "--account", str(account_b.pk), "--from-file", str(path))
    assert not Snapshot.objects.exists()

"""The archive's pages: who may see, download, retry and ask for what (ARC-5)."""

from __future__ import annotations

import hashlib
import io
import urllib.parse
import zipfile

import pytest
from django.template import Context, Template
from django.urls import reverse

from archive.models import Snapshot
from tests.archive.faults import broker
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def snap_a(account_a):
    return stored_snapshot(account_a)


@pytest.fixture
def snap_b(account_b):
    return stored_snapshot(account_b)


def test_archivist_sees_all_with_constant_queries(
    client, archivist, account_a, account_b, django_assert_max_num_queries
):
    for year in (2024, 2025, 2026):
        stored_snapshot(account_a, period=f"{year}-H1")
        stored_snapshot(account_b, context=Snapshot.Context.MANUAL)
    client.force_login(archivist)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("archive:list"))
    assert response.status_code == 200
    assert response.content.decode().count("Lagrad</span>") == 6


def test_list_filters(client, archivist, snap_a, snap_b):
    client.force_login(archivist)
    response = client.get(reverse("archive:list"), {"department": snap_b.account.department_id})
    body = response.content.decode()
    assert "Hemtjänsten Nykvarn" in body and snap_a.download_name not in body
    response = client.get(reverse("archive:list"), {"office": snap_a.account.department.parent_id})
    assert snap_a.download_name in response.content.decode()
    assert "Hemtjänsten Nykvarn</a>" not in response.content.decode()
    response = client.get(reverse("archive:list"), {"status": "failed"})
    assert "Inga uttag matchar" in response.content.decode()


def test_manager_sees_only_own_departments(client, manager_a, snap_a, snap_b):
    client.force_login(manager_a)
    body = client.get(reverse("archive:list")).content.decode()
    assert snap_a.download_name in body
    assert "Hemtjänsten Nykvarn" not in body
    assert client.get(reverse("archive:detail", args=[snap_b.pk])).status_code == 404
    assert client.get(reverse("archive:download", args=[snap_b.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "operator"])
def test_list_refused_for_others(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("archive:list")).status_code == 403


def test_download_keeps_swedish_name_and_checksum(client, archivist, snap_a):
    client.force_login(archivist)
    response = client.get(reverse("archive:download", args=[snap_a.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == snap_a.sha256
    assert response["X-Checksum-SHA256"] == snap_a.sha256
    disposition = urllib.parse.unquote(response["Content-Disposition"])
    assert "Facebook Fritidsfabriken" in disposition
    assert "periodiskt uttag.pdf" in disposition
    assert snap_a.file_name.startswith("Kultur och fritid/")


def test_download_refused_for_outsider(client, outsider, snap_a):
    client.force_login(outsider)
    assert client.get(reverse("archive:download", args=[snap_a.pk])).status_code == 404


def test_office_zip_has_files_and_manifest(client, archivist, snap_a, snap_b):
    client.force_login(archivist)
    office = snap_a.account.department.parent
    response = client.get(
        reverse("archive:office_zip"), {"office": office.pk, "period": snap_a.period}
    )
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
        assert snap_a.download_name in names and snap_b.download_name not in names
        manifest = archive.read("manifest-sha256.txt").decode()
        assert f"{snap_a.sha256}  {snap_a.download_name}" in manifest
        assert hashlib.sha256(archive.read(snap_a.download_name)).hexdigest() == snap_a.sha256


def test_office_zip_refuses_changed_or_missing_files_and_names_them(client, archivist, account_a):
    from django.core.files.storage import storages

    good = stored_snapshot(account_a)
    tampered = stored_snapshot(account_a, context=Snapshot.Context.MANUAL)
    path = storages["archive"].path(tampered.file_name)
    with open(path, "ab") as handle:
        handle.write(b"\n% tampered")
    client.force_login(archivist)
    office = good.account.department.parent
    url = reverse("archive:office_zip")
    response = client.get(url, {"office": office.pk, "period": good.period})
    assert response.status_code == 302
    assert response["Content-Type"] != "application/zip"
    message = [str(m) for m in response.wsgi_request._messages][0]
    assert f"{tampered.file_name} (ändrad)" in message and "verify_archive" in message
    assert good.file_name not in message

    storages["archive"].delete(tampered.file_name)
    response = client.get(url, {"office": office.pk, "period": good.period}, follow=True)
    assert f"{tampered.file_name} (saknas)" in response.content.decode()


def test_office_zip_refused_outside_scope(client, manager_b, snap_a):
    client.force_login(manager_b)
    office = snap_a.account.department.parent
    response = client.get(
        reverse("archive:office_zip"), {"office": office.pk, "period": snap_a.period}
    )
    assert response.status_code == 404


def _failed(account):
    return Snapshot.objects.create(
        account=account,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=account.url,
        status=Snapshot.Status.FAILED,
        attempts=4,
        last_error="CaptureError: Sidan laddades inte",
    )


def test_failed_shows_error_and_retry_requeues(client, archivist, account_a, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    snapshot = _failed(account_a)
    client.force_login(archivist)
    body = client.get(reverse("archive:detail", args=[snapshot.pk])).content.decode()
    assert "Sidan laddades inte" in body and "Försök igen" in body
    url = reverse("archive:retry", args=[snapshot.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.QUEUED and snapshot.attempts == 0


@pytest.mark.parametrize("persona", ["operator", "outsider", "manager_b"])
def test_retry_refused(client, request, account_a, persona):
    snapshot = _failed(account_a)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("archive:retry", args=[snapshot.pk]))
    assert response.status_code in (403, 404)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.FAILED


def test_progress_page_refreshes_while_running(client, archivist, account_a):
    snapshot = Snapshot.objects.create(
        account=account_a,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=account_a.url,
        status=Snapshot.Status.RENDERING,
        attempts=1,
    )
    client.force_login(archivist)
    body = client.get(reverse("archive:detail", args=[snapshot.pk])).content.decode()
    assert 'http-equiv="refresh"' in body and "Skapar PDF/A" in body and "steg" in body


@pytest.mark.django_db(transaction=True)  # the message depends on what happens at commit
def test_operator_requests_snapshot_with_upload(client, operator, account_a, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, "PNG")
    buffer.name = "sida.png"
    buffer.seek(0)
    client.force_login(operator)
    url = reverse("archive:request", args=[account_a.pk])
    assert client.get(url).status_code == 405
    with broker("memory://"):
        response = client.post(
            url, {"context": "change", "note": "Ny profilbild", "files": [buffer]}
        )
    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [
        "Arkivuttaget är beställt. Det syns i listan när det är klart."
    ]
    snapshot = Snapshot.objects.get(account=account_a)
    assert snapshot.context == "change" and snapshot.requested_by == operator
    assert snapshot.status == Snapshot.Status.QUEUED
    assert snapshot.sources.count() == 1 and snapshot.method == Snapshot.Method.UPLOAD


def test_login_wall_requires_upload(client, operator, account_a):
    client.force_login(operator)
    client.post(reverse("archive:request", args=[account_a.pk]), {"context": "change"})
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "operator_b", "archivist", "manager_b"])
def test_request_refused(client, request, account_a, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("archive:request", args=[account_a.pk]), {"context": "change"})
    assert response.status_code in (403, 404)
    assert not Snapshot.objects.exists()


def test_template_tag_lists_and_offers_form(
    operator, archivist, snap_a, django_assert_max_num_queries
):
    template = Template("{% load archive_tags %}{% account_snapshots account user %}")
    account = snap_a.account
    with django_assert_max_num_queries(12):
        html = template.render(Context({"account": account, "user": operator}))
    assert snap_a.download_name in html
    assert "Beställ uttag" in html
    html = template.render(Context({"account": account, "user": archivist}))
    assert snap_a.download_name in html and "Beställ uttag" not in html


def test_upload_outside_scope_is_404_and_inside_without_right_is_403(
    client, manager_b, archivist, account_a
):
    from PIL import Image

    waiting = Snapshot.objects.create(
        account=account_a,
        period="2026-H1",
        context=Snapshot.Context.PERIODIC,
        source_url=account_a.url,
        method=Snapshot.Method.UPLOAD,
    )
    url = reverse("archive:upload", args=[waiting.pk])
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    buffer.name = "sida.png"
    # Another office's manager may not even learn that the snapshot exists.
    client.force_login(manager_b)
    buffer.seek(0)
    assert client.post(url, {"files": [buffer]}).status_code == 404
    # The archivist sees it but does not add uploads.
    client.force_login(archivist)
    buffer.seek(0)
    assert client.post(url, {"files": [buffer]}).status_code == 403
    assert not waiting.sources.exists()


@pytest.mark.parametrize("office", ["abc", "1.5", "99999999999999999999", "-3", ""])
def test_office_zip_answers_404_for_junk_office(client, archivist, office):
    client.force_login(archivist)
    response = client.get(reverse("archive:office_zip"), {"office": office, "period": "2026-H1"})
    assert response.status_code == 404


def test_office_zip_checks_permission_before_the_office(client, operator):
    client.force_login(operator)
    for office in ("abc", "999999"):
        response = client.get(
            reverse("archive:office_zip"), {"office": office, "period": "2026-H1"}
        )
        assert response.status_code == 403


def test_office_zip_redirect_encodes_the_period(client, archivist, account_a):
    from django.core.files.storage import storages

    period = "H1&o=1#y"
    snapshot = stored_snapshot(account_a, period=period)
    storages["archive"].delete(snapshot.file_name)
    client.force_login(archivist)
    office = snapshot.account.department.parent
    response = client.get(reverse("archive:office_zip"), {"office": office.pk, "period": period})
    assert response.status_code == 302
    query = urllib.parse.urlsplit(response["Location"]).query
    assert urllib.parse.parse_qs(query) == {"office": [str(office.pk)], "period": [period]}


def test_archive_upload_stores_the_sniffed_type(client, archivist, account_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from archive.forms import UploadForm
    from tests.lib.test_uploads import real_image

    png = real_image(40, 30)
    form = UploadForm(files={"files": [SimpleUploadedFile("a.png", png, "text/html")]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["files"][0].content_type == "image/png"
    svg = SimpleUploadedFile("b.svg", b"<svg/>", "image/png")
    form = UploadForm(files={"files": [svg]})
    assert not form.is_valid()
    assert "b.svg är inte en PNG-, JPEG- eller PDF-fil." in str(form.errors)

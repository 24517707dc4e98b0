"""A single snapshot download never serves bytes that no longer match the recorded SHA-256."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from accounts.models import AuditEvent
from archive.models import Snapshot
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db


def _download(client, snapshot):
    return client.get(reverse("archive:download", args=[snapshot.pk]))


def test_matching_file_is_served_as_checked(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    client.force_login(archivist)
    response = _download(client, snapshot)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == snapshot.sha256
    assert int(response["Content-Length"]) == len(data)
    assert not AuditEvent.objects.filter(action="archive.download_refused").exists()


def test_changed_file_is_refused_with_a_page_an_event_and_the_flag(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    with open(storages["archive"].path(snapshot.file_name), "r+b") as handle:
        handle.seek(200)
        handle.write(b"X")  # one byte, the size unchanged

    client.force_login(archivist)
    response = _download(client, snapshot)
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "stämmer inte med sin registrerade kontrollsumma" in page
    assert snapshot.download_name in page
    assert "%PDF" not in page
    event = AuditEvent.objects.get(action="archive.download_refused")
    assert event.actor == archivist and event.target_id == str(snapshot.pk)
    assert event.details["problem"] == "ändrad"
    assert event.details["expected"] == snapshot.sha256
    snapshot.refresh_from_db()
    assert snapshot.fixity_ok is False and snapshot.verified_at is not None

    # The list and the page say so too.
    detail = client.get(snapshot.get_absolute_url()).content.decode()
    assert "kontrollsumman stämmer inte" in detail


def test_missing_file_is_refused_without_a_500(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    storages["archive"].delete(snapshot.file_name)
    client.force_login(archivist)
    response = _download(client, snapshot)
    assert response.status_code == 409
    assert "saknas" in response.content.decode()
    assert AuditEvent.objects.get(action="archive.download_refused").details["problem"] == "saknas"
    snapshot.refresh_from_db()
    assert snapshot.fixity_ok is False


def test_refusal_is_for_whoever_may_download_only(client, outsider, account_a):
    snapshot = stored_snapshot(account_a)
    with open(storages["archive"].path(snapshot.file_name), "ab") as handle:
        handle.write(b"\n% tampered")
    client.force_login(outsider)
    assert _download(client, snapshot).status_code == 404
    assert not AuditEvent.objects.filter(action="archive.download_refused").exists()
    assert Snapshot.objects.get(pk=snapshot.pk).fixity_ok is None


def test_post_is_refused(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    client.force_login(archivist)
    response = client.post(reverse("archive:download", args=[snapshot.pk]))
    assert response.status_code == 405

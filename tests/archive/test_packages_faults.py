"""Delivery packages under faults (issue 9/10): a broker that is not there when a package is
asked for, a worker that died while building, and a package file changed between the check
and the download."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from archive import packages, tasks
from archive.models import DeliveryPackage
from archive.storage import archive_storage
from tests.archive.faults import broker, drain, free_port
from tests.archive.helpers import stored_snapshot

WAITING = (
    "Beställningen är sparad, men arbetskön svarar inte just nu. Paketet byggs av sig självt "
    "inom några minuter när kön är tillbaka; du behöver inte beställa det igen."
)


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def _package_messages() -> list[object]:
    return [args[0] for task, args in drain() if task == "archive.tasks.build_package"]


# --- the broker is down ---------------------------------------------------------------------


# Transactional: what the request answers depends on what happens when it commits.
@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_broker_down_package_is_kept_said_so_and_sent_by_the_sweep(client, archivist, account_a):
    """Nothing listens where the broker should be: the request answers that the queue is not
    answering, the queued package stays, and the minute's sweep sends it once it is back."""
    snapshot = stored_snapshot(account_a)
    client.force_login(archivist)
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        response = client.post(
            reverse("archive:package_request"),
            {"office": account_a.department.office.pk, "period": snapshot.period},
        )
        package = DeliveryPackage.objects.get()
        assert response.status_code == 302 and response["Location"] == package.get_absolute_url()
        assert _messages(response) == [WAITING]
        assert package.status == DeliveryPackage.Status.QUEUED and package.published_at is None
        # The sweep while the broker is still down sends nothing and loses nothing.
        tasks.sweep_snapshots()
        assert DeliveryPackage.objects.get(pk=package.pk).published_at is None
        page = client.get(package.get_absolute_url())
        assert "Arbetskön svarar inte just nu" in page.content.decode()
    with broker("memory://"):
        drain()
        tasks.sweep_snapshots()
        assert _package_messages() == [package.pk]
        package.refresh_from_db()
        assert package.published_at is not None
        # Sent a minute ago: the next sweep leaves it to the broker.
        tasks.sweep_snapshots()
        assert _package_messages() == []
    assert tasks.build_package(package.pk) == DeliveryPackage.Status.READY


@pytest.mark.django_db
def test_sweep_sends_queued_packages_not_sent_recently(account_a, archivist, settings):
    settings.ARCHIVE_REPUBLISH_AFTER = 600
    snapshot = stored_snapshot(account_a)
    office, period = account_a.department.office, snapshot.period
    now = timezone.now()
    with broker("memory://"):
        never_sent = packages.request_package(office=office, period=period, by=archivist)
        long_ago = packages.request_package(office=office, period=period, by=archivist)
        just_now = packages.request_package(office=office, period=period, by=archivist)
        ready = packages.request_package(office=office, period=period, by=archivist)
        DeliveryPackage.objects.filter(pk=never_sent.pk).update(published_at=None)
        DeliveryPackage.objects.filter(pk=long_ago.pk).update(
            published_at=now - dt.timedelta(minutes=11)
        )
        DeliveryPackage.objects.filter(pk=just_now.pk).update(
            published_at=now - dt.timedelta(minutes=1)
        )
        packages.process_package(ready.pk)
        drain()
        assert packages.publish_waiting_packages() == 2
        assert sorted(_package_messages()) == sorted([never_sent.pk, long_ago.pk])
        assert packages.publish_waiting_packages() == 0


# --- a worker that died while building ------------------------------------------------------


@pytest.mark.django_db
def test_a_package_whose_worker_died_is_taken_over_and_built_once(account_a, archivist, settings):
    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 120
    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist, queue=False
    )
    # A worker claimed it and was killed: the row says "building", its heartbeat stopped.
    assert DeliveryPackage.claim(package.pk)
    DeliveryPackage.objects.filter(pk=package.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=3)
    )
    # The sweep sends it again, and the delivery takes it over.
    with broker("memory://"):
        drain()
        assert packages.publish_waiting_packages() == 1
        assert _package_messages() == [package.pk]
    assert tasks.build_package(package.pk) == DeliveryPackage.Status.READY
    assert tasks.build_package(package.pk) == "not-claimed"
    package.refresh_from_db()
    assert package.attempts == 2 and package.sha256
    assert list(Path(archive_storage().path("Paket")).iterdir()) == [
        Path(archive_storage().path(package.file_name))
    ]
    assert (
        AuditEvent.objects.filter(action="archive.package_stored", target_id=package.pk).count()
        == 1
    )


@pytest.mark.django_db
def test_a_building_package_with_a_live_worker_is_not_taken(account_a, archivist, settings):
    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 120
    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist, queue=False
    )
    assert DeliveryPackage.claim(package.pk)
    assert not DeliveryPackage.claim(package.pk)  # a redelivery while the worker beats
    with broker("memory://"):
        drain()
        assert packages.publish_waiting_packages() == 0
    package.refresh_from_db()
    assert package.status == DeliveryPackage.Status.BUILDING and package.attempts == 1


@pytest.mark.django_db
def test_a_dead_attempts_file_is_replaced_not_a_failure(account_a, archivist, settings):
    """Killed after linking its ZIP and before recording it: the next attempt's package
    takes the name, since no row ever vouched for the dead attempt's file."""
    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 120
    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist, queue=False
    )
    assert DeliveryPackage.claim(package.pk)
    leftover = Path(archive_storage().path(packages.package_name(package)))
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"PK half a package")
    DeliveryPackage.objects.filter(pk=package.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=3)
    )
    package = packages.process_package(package.pk)
    assert package is not None
    assert package.status == DeliveryPackage.Status.READY, package.last_error
    assert hashlib.sha256(leftover.read_bytes()).hexdigest() == package.sha256


@pytest.mark.django_db
def test_a_taken_over_worker_cannot_record_over_the_new_one(account_a, archivist, settings):
    """A worker thought dead that comes back finds the package taken and changes nothing."""
    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 120
    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist, queue=False
    )
    assert DeliveryPackage.claim(package.pk)
    first = DeliveryPackage.objects.get(pk=package.pk)
    DeliveryPackage.objects.filter(pk=package.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=3)
    )
    assert DeliveryPackage.claim(package.pk)  # taken over: attempt 2
    first.advance(50, "gammal arbetare")
    package.refresh_from_db()
    assert package.attempts == 2 and package.step == ""


# --- the download sends the bytes it checked ------------------------------------------------


@pytest.mark.django_db
def test_package_download_sends_the_bytes_it_checked(client, archivist, account_a, monkeypatch):
    """The file is swapped after the check would have passed: what is sent is what was
    checked, read once."""
    from archive import storage

    snapshot = stored_snapshot(account_a)
    package = packages.process_package(
        packages.request_package(
            office=account_a.department.office, period=snapshot.period, by=archivist, queue=False
        ).pk
    )
    assert package is not None and package.status == DeliveryPackage.Status.READY
    good = Path(archive_storage().path(package.file_name)).read_bytes()
    real_open = storage.open_file
    opened: list[str] = []

    def swapping_open(name: str):
        opened.append(name)
        if len(opened) > 1:  # any second read gets other bytes
            return io.BytesIO(b"PK utbytt efter kontrollen")
        return real_open(name)

    monkeypatch.setattr(storage, "open_file", swapping_open)
    client.force_login(archivist)
    response = client.get(reverse("archive:package_download", args=[package.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == good
    assert hashlib.sha256(body).hexdigest() == response["X-Checksum-SHA256"] == package.sha256
    assert opened == [package.file_name]
    assert AuditEvent.objects.filter(
        action="archive.package_downloaded", target_id=package.pk
    ).exists()

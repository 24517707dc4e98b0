"""The delivery packages' pages and command: who may build, follow and download them, what
a period with gaps asks, and bad input answered without a 500 (issue 10)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from archive import packages
from archive.models import DeliveryPackage, Snapshot, period_for
from archive.storage import archive_storage
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(account_a, archivist):
    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist
    )
    return packages.process_package(package.pk)


def _ask(client, **data):
    return client.post(reverse("archive:package_request"), data)


# --- who ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["archivist", "communications_officer"])
def test_archivists_and_the_communications_office_build_packages(
    client, request, persona, account_a
):
    user = request.getfixturevalue(persona)
    snapshot = stored_snapshot(account_a)
    client.force_login(user)
    page = client.get(reverse("archive:packages"))
    assert page.status_code == 200
    assert "Bygg paket" in page.content.decode()
    response = _ask(client, office=account_a.department.office.pk, period=snapshot.period)
    package = DeliveryPackage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == package.get_absolute_url()
    assert package.requested_by == user
    assert package.status == DeliveryPackage.Status.QUEUED
    assert AuditEvent.objects.filter(action="archive.package_requested", actor=user).exists()


@pytest.mark.parametrize("persona", ["manager_a", "operator", "outsider"])
def test_others_may_not_build_or_see_packages(client, request, persona, ready, account_a):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("archive:packages")).status_code == 403
    assert (
        _ask(client, office=account_a.department.office.pk, period=ready.period).status_code == 403
    )
    # Someone else's package: as if it did not exist (ARC-5).
    assert client.get(reverse("archive:package", args=[ready.pk])).status_code == 404
    assert client.get(reverse("archive:package_download", args=[ready.pk])).status_code == 404
    assert client.post(reverse("archive:package_retry", args=[ready.pk])).status_code == 404
    assert DeliveryPackage.objects.count() == 1


def test_anonymous_is_sent_to_log_in(client, ready):
    response = client.get(reverse("archive:package_download", args=[ready.pk]))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_asking_and_retrying_refuse_get(client, archivist, ready):
    client.force_login(archivist)
    assert client.get(reverse("archive:package_request")).status_code == 405
    assert client.get(reverse("archive:package_retry", args=[ready.pk])).status_code == 405


def test_archive_page_links_to_packages_for_archivists_only(client, archivist, manager_a):
    client.force_login(archivist)
    assert reverse("archive:packages") in client.get(reverse("archive:list")).content.decode()
    client.force_login(manager_a)
    assert reverse("archive:packages") not in client.get(reverse("archive:list")).content.decode()


# --- gaps -----------------------------------------------------------------------------------


def test_a_period_with_gaps_is_named_and_asked_about(client, archivist, account_a):
    period = period_for(timezone.localdate())
    Snapshot.objects.create(
        account=account_a,
        period=period,
        context=Snapshot.Context.PERIODIC,
        source_url=account_a.url,
        status=Snapshot.Status.FAILED,
    )
    client.force_login(archivist)
    office = account_a.department.office.pk
    response = _ask(client, office=office, period=period)
    assert response.status_code == 409
    text = response.content.decode()
    assert "Perioden är inte komplett." in text
    assert "det periodiska uttaget misslyckades" in text
    assert str(account_a) in text
    assert not DeliveryPackage.objects.exists()

    response = _ask(client, office=office, period=period, confirm_gaps="on")
    assert response.status_code == 302
    package = DeliveryPackage.objects.get()
    assert package.confirmed_gaps[0]["problem"] == "det periodiska uttaget misslyckades"


# --- following and downloading --------------------------------------------------------------


def test_a_building_package_shows_its_progress_and_refreshes(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist
    )
    assert DeliveryPackage.claim(package.pk)
    package.refresh_from_db()
    package.advance(40, "Läser uttag 1 av 2")
    client.force_login(archivist)
    text = client.get(package.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh"' in text
    assert '<progress max="100" value="40">' in text
    assert "Läser uttag 1 av 2" in text


def test_a_ready_package_downloads_as_its_checked_zip(client, archivist, ready):
    client.force_login(archivist)
    page = client.get(ready.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh"' not in page
    assert ready.sha256 in page
    response = client.get(reverse("archive:package_download", args=[ready.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == ready.sha256 == response["X-Checksum-SHA256"]
    assert AuditEvent.objects.filter(
        action="archive.package_downloaded", actor=archivist, target_id=ready.pk
    ).exists()


def test_a_changed_package_file_is_refused(client, archivist, ready):
    Path(archive_storage().path(ready.file_name)).write_bytes(b"PK inte paketet")
    client.force_login(archivist)
    response = client.get(reverse("archive:package_download", args=[ready.pk]))
    assert response.status_code == 409
    assert "stämmer inte med sin registrerade kontrollsumma" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="archive.package_download_refused", target_id=ready.pk
    ).exists()


def test_a_package_not_ready_has_nothing_to_download(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist
    )
    client.force_login(archivist)
    assert client.get(reverse("archive:package_download", args=[package.pk])).status_code == 404


def test_retry_from_the_page(client, archivist, ready):
    DeliveryPackage.objects.filter(pk=ready.pk).update(
        status=DeliveryPackage.Status.FAILED, file_name="", sha256="", last_error="Avbrutet"
    )
    client.force_login(archivist)
    response = client.post(reverse("archive:package_retry", args=[ready.pk]))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == DeliveryPackage.Status.QUEUED
    assert AuditEvent.objects.filter(action="archive.package_retried", actor=archivist).exists()


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"office": "x", "period": "2026-H1"},
        {"office": str(2**70), "period": "2026-H1"},
        {"office": "-1", "period": "2026-H1"},
        {"period": "2026-H3"},
        {"period": "0000-H1"},
        {"period": "0001-H1"},
        {"period": "9999-H2"},
        {"period": "2026-H1\x00"},
        {"period": "2026-h1" * 100},
        {"account": str(2**64)},
        {"account": "1", "period": "2026-H1"},
    ],
)
def test_bad_input_is_a_form_error_not_a_500(client, archivist, account_a, data):
    if "office" not in data and "period" in data and "account" not in data:
        data = {**data, "office": account_a.department.office.pk}
    client.force_login(archivist)
    response = _ask(client, **data)
    assert response.status_code == 400
    assert not DeliveryPackage.objects.exists()


@pytest.mark.parametrize("pk", ["0", "99999999999999999999999"])
def test_unknown_package_ids_are_404(client, archivist, pk):
    client.force_login(archivist)
    assert client.get(f"/arkiv/paket/{pk}/").status_code == 404
    assert client.get(f"/arkiv/paket/{pk}/ladda-ner/").status_code == 404


# --- the command ----------------------------------------------------------------------------


def test_command_builds_the_same_package_and_prints_its_path(account_a, tmp_path, capsys):
    snapshot = stored_snapshot(account_a)
    office = account_a.department.office
    call_command("package", "--office", office.name, "--period", snapshot.period)
    path = Path(capsys.readouterr().out.strip())
    package = DeliveryPackage.objects.get()
    assert package.status == DeliveryPackage.Status.READY
    assert package.requested_via == "kommandot package"
    assert path == Path(archive_storage().path(package.file_name))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == package.sha256

    call_command(
        "package", "--office", str(office.pk), "--period", snapshot.period, "--output", tmp_path
    )
    copied = Path(capsys.readouterr().out.strip())
    assert copied.parent == tmp_path
    second = DeliveryPackage.objects.order_by("-pk").first()
    assert hashlib.sha256(copied.read_bytes()).hexdigest() == second.sha256


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--office", "Finns inte", "--period", "2026-H1"], "Inget kontor 'Finns inte'"),
        (["--office", "99999999999999999999", "--period", "2026-H1"], "Inget kontor"),
        (["--office", "{office}", "--period", "2026-H3"], "Ogiltig period"),
        (["--office", "{office}", "--period", "1"], "Ogiltig period"),
        (["--office", "{office}", "--period", "2026-H1", "--output", "/nonexistent"], "finns inte"),
    ],
)
def test_command_errors_are_clear(account_a, args, message):
    office = account_a.department.office.name
    with pytest.raises(CommandError) as raised:
        call_command("package", *[a.replace("{office}", office) for a in args])
    assert message in str(raised.value)
    assert not DeliveryPackage.objects.exists()


def test_command_names_the_gaps_and_builds_with_confirm(account_a, capsys):
    period = period_for(timezone.localdate())
    office = account_a.department.office.name
    with pytest.raises(CommandError) as raised:
        call_command("package", "--office", office, "--period", period)
    assert "inget periodiskt uttag finns" in str(raised.value)
    assert "--confirm-gaps" in str(raised.value)
    call_command("package", "--office", office, "--period", period, "--confirm-gaps")
    assert DeliveryPackage.objects.get().status == DeliveryPackage.Status.READY


def test_an_account_at_closing_is_packaged_from_the_form(client, archivist, account_a):
    from registry.models import SocialAccount

    stored_snapshot(account_a, context=Snapshot.Context.BEFORE_CLOSING)
    SocialAccount.objects.filter(pk=account_a.pk).update(state=SocialAccount.State.CLOSING)
    client.force_login(archivist)
    response = _ask(client, account=account_a.pk)
    assert response.status_code == 302
    package = DeliveryPackage.objects.get()
    assert package.scope == DeliveryPackage.Scope.CLOSING
    assert package.account == account_a
    assert package.office is None


def test_an_active_account_is_not_offered_for_closing(client, archivist, account_a):
    client.force_login(archivist)
    response = _ask(client, account=account_a.pk)
    assert response.status_code == 400
    assert not DeliveryPackage.objects.exists()

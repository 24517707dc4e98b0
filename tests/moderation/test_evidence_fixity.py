"""Evidence files are re-hashed like the archive's files (issue 9, "Every change is
detected"; MOD-1): the daily check and `verify_moderation_evidence` report a changed or
missing file, and a download never serves bytes that no longer match their SHA-256."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from moderation import services
from moderation.models import Evidence, LogCheck
from tests.moderation.conftest import make_removal

pytestmark = pytest.mark.django_db

DATA = b"\x89PNG\r\n\x1a\n the screenshot of the removed comment"


@pytest.fixture
def evidence(account_a, operator) -> Evidence:
    shot = SimpleUploadedFile("skarmdump.png", DATA, "image/png")
    record = make_removal(account_a, operator, evidence=[shot])
    return Evidence.objects.get(removed_post=record)


def _path(evidence: Evidence) -> Path:
    return Path(settings.MEDIA_ROOT) / evidence.file.name


def test_intact_evidence_passes_the_check_and_is_served(client, evidence, operator):
    report = services.verify_evidence()
    assert (report.checked, report.problems) == (1, ())
    out = StringIO()
    call_command("verify_moderation_evidence", stdout=out)
    assert "1 files verified" in out.getvalue()
    client.force_login(operator)
    response = client.get(evidence.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA
    assert response["X-Checksum-SHA256"] == hashlib.sha256(DATA).hexdigest()


def test_a_changed_evidence_file_is_reported(evidence):
    _path(evidence).write_bytes(DATA.replace(b"removed", b"harmless"))
    report = services.verify_evidence()
    assert report.problems == (
        f"Bevis {evidence.pk} (skarmdump.png) till post {evidence.removed_post_id}: "
        "filen har ändrats.",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 evidence files missing or changed"):
        call_command("verify_moderation_evidence", stdout=StringIO(), stderr=err)
    assert "filen har ändrats" in err.getvalue()


def test_a_missing_evidence_file_is_reported(evidence):
    _path(evidence).unlink()
    assert services.verify_evidence().problems == (
        f"Bevis {evidence.pk} (skarmdump.png) till post {evidence.removed_post_id}: filen saknas.",
    )


def test_the_daily_check_reports_changed_evidence(
    evidence, communications_officer, archivist, django_capture_on_commit_callbacks
):
    _path(evidence).write_bytes(b"something else")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        check = services.daily_chain_check()
    assert check is not None and not check.ok
    assert check.evidence_checked == 1 and "filen har ändrats" in check.message
    assert LogCheck.objects.get().ok is False
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [communications_officer.email, archivist.email]
    )
    assert "filen har ändrats" in mail.outbox[0].body


@pytest.mark.parametrize("fault", ["changed", "missing"])
def test_a_damaged_evidence_file_is_never_served(client, evidence, operator, fault):
    if fault == "changed":
        _path(evidence).write_bytes(b"<html>not the screenshot</html>")
    else:
        _path(evidence).unlink()
    client.force_login(operator)
    response = client.get(evidence.get_absolute_url())
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Beviset kan inte visas" in body
    assert "not the screenshot" not in body
    event = AuditEvent.objects.get(action="moderation.evidence_damaged")
    assert event.actor == operator
    assert event.details["problem"] == (
        "filen har ändrats" if fault == "changed" else "filen saknas"
    )


def test_a_damaged_file_is_not_revealed_to_someone_outside_the_scope(client, evidence, operator_b):
    _path(evidence).write_bytes(b"changed")
    client.force_login(operator_b)
    assert client.get(evidence.get_absolute_url()).status_code == 404
    assert not AuditEvent.objects.filter(action="moderation.evidence_damaged").exists()

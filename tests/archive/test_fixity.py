"""Fixity: verify_archive recomputes every checksum and reports missing or changed files."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from archive.models import FixityCheck
from archive.tasks import verify_archive as verify_task
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db


def test_all_good(account_a, capsys):
    snapshot = stored_snapshot(account_a)
    call_command("verify_archive")
    assert "1 filer kontrollerade; alla stämmer." in capsys.readouterr().out
    snapshot.refresh_from_db()
    assert snapshot.fixity_ok is True and snapshot.verified_at


def test_changed_and_missing_files_fail_the_command_and_alert(
    account_a,
    account_b,
    archivist,
    communications_officer,
    capsys,
    django_capture_on_commit_callbacks,
):
    changed = stored_snapshot(account_a)
    missing = stored_snapshot(account_b)
    path = storages["archive"].path(changed.file_name)
    with open(path, "ab") as handle:
        handle.write(b"\n% tampered")
    storages["archive"].delete(missing.file_name)

    with pytest.raises(CommandError, match="2 av 2"):
        call_command("verify_archive")
    out = capsys.readouterr().out
    assert f"ÄNDRAD: {changed.file_name}" in out and f"SAKNAS: {missing.file_name}" in out

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert verify_task() == 2
    check = FixityCheck.objects.first()
    assert check.files_checked == 2 and len(check.problems) == 2
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {archivist.email, communications_officer.email}
    changed.refresh_from_db()
    assert changed.fixity_ok is False

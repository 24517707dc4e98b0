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


def test_monthly_task_run_twice_checks_once(
    account_a, archivist, django_capture_on_commit_callbacks, settings
):
    """A message the broker delivers again while the check runs does nothing: the run is
    claimed by its month."""
    from django.utils import timezone

    changed = stored_snapshot(account_a)
    with open(storages["archive"].path(changed.file_name), "ab") as handle:
        handle.write(b"\n% tampered")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert verify_task() == 1
        assert verify_task() == -1
    assert FixityCheck.objects.count() == 1
    assert len(mail.outbox) == 1

    # A run whose worker died (unfinished, older than the limit) is taken again.
    FixityCheck.objects.update(
        finished_at=None,
        started_at=timezone.now()
        - timezone.timedelta(seconds=settings.ARCHIVE_VERIFY_TIME_LIMIT + 60),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert verify_task() == 1
    assert FixityCheck.objects.count() == 1
    assert FixityCheck.objects.get().finished_at is not None


def test_visibility_timeout_is_minutes_and_a_redelivered_check_does_nothing(settings):
    """Issue 9: the Redis visibility timeout is how a killed worker's message comes back, so
    it is minutes, not the fixity check's hours; a check still running when its message is
    delivered again is refused by its claim (claim_fixity_run)."""
    from archive.tasks import verify_archive as task

    assert task.time_limit == settings.ARCHIVE_VERIFY_TIME_LIMIT
    import importlib
    import os

    before = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
    try:
        import nykvarn_sm.settings as module

        reloaded = importlib.reload(module)
        timeout = reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        assert reloaded.CELERY_TASK_HARD_TIME_LIMIT < timeout <= 30 * 60
    finally:
        if before is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = before
        importlib.reload(module)
    from archive.services import claim_fixity_run

    assert claim_fixity_run("2026-11", triggered_by="test") is not None
    assert claim_fixity_run("2026-11", triggered_by="test") is None  # the redelivery


# --- files without a record, files replaced with their checksum, batched bookkeeping ---------


def _age(path, seconds: int) -> None:
    """Make a file look `seconds` old (a worker still writing it is younger)."""
    import os
    import time

    then = time.time() - seconds
    os.utime(path, (then, then))


def test_files_without_a_record_are_reported(account_a, capsys, settings):
    """Stray files (put there by hand, or a duplicate) and leftover temporary files."""
    from pathlib import Path

    snapshot = stored_snapshot(account_a)
    root = Path(storages["archive"].location)
    office = root / snapshot.file_name.split("/")[0]
    stray = office / "Facebook Fritidsfabriken 2019-01-01 periodiskt uttag.pdf"
    stray.write_bytes(b"%PDF-1.4 not ours")
    leftover = office / ".tmp-k1llt.pdf"
    leftover.write_bytes(b"%PDF-1.4 half")
    elsewhere = root / "Okänt kontor" / "lös fil.txt"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"x")
    for path in (stray, leftover, elsewhere):
        _age(path, settings.CELERY_TASK_HARD_TIME_LIMIT + 60)
    # A worker writing right now: its temporary file is young and not yet anyone's problem.
    (office / ".tmp-writing.pdf").write_bytes(b"%PDF-1.4 in progress")

    with pytest.raises(CommandError, match="3 avvikelser"):
        call_command("verify_archive")
    out = capsys.readouterr().out
    folder = snapshot.file_name.split("/")[0]
    assert f"UTAN POST: {folder}/{stray.name}" in out
    assert "UTAN POST: Okänt kontor/lös fil.txt" in out
    assert f"TILLFÄLLIG FIL: {folder}/.tmp-k1llt.pdf" in out
    assert "tmp-writing" not in out
    check = FixityCheck.objects.first()
    assert {(p["file"], p["problem"]) for p in check.problems} == {
        (f"{folder}/{stray.name}", "utan post"),
        ("Okänt kontor/lös fil.txt", "utan post"),
        (f"{folder}/.tmp-k1llt.pdf", "tillfällig fil"),
    }
    snapshot.refresh_from_db()
    assert snapshot.fixity_ok is True  # the recorded file itself is fine


def _replace_with_checksum(snapshot) -> str:
    """Forge: put other bytes in the file and record their checksum, as someone with write
    access to the share and the database would."""
    import hashlib

    from archive.models import Snapshot

    forged = b"%PDF-1.4\n% forged page\n%%EOF\n"
    with open(storages["archive"].path(snapshot.file_name), "wb") as handle:
        handle.write(forged)
    digest = hashlib.sha256(forged).hexdigest()
    Snapshot.objects.filter(pk=snapshot.pk).update(sha256=digest, size=len(forged))
    return digest


def test_file_replaced_with_its_checksum_is_found_by_the_audit_trail(account_a, capsys):
    snapshot = stored_snapshot(account_a)
    original = snapshot.sha256
    forged = _replace_with_checksum(snapshot)

    with pytest.raises(CommandError):
        call_command("verify_archive")
    assert f"KONTROLLSUMMA ERSATT: {snapshot.file_name}" in capsys.readouterr().out
    (problem,) = FixityCheck.objects.first().problems
    assert problem["problem"] == "kontrollsumma ersatt"
    assert (problem["expected"], problem["found"]) == (original, forged)
    snapshot.refresh_from_db()
    assert snapshot.fixity_ok is False


def test_file_replaced_with_its_checksum_and_its_event_is_found_by_the_timestamp(
    tsa, account_a, capsys
):
    from accounts.models import AuditEvent
    from archive import services

    snapshot = stored_snapshot(account_a)
    original = snapshot.sha256
    services.timestamp_snapshot(snapshot.pk)
    forged = _replace_with_checksum(snapshot)
    # The forger rewrites the audit trail's record of the storing too.
    for event in AuditEvent.objects.filter(
        action="archive.snapshot_stored", target_id=str(snapshot.pk)
    ):
        event.details = {**event.details, "sha256": forged}
        event.save()

    with pytest.raises(CommandError):
        call_command("verify_archive")
    assert f"KONTROLLSUMMA ERSATT: {snapshot.file_name}" in capsys.readouterr().out
    (problem,) = FixityCheck.objects.first().problems
    assert problem["problem"] == "kontrollsumma ersatt"
    assert (problem["expected"], problem["found"]) == (original, forged)


def test_a_token_that_does_not_verify_is_reported(tsa, account_a, account_b, capsys):
    from archive import services
    from archive.models import Snapshot

    first = stored_snapshot(account_a)
    second = stored_snapshot(account_b)
    services.timestamp_snapshot(first.pk)
    services.timestamp_snapshot(second.pk)
    call_command("verify_archive")  # both verify
    first.refresh_from_db()
    second.refresh_from_db()

    # Forge: the TSA's signature altered (the last byte of the token is the signature's).
    token = bytearray(second.timestamp_token)
    token[-1] ^= 0xFF
    Snapshot.objects.filter(pk=second.pk).update(timestamp_token=bytes(token))
    with pytest.raises(CommandError):
        call_command("verify_archive")
    assert f"TIDSSTÄMPEL OGILTIG: {second.file_name}" in capsys.readouterr().out
    second.refresh_from_db()
    assert second.fixity_ok is False

    # A token removed from a stamped file.
    Snapshot.objects.filter(pk=second.pk).update(timestamp_token=None)
    with pytest.raises(CommandError):
        call_command("verify_archive")
    assert f"TIDSSTÄMPEL OGILTIG: {second.file_name}" in capsys.readouterr().out

    # Another file's genuine token: it vouches for another checksum than the recorded one.
    Snapshot.objects.filter(pk=second.pk).update(timestamp_token=first.timestamp_token)
    with pytest.raises(CommandError):
        call_command("verify_archive")
    assert f"KONTROLLSUMMA ERSATT: {second.file_name}" in capsys.readouterr().out
    (problem,) = FixityCheck.objects.first().problems
    assert (problem["expected"], problem["found"]) == (first.sha256, second.sha256)


def test_missing_stored_event_is_reported(account_a, capsys):
    from accounts.models import AuditEvent

    snapshot = stored_snapshot(account_a)
    AuditEvent.objects.filter(action="archive.snapshot_stored").delete()
    with pytest.raises(CommandError):
        call_command("verify_archive")
    assert f"HÄNDELSE SAKNAS: {snapshot.file_name}" in capsys.readouterr().out


def test_bookkeeping_is_one_update_per_batch(account_a, settings):
    """verify_archive stays fast: the queries grow with the batches, not with the files."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from archive.models import Snapshot
    from archive.services import verify_archive

    settings.ARCHIVE_VERIFY_BATCH_SIZE = 4
    first = stored_snapshot(account_a)
    for n in range(9):
        stored_snapshot(account_a, context=Snapshot.Context.MANUAL, html=f"<p>{n}</p>")
    # One tampered file in the middle: its flag is set in the same UPDATE as the others'.
    with open(storages["archive"].path(first.file_name), "ab") as handle:
        handle.write(b"\n% tampered")

    with CaptureQueriesContext(connection) as queries:
        check = verify_archive(triggered_by="test")
    assert check.files_checked == 10 and len(check.problems) == 1
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "archive_snapshot"')]
    assert len(updates) == 3  # 10 files in batches of 4
    selects = [q["sql"] for q in queries if 'FROM "archive_snapshot"' in q["sql"]]
    assert len(selects) <= 3 + 1 + 1  # the batches, the known names, one empty page
    assert list(Snapshot.objects.filter(fixity_ok=False).values_list("pk", flat=True)) == [first.pk]
    assert Snapshot.objects.filter(fixity_ok=True, verified_at__isnull=False).count() == 9

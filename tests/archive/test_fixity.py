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


def test_visibility_timeout_is_above_the_longest_task_limit(settings):
    from archive.tasks import verify_archive as task

    assert task.time_limit == settings.ARCHIVE_VERIFY_TIME_LIMIT
    # settings.py computes it for Redis; the rule it follows, for the settings module's value.
    import importlib
    import os

    before = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
    try:
        import nykvarn_sm.settings as module

        reloaded = importlib.reload(module)
        assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > (
            reloaded.ARCHIVE_VERIFY_TIME_LIMIT
        )
    finally:
        if before is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = before
        importlib.reload(module)

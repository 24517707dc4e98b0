"""The planner: one periodic snapshot per active account and period, healing, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from archive import services
from archive.models import Snapshot, period_for
from registry.models import SocialAccount

pytestmark = pytest.mark.django_db
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def test_periods_follow_configured_months(settings):
    settings.ARCHIVE_SNAPSHOT_MONTHS = [1, 7]
    assert period_for(dt.date(2026, 1, 1)) == "2026-H1"
    assert period_for(dt.date(2026, 12, 31)) == "2026-H2"
    assert period_for(dt.date(2026, 2, 1), [3, 9]) == "2025-H2"


def test_planner_is_idempotent_and_skips_inactive(account_a, account_b, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    closed = SocialAccount.objects.filter(pk=account_b.pk)
    closed.update(state=SocialAccount.State.CLOSED)
    day = dt.date(2026, 3, 2)
    first = services.plan_periodic_snapshots(today=day)
    second = services.plan_periodic_snapshots(today=day)
    assert [s.account for s in first] == [account_a] and second == []
    snapshot = Snapshot.objects.get()
    assert (snapshot.period, snapshot.context, snapshot.requested_via) == (
        "2026-H1",
        "periodic",
        "planeraren",
    )
    # The next half-year gets its own.
    assert len(services.plan_periodic_snapshots(today=dt.date(2026, 7, 1))) == 1


def test_database_forbids_a_second_periodic_snapshot(account_a):
    Snapshot.objects.create(
        account=account_a, period="2026-H1", context="periodic", source_url=account_a.url
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Snapshot.objects.create(
            account=account_a, period="2026-H1", context="periodic", source_url=account_a.url
        )
    # Other contexts may be taken as often as needed.
    Snapshot.objects.create(
        account=account_a, period="2026-H1", context="change", source_url=account_a.url
    )


def test_claim_is_once_and_attempts_are_capped(account_a, settings):
    settings.ARCHIVE_MAX_ATTEMPTS = 2
    snapshot = Snapshot.objects.create(
        account=account_a, period="2026-H1", context="manual", source_url=account_a.url
    )
    assert services.claim(snapshot.pk) is True
    assert services.claim(snapshot.pk) is False  # a second delivery does nothing
    # The worker died: once its heartbeat is stale, the row may be taken again.
    Snapshot.objects.filter(pk=snapshot.pk).update(heartbeat_at=LONG_AGO)
    assert services.claim(snapshot.pk) is True
    Snapshot.objects.filter(pk=snapshot.pk).update(heartbeat_at=LONG_AGO)
    assert services.claim(snapshot.pk) is False
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.FAILED and snapshot.attempts == 2


def test_network_failure_retries_with_backoff_then_fails(account_a, settings):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent"
    settings.ARCHIVE_MAX_ATTEMPTS = 3
    settings.ARCHIVE_RETRY_BACKOFF = 10
    SocialAccount.objects.filter(pk=account_a.pk).update(url="http://127.0.0.1:9/")
    account_a.platform.login_wall = False
    account_a.platform.save()
    snapshot = Snapshot.objects.create(
        account=account_a, period="2026-H1", context="manual", source_url="http://127.0.0.1:9/"
    )
    delays = [services.process_snapshot(snapshot.pk).retry_in for _ in range(3)]
    snapshot.refresh_from_db()
    assert delays == [10, 20, None]
    assert snapshot.status == Snapshot.Status.FAILED and snapshot.attempts == 3
    assert "misslyckades" in snapshot.last_error


def test_snapshot_command_due_and_account(site_account, settings, capsys):
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    call_command("snapshot", "--due")
    assert "1 periodiska uttag köade" in capsys.readouterr().out
    call_command("snapshot", "--account", str(site_account.pk), "--context", "inför förändring")
    path = capsys.readouterr().out.strip()
    assert path.endswith("inför förändring.pdf") and "/Kultur och fritid/" in path


def test_beat_schedule_created_by_migration():
    from django_celery_beat.models import PeriodicTask

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"archive.tasks.plan_snapshots", "archive.tasks.verify_archive"} <= tasks

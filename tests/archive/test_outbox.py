"""The snapshot outbox and its sweep, the heartbeat claim, a stored file adopted instead of
written twice, the archive share refused when absent, and the planner after beat was down
(issue 9, "Nothing submitted is lost"). The faults themselves, injected for real, are in
test_faults.py."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from archive import services
from archive.models import Snapshot, missing_periodic_extracts
from archive.storage import archive_storage_problem, temp_prefix
from nykvarn_sm.lib import pdfa
from registry.models import SocialAccount
from tests.archive.faults import archive_files, broker, drain, png_upload

pytestmark = pytest.mark.django_db
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def memory_broker():
    """A broker in this process (kombu's memory transport), read back with `drain`."""
    with broker("memory://"):
        drain()
        yield


def _queued(account, **fields):
    return Snapshot.objects.create(
        account=account,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=account.url,
        **fields,
    )


def _sent() -> list[object]:
    return sorted(args[0] for task, args in drain() if task == "archive.tasks.capture_snapshot")


def test_sweep_sends_what_waits_and_was_not_sent_recently(memory_broker, account_a, settings):
    settings.ARCHIVE_REPUBLISH_AFTER = 600
    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 120
    now = timezone.now()
    account_a.platform.login_wall = False
    account_a.platform.save()
    unsent = _queued(account_a)
    sent_long_ago = _queued(account_a, published_at=now - dt.timedelta(minutes=11))
    sent_just_now = _queued(account_a, published_at=now - dt.timedelta(minutes=1))
    retry_later = _queued(account_a, not_before=now + dt.timedelta(minutes=5))
    retry_due = _queued(account_a, not_before=now - dt.timedelta(seconds=1))
    working = _queued(account_a, status=Snapshot.Status.RENDERING, heartbeat_at=now)
    dead = _queued(
        account_a, status=Snapshot.Status.CAPTURING, heartbeat_at=now - dt.timedelta(minutes=3)
    )
    _queued(account_a, status=Snapshot.Status.STORED, sha256="a" * 64, file_name="x/y.pdf")

    assert services.publish_waiting_snapshots() == 4
    assert _sent() == sorted([unsent.pk, sent_long_ago.pk, retry_due.pk, dead.pk])
    assert Snapshot.objects.get(pk=unsent.pk).published_at is not None
    # The next minute's sweep sends nothing again; the others are left as they were.
    assert services.publish_waiting_snapshots() == 0 and _sent() == []
    assert {s.pk for s in Snapshot.objects.filter(published_at__isnull=True)} >= {
        retry_later.pk,
        working.pk,
    }
    assert Snapshot.objects.get(pk=sent_just_now.pk).status == Snapshot.Status.QUEUED


def test_sweep_leaves_snapshots_waiting_for_an_upload(memory_broker, account_a):
    _queued(account_a, method=Snapshot.Method.UPLOAD)  # Facebook: login wall, nothing uploaded
    assert services.publish_waiting_snapshots() == 0 and _sent() == []


def test_planner_queues_new_extracts_once_and_no_longer_resends_waiting_ones(
    memory_broker, account_a, account_b, django_capture_on_commit_callbacks
):
    SocialAccount.objects.filter(pk=account_b.pk).update(state=SocialAccount.State.CLOSED)
    account_a.platform.login_wall = False
    account_a.platform.save()
    old = _queued(account_b, published_at=LONG_AGO)
    Snapshot.objects.filter(pk=old.pk).update(updated_at=LONG_AGO)
    day = dt.date(2026, 3, 2)
    with django_capture_on_commit_callbacks(execute=True):
        planned = services.plan_periodic_snapshots(today=day)
    assert _sent() == [planned[0].pk]
    assert Snapshot.objects.get(pk=planned[0].pk).published_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.plan_periodic_snapshots(today=day) == []
    assert _sent() == []  # the old waiting one is the sweep's, not the planner's


def test_claim_takes_over_only_a_worker_that_stopped_beating(account_a, settings):
    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 120
    snapshot = _queued(account_a, published_at=timezone.now())
    assert services.claim(snapshot.pk) is True
    snapshot.refresh_from_db()
    assert snapshot.heartbeat_at is not None and snapshot.published_at is None
    # The broker delivers the message again (a pool child was killed): the heartbeat is
    # fresh, so it is refused ...
    assert services.claim(snapshot.pk) is False
    # ... until the worker has been silent for ARCHIVE_HEARTBEAT_TIMEOUT.
    Snapshot.objects.filter(pk=snapshot.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=121)
    )
    assert services.claim(snapshot.pk) is True
    assert Snapshot.objects.get(pk=snapshot.pk).attempts == 2


@pytest.mark.django_db(transaction=True)
def test_heartbeat_is_beaten_while_the_worker_works(account_a, settings):
    settings.ARCHIVE_HEARTBEAT_INTERVAL = 0.05
    snapshot = _queued(account_a)
    assert services.claim(snapshot.pk)
    Snapshot.objects.filter(pk=snapshot.pk).update(heartbeat_at=LONG_AGO)
    import time

    with services._heartbeat(snapshot.pk):
        deadline = time.monotonic() + 5
        while Snapshot.objects.get(pk=snapshot.pk).heartbeat_at == LONG_AGO:
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.05)


def test_a_retry_waits_for_its_time_in_the_row_not_in_the_broker(account_a, settings):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent"
    settings.ARCHIVE_RETRY_BACKOFF = 60
    SocialAccount.objects.filter(pk=account_a.pk).update(url="http://127.0.0.1:9/")
    account_a.platform.login_wall = False
    account_a.platform.save()
    snapshot = _queued(account_a)
    snapshot.source_url = "http://127.0.0.1:9/"
    snapshot.save()
    before = timezone.now()
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.QUEUED and snapshot.published_at is None
    assert before + dt.timedelta(seconds=59) < snapshot.not_before
    assert snapshot.not_before < timezone.now() + dt.timedelta(seconds=61)


def _rendered(account) -> bytes:
    return pdfa.render_pdfa(f"<h1>{account.name}</h1>", title=account.name, author="Test")


def test_a_file_stored_before_the_worker_died_is_adopted_not_written_again(account_b, settings):
    """The worker linked the file under its reserved name and was killed before the row
    said STORED: the next attempt records that file; no second file, no leftover."""
    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 120
    data = _rendered(account_b)
    folder = settings.ARCHIVE_ROOT + "/Vård och omsorg"
    import os

    os.makedirs(folder)
    name = "Vård och omsorg/Instagram Hemtjänsten 2026-03-02 manuellt.pdf"
    with open(f"{settings.ARCHIVE_ROOT}/{name}", "wb") as handle:
        handle.write(data)
    snapshot = _queued(
        account_b,
        status=Snapshot.Status.VALIDATING,
        attempts=1,
        file_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        method=Snapshot.Method.UPLOAD,
        heartbeat_at=timezone.now() - dt.timedelta(minutes=5),
    )
    leftover = f"{folder}/{temp_prefix(f'snapshot-{snapshot.pk}')}abc123.pdf"
    with open(leftover, "wb") as handle:
        handle.write(data[:100])

    services.process_snapshot(snapshot.pk)

    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED and snapshot.file_name == name
    assert [p.name for p in archive_files()] == [name.rsplit("/", 1)[1]]
    assert AuditEvent.objects.filter(action="archive.snapshot_stored").count() == 1


def test_a_file_name_belongs_to_one_snapshot(account_b):
    from django.db import IntegrityError, transaction

    _queued(account_b, file_name="Vård och omsorg/a.pdf")
    with pytest.raises(IntegrityError), transaction.atomic():
        _queued(account_b, file_name="Vård och omsorg/a.pdf")
    _queued(account_b)  # unnamed ones are many


def test_the_name_another_snapshot_reserved_is_not_taken(account_b):
    """A name reserved by another snapshot (its worker between reserving and linking) is
    skipped even though no file has it yet."""
    today = timezone.localdate().isoformat()
    reserved = f"Vård och omsorg/Instagram Hemtjänsten {today} manuellt.pdf"
    _queued(account_b, file_name=reserved, status=Snapshot.Status.VALIDATING, attempts=1)
    snapshot = services.request_snapshot(
        account=account_b,
        context=Snapshot.Context.MANUAL,
        by=None,
        uploads=[png_upload()],
        queue=False,
    )
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    assert snapshot.file_name == reserved.replace(".pdf", " (2).pdf")


# --- beat down past a planned run -----------------------------------------------------------


def test_beat_makes_up_a_missed_planner_run_when_it_starts(settings):
    """django-celery-beat runs a crontab entry whose time passed while beat was down as soon
    as it starts (once): the planner's 02:30 run is not skipped until the next night."""
    import time_machine
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    from nykvarn_sm.celery import app

    task = PeriodicTask.objects.get(task="archive.tasks.plan_snapshots")
    stockholm = dt.timezone(dt.timedelta(hours=1))
    task.last_run_at = dt.datetime(2026, 3, 1, 2, 30, tzinfo=stockholm)
    task.save()
    # Beat was down at 02:30 on 2 March and starts again at 09:00.
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=stockholm), tick=False):
        entry = ModelEntry(PeriodicTask.objects.get(pk=task.pk), app=app)
        assert entry.is_due().is_due
        ran = next(entry)  # what beat records when it sends the task
        assert not ran.is_due().is_due  # once, then at the next 02:30


def test_a_half_year_beat_missed_is_planned_late_and_reported(account_a, settings):
    """Beat was down from before 1 January to 2 July: the planner's first run plans the
    current half-year, and the half-year that passed shows in the gap list (issue 8)."""
    SocialAccount.objects.filter(pk=account_a.pk).update(
        activated_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
    )
    planned = services.plan_periodic_snapshots(today=dt.date(2026, 7, 2))
    assert [s.period for s in planned] == ["2026-H2"]
    gaps = missing_periodic_extracts(SocialAccount.objects.all(), today=dt.date(2026, 7, 2))
    assert [(g["account_id"], g["period"]) for g in gaps] == [(account_a.pk, "2026-H1")]


# --- the archive share ----------------------------------------------------------------------


def test_archive_storage_problem_names_what_is_wrong(settings, tmp_path):
    root = tmp_path / "archive"
    assert archive_storage_problem() is None
    root.rmdir()
    assert "finns inte" in archive_storage_problem()
    root.write_text("not a folder")
    assert "ingen mapp" in archive_storage_problem()

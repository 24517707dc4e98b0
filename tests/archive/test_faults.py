"""Faults injected for real, and nothing submitted lost or duplicated (issue 9): a broker
that is not there, a worker killed with SIGKILL at chosen points of the store path, the
archive share removed. `make faults` runs these against PostgreSQL and Redis."""

from __future__ import annotations

import io
import os
import signal
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from archive import services
from archive.models import Snapshot, SnapshotSource
from tests.archive.faults import (
    RedisServer,
    archive_files,
    broker,
    drain,
    free_port,
    needs_postgres_and_redis,
    needs_redis_server,
    png_upload,
    start_worker,
    stop_worker,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.faults
QUEUE = "archive_fault_test"
WAITING = (
    "Beställningen är sparad, men arbetskön svarar inte just nu. Uttaget startar av sig självt "
    "inom några minuter när kön är tillbaka; du behöver inte göra om det."
)


def _png_file(name: str = "sida.png") -> io.BytesIO:
    upload = png_upload(name)
    buffer = io.BytesIO(upload.read())
    buffer.name = name
    return buffer


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def _stored_once(snapshot: Snapshot) -> None:
    """Exactly one archive file, the snapshot's, no temporary file, one "stored" event."""
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    assert [p.name for p in archive_files()] == [snapshot.download_name]
    assert not archive_files(".tmp-*")
    assert (
        AuditEvent.objects.filter(
            action="archive.snapshot_stored", target_id=str(snapshot.pk)
        ).count()
        == 1
    )


# --- broker down ----------------------------------------------------------------------------


# Transactional: what the request answers depends on what happens when it commits.
@pytest.mark.django_db(transaction=True)
def test_broker_down_request_with_upload_keeps_everything_and_is_sent_when_back(
    client, operator, account_a
):
    """Nothing listens where the broker should be: the request answers with a clear message,
    the row and the uploaded screenshot stay, and the sweep sends it once a broker is back."""
    client.force_login(operator)
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        response = client.post(
            reverse("archive:request", args=[account_a.pk]),
            {"context": "change", "note": "Ny profilbild", "files": [_png_file()]},
        )
        assert response.status_code == 302 and _messages(response) == [WAITING]
        snapshot = Snapshot.objects.get(account=account_a)
        assert snapshot.status == Snapshot.Status.QUEUED and snapshot.published_at is None
        source = SnapshotSource.objects.get(snapshot=snapshot)
        assert Path(source.file.path).is_file()
        # The sweep while the broker is still down sends nothing and loses nothing.
        assert services.publish_waiting_snapshots() == 0
        assert Snapshot.objects.get(pk=snapshot.pk).published_at is None
    with broker("memory://"):
        drain()
        assert services.publish_waiting_snapshots() == 1
        assert drain() == [("archive.tasks.capture_snapshot", [snapshot.pk])]
    snapshot.refresh_from_db()
    assert snapshot.published_at is not None and Path(source.file.path).is_file()


@pytest.mark.django_db(transaction=True)
def test_broker_down_retry_and_upload_keep_their_work(client, archivist, operator, account_a):
    failed = Snapshot.objects.create(
        account=account_a,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=account_a.url,
        status=Snapshot.Status.FAILED,
        attempts=4,
    )
    waiting = Snapshot.objects.create(
        account=account_a,
        period="2026-H1",
        context=Snapshot.Context.PERIODIC,
        source_url=account_a.url,
        method=Snapshot.Method.UPLOAD,
    )
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        client.force_login(archivist)
        retried = client.post(reverse("archive:retry", args=[failed.pk]))
        client.force_login(operator)
        uploaded = client.post(
            reverse("archive:upload", args=[waiting.pk]), {"files": [_png_file()]}
        )
    assert retried.status_code == 302 and _messages(retried) == [WAITING]
    assert uploaded.status_code == 302 and _messages(uploaded)[-1] == WAITING
    failed.refresh_from_db()
    assert failed.status == Snapshot.Status.QUEUED and failed.published_at is None
    source = SnapshotSource.objects.get(snapshot=waiting)
    assert Path(source.file.path).is_file()
    with broker("memory://"):
        drain()
        assert services.publish_waiting_snapshots() == 2
        assert sorted(args[0] for _task, args in drain()) == sorted([failed.pk, waiting.pk])


@needs_postgres_and_redis
@needs_redis_server
@pytest.mark.django_db(transaction=True)
def test_broker_stopped_then_back_a_real_worker_stores_the_request(
    client, operator, account_a, settings, tmp_path
):
    """A Redis broker that is not running when the request comes: once it is started, the
    sweep sends the snapshot and a real worker stores it, with the uploaded screenshot."""
    server = RedisServer()
    client.force_login(operator)
    with broker(server.url):
        response = client.post(
            reverse("archive:request", args=[account_a.pk]),
            {"context": "change", "files": [_png_file()]},
        )
        assert response.status_code == 302 and _messages(response) == [WAITING]
        snapshot = Snapshot.objects.get(account=account_a)
        assert snapshot.status == Snapshot.Status.QUEUED and snapshot.sources.count() == 1
        server.start()
        worker = start_worker(
            worker_env(CELERY_BROKER_URL=server.url), tmp_path / "worker.log", "celery"
        )
        try:
            assert services.publish_waiting_snapshots() == 1
            wait_for(
                lambda: Snapshot.objects.get(pk=snapshot.pk).status == Snapshot.Status.STORED,
                90,
                "the worker to store the snapshot",
                log=tmp_path / "worker.log",
            )
        finally:
            stop_worker(worker)
            server.stop()
    _stored_once(snapshot)
    assert Path(snapshot.sources.get().file.path).is_file()


# --- a worker killed ------------------------------------------------------------------------


def _upload_snapshot(account) -> Snapshot:
    return services.request_snapshot(
        account=account,
        context=Snapshot.Context.MANUAL,
        by=None,
        uploads=[png_upload()],
        queue=False,
    )


@needs_postgres_and_redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("point", ["written", "linked", "bookkeeping"])
def test_worker_killed_while_storing_stores_exactly_once(account_a, settings, tmp_path, point):
    """The worker kills itself (SIGKILL) at `point` of the store path: after the temporary
    file is written, after the final name is linked, before the row says STORED. A new
    worker stores the snapshot once: one file, no temporary file, nothing in progress."""
    from archive.tasks import capture_snapshot

    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 6
    snapshot = _upload_snapshot(account_a)
    log = tmp_path / "worker.log"
    first = start_worker(worker_env(ARCHIVE_FAULT_KILL_AT=point), log, QUEUE)
    try:
        capture_snapshot.apply_async((snapshot.pk,), queue=QUEUE)
        wait_for(lambda: "exited with 'signal 9" in log.read_text(), 90, f"the kill at {point}")
    finally:
        stop_worker(first, signal.SIGKILL)
    snapshot.refresh_from_db()
    assert snapshot.status in services.IN_PROGRESS and snapshot.attempts == 1
    if point == "written":
        assert archive_files(".tmp-*") and not archive_files("[!.]*.pdf")
    else:
        assert [p.name for p in archive_files("[!.]*.pdf")] == [snapshot.download_name]

    second = start_worker(worker_env(), log, QUEUE)
    try:
        # The sweep, as beat runs it every minute; here every half second.
        took = wait_for(
            lambda: Snapshot.objects.get(pk=snapshot.pk).status == Snapshot.Status.STORED,
            180,
            "the new worker to store the snapshot",
            every=lambda: _sweep_to(QUEUE),
            log=log,
        )
    finally:
        stop_worker(second)
    _stored_once(snapshot)
    assert snapshot.attempts == 2
    assert took < 120  # worker start, the heartbeat timeout, one capture: well under that


def _sweep_to(queue: str) -> None:
    """publish_waiting_snapshots, sending to the test's queue."""
    from archive.tasks import capture_snapshot

    real = capture_snapshot.apply_async

    def to_queue(*args, **kwargs):
        return real(*args, **{**kwargs, "queue": queue})

    capture_snapshot.apply_async = to_queue
    try:
        services.publish_waiting_snapshots()
    finally:
        capture_snapshot.apply_async = real


@needs_postgres_and_redis
@pytest.mark.django_db(transaction=True)
def test_pool_child_killed_with_an_empty_queue_is_taken_over_soon(site_account, settings, tmp_path):
    """Only the pool child is killed mid-capture; the worker lives on with an empty queue.
    The redelivered message is refused while the dead child's heartbeat is fresh; once it
    is stale the sweep sends the snapshot again and the same worker stores it, in well under
    the task's time limit, not at the next night's planner."""
    from archive.tasks import capture_snapshot

    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 6
    snapshot = Snapshot.objects.create(
        account=site_account,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=site_account.url,
        requested_via="kill test",
    )
    log = tmp_path / "worker.log"
    worker = start_worker(worker_env(ARCHIVE_SETTLE_SECONDS="4"), log, QUEUE)
    try:
        capture_snapshot.apply_async((snapshot.pk,), queue=QUEUE)
        wait_for(
            lambda: Snapshot.objects.get(pk=snapshot.pk).status == Snapshot.Status.CAPTURING,
            60,
            "the worker to start capturing",
        )
        child = int(subprocess.check_output(["pgrep", "-P", str(worker.pid)]).split()[0])
        os.kill(child, signal.SIGKILL)
        killed_at = timezone.now()
        took = wait_for(
            lambda: Snapshot.objects.get(pk=snapshot.pk).status == Snapshot.Status.STORED,
            180,
            "the snapshot to be stored",
            every=lambda: _sweep_to(QUEUE),
            log=log,
        )
    finally:
        stop_worker(worker)
    _stored_once(snapshot)
    assert snapshot.attempts == 2 and snapshot.stored_at > killed_at
    assert took < django_settings.CELERY_TASK_HARD_TIME_LIMIT / 4


# --- the archive share ----------------------------------------------------------------------


@pytest.mark.django_db
def test_missing_share_is_not_recreated_and_the_snapshot_waits_for_it(account_b, settings):
    """ARCHIVE_ROOT removed (the share not mounted): storing refuses with the reason, the
    folder is not made on the local disk, the attempt is not spent; once the share is back
    the snapshot is stored there."""
    from archive.storage import archive_storage_problem

    root = Path(settings.ARCHIVE_ROOT)
    root.rmdir()
    snapshot = _upload_snapshot(account_b)
    for _ in range(settings.ARCHIVE_MAX_ATTEMPTS + 1):
        outcome = services.process_snapshot(snapshot.pk)
        Snapshot.objects.filter(pk=snapshot.pk).update(not_before=None)
    snapshot.refresh_from_db()
    assert not root.exists()
    assert snapshot.status == Snapshot.Status.QUEUED and snapshot.attempts == 0
    assert outcome.retry_in is not None
    assert str(root) in snapshot.last_error and "finns inte" in snapshot.last_error
    assert "finns inte" in archive_storage_problem()

    root.mkdir()  # the share is mounted again
    services.process_snapshot(snapshot.pk)
    _stored_once(snapshot)
    assert snapshot.attempts == 1 and archive_storage_problem() is None


@pytest.mark.django_db
def test_share_gone_between_render_and_store_is_waited_for(account_b, settings, monkeypatch):
    """The share disappears after the capture, just before the file is written."""
    from archive import storage

    root = Path(settings.ARCHIVE_ROOT)
    snapshot = _upload_snapshot(account_b)
    real = storage.write_temp

    def unmount_then_write(*args, **kwargs):
        root.rmdir()
        return real(*args, **kwargs)

    monkeypatch.setattr(storage, "write_temp", unmount_then_write)
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.QUEUED and snapshot.attempts == 0
    assert not root.exists() and "finns inte" in snapshot.last_error


@pytest.mark.django_db
def test_snapshot_command_refuses_while_the_share_is_missing(account_b, settings):
    """The command takes a snapshot synchronously: with the share away it says so and leaves
    the snapshot queued for the workers, instead of trying again for ever."""
    from django.core.management import CommandError, call_command

    from tests.archive.faults import png_file_on_disk

    root = Path(settings.ARCHIVE_ROOT)
    root.rmdir()
    with pytest.raises(CommandError) as refused:
        call_command(
            "snapshot",
            "--account",
            str(account_b.pk),
            "--from-file",
            str(png_file_on_disk(Path(settings.MEDIA_ROOT).parent)),
        )
    assert "finns inte" in str(refused.value) and "väntar i kön" in str(refused.value)
    snapshot = Snapshot.objects.get()
    assert snapshot.status == Snapshot.Status.QUEUED and snapshot.attempts == 0
    assert not root.exists()

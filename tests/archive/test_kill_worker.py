"""A real Celery worker on Redis is killed (SIGKILL, the worker and its pool child) in the
middle of a capture; a new worker finishes the snapshot soon after it starts and it is
stored exactly once (issue 5, "Celery, done properly"; issue 9).

Needs Redis as broker and PostgreSQL (make faults): a separate worker process cannot share
SQLite's in-memory test database.
"""

from __future__ import annotations

import os
import signal

import pytest

from archive.models import Snapshot
from tests.archive.faults import (
    needs_postgres_and_redis,
    start_worker,
    stop_worker,
    wait_for,
    worker_env,
)
from tests.archive.test_faults import QUEUE, _stored_once, _sweep_to

pytestmark = [pytest.mark.broker, pytest.mark.faults, needs_postgres_and_redis]


@pytest.mark.django_db(transaction=True)
def test_killed_worker_snapshot_stored_exactly_once(site_account, settings, tmp_path):
    from archive.tasks import capture_snapshot

    settings.ARCHIVE_HEARTBEAT_TIMEOUT = 5
    snapshot = Snapshot.objects.create(
        account=site_account,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=site_account.url,
        requested_via="kill test",
    )
    log = tmp_path / "worker.log"
    # Long enough a capture to kill it in the middle.
    first = start_worker(worker_env(ARCHIVE_SETTLE_SECONDS="6"), log, QUEUE)
    try:
        capture_snapshot.apply_async((snapshot.pk,), queue=QUEUE)
        wait_for(
            lambda: Snapshot.objects.get(pk=snapshot.pk).status == Snapshot.Status.CAPTURING,
            60,
            "the first worker to start capturing",
        )
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child, mid-capture
        first.wait(10)
    finally:
        stop_worker(first, signal.SIGKILL)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.CAPTURING and snapshot.attempts == 1

    second = start_worker(worker_env(), log, QUEUE)
    try:
        # Its message is held by Redis until the visibility timeout; the sweep (every
        # minute under beat, here every half second) sends it again once the dead
        # worker's heartbeat is stale.
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

"""A real Celery worker on Redis is killed (SIGKILL) mid-capture; a new worker finishes the
snapshot and it is stored exactly once (issue 5, "Celery, done properly").

Needs Redis as broker and PostgreSQL: a separate worker process cannot share SQLite's
in-memory test database. Run with e.g.
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/nsm_archive \
  CELERY_BROKER_URL=redis://127.0.0.1:6379/5 DEBUG=true pytest -m broker tests/archive
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts.models import AuditEvent
from archive.models import Snapshot

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "archive_kill_test"

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not django_settings.CELERY_BROKER_URL.startswith("redis://")
        or django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs CELERY_BROKER_URL=redis://… and a PostgreSQL DATABASE_URL: the worker "
        "is a separate process and cannot share SQLite's in-memory test database",
    ),
]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "nykvarn_sm",
            "worker",
            "-Q",
            QUEUE,
            "-c",
            "1",
            "-P",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_killed_worker_snapshot_stored_exactly_once(site_account, tmp_path):
    from archive.tasks import capture_snapshot

    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "ARCHIVE_ROOT": django_settings.ARCHIVE_ROOT,
        "MEDIA_ROOT": django_settings.MEDIA_ROOT,
        "CAPTURE_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        # Long enough a capture to kill it in the middle.
        "ARCHIVE_SETTLE_SECONDS": "6",
        "CELERY_TASK_HARD_TIME_LIMIT": "20",
        "CELERY_TASK_SOFT_TIME_LIMIT": "18",
        "CELERY_VISIBILITY_TIMEOUT": "22",
        # The visibility timeout stays above every task's limit, the fixity check's too.
        "ARCHIVE_VERIFY_TIME_LIMIT": "20",
    }
    snapshot = Snapshot.objects.create(
        account=site_account,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=site_account.url,
        requested_via="kill test",
    )
    log = tmp_path / "worker.log"
    first = _worker(env, log)
    try:
        capture_snapshot.apply_async((snapshot.pk,), queue=QUEUE)

        def capturing() -> bool:
            snapshot.refresh_from_db()
            return snapshot.status == Snapshot.Status.CAPTURING

        _wait(capturing, 60, "the first worker to start capturing")
        time.sleep(1.5)
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child, mid-capture
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.CAPTURING and snapshot.attempts == 1

    second = _worker(env, log)
    try:

        def stored() -> bool:
            snapshot.refresh_from_db()
            return snapshot.status in (Snapshot.Status.STORED, Snapshot.Status.FAILED)

        _wait(stored, 150, "the new worker to store the snapshot:\n" + log.read_text()[-3000:])
        time.sleep(3)  # a duplicate delivery, if any, would have run by now
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)

    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    assert snapshot.attempts == 2
    files = [p for p in Path(django_settings.ARCHIVE_ROOT).rglob("*.pdf")]
    assert [p.name for p in files] == [snapshot.download_name]
    assert (
        AuditEvent.objects.filter(
            action="archive.snapshot_stored", target_id=str(snapshot.pk)
        ).count()
        == 1
    )

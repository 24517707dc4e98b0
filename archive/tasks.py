"""The archive's Celery tasks: thin wrappers that take ids and call one service function.

Delivery is at-least-once (acks_late, reject on worker lost, prefetch 1; see settings):
a task may run twice, so each claims its work with a conditional UPDATE first
(archive.services.claim) and the attempt count lives in the database.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_HARD_TIME_LIMIT,
)
def capture_snapshot(snapshot_id: int) -> str:
    """Capture, render, validate and store one snapshot (ARC-1)."""
    from archive.services import process_snapshot

    # A failed attempt is retried by the sweep (sweep_snapshots) once the row's `not_before`
    # has come (ARCHIVE_RETRY_BACKOFF × 2^(attempt−1) seconds), not by a countdown message
    # the broker would hold past its visibility timeout or lose with the worker.
    outcome = process_snapshot(snapshot_id)
    return outcome.snapshot.status if outcome.snapshot else "not-claimed"


@shared_task
def sweep_snapshots() -> int:
    """Every minute: send the workers the snapshots and delivery packages that wait and
    were not sent recently (the broker was down, a retry's time has come, or their worker
    died; issue 9)."""
    from archive.packages import publish_waiting_packages
    from archive.services import publish_waiting_snapshots

    return publish_waiting_snapshots() + publish_waiting_packages()


@shared_task
def plan_snapshots() -> int:
    """Daily: make sure every active account has its periodic snapshot (ARC-1), and remind
    the people running login-wall accounts of snapshots waiting for their upload."""
    from archive.services import plan_periodic_snapshots, remind_waiting_uploads

    planned = len(plan_periodic_snapshots())
    remind_waiting_uploads()
    return planned


@shared_task(
    acks_late=True,
    time_limit=settings.ARCHIVE_VERIFY_TIME_LIMIT,
    soft_time_limit=settings.ARCHIVE_VERIFY_TIME_LIMIT - 60,
)
def verify_archive() -> int:
    """Monthly: recompute every stored file's SHA-256 and alert on differences.

    Runs once per month whatever the broker does: the run is claimed by its month
    (archive.services.claim_fixity_run); a second delivery returns -1 and does nothing.
    """
    from django.utils import timezone

    from archive.services import claim_fixity_run
    from archive.services import verify_archive as verify

    triggered_by = "månadskontrollen"
    check = claim_fixity_run(f"{timezone.localdate():%Y-%m}", triggered_by=triggered_by)
    if check is None:
        return -1
    return len(verify(triggered_by=triggered_by, alert=True, check=check).problems)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the cap is archive.services.TIMESTAMP_RETRIES, counted in the database
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_HARD_TIME_LIMIT,
)
def timestamp_snapshot(self, snapshot_id: int) -> str:  # type: ignore[no-untyped-def]
    """Get the trusted timestamp (RFC 3161) of one stored file from the TSA (issue 9)."""
    from archive.services import timestamp_snapshot as stamp

    outcome = stamp(snapshot_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.snapshot.timestamp_status if outcome.snapshot else "not-due"


@shared_task
def timestamp_sweep() -> int:
    """Hourly: queue a timestamp for every stored file still without one."""
    from archive.services import queue_missing_timestamps

    return queue_missing_timestamps()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_HARD_TIME_LIMIT,
)
def index_archived_text(snapshot_id: int) -> bool:
    """Read one stored file's text into the search table (archive.search); safe twice."""
    from archive.search import index_snapshot

    return index_snapshot(snapshot_id) is not None


@shared_task
def index_archived_texts() -> int:
    """Hourly: queue the stored files whose text is not yet searchable."""
    from archive.search import queue_unindexed

    return queue_unindexed()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_HARD_TIME_LIMIT,
)
def build_package(package_id: int) -> str:
    """Build and store one delivery package for the e-archive (issue 10, FGS 2.0 SIP)."""
    from archive.packages import process_package

    # A second delivery of the message finds the row claimed or done and does nothing.
    package = process_package(package_id)
    return package.status if package else "not-claimed"

"""Scheduled moderation work (schedules: migrations 0004 and 0009). Thin: each calls one
service."""

from __future__ import annotations

from celery import Task, shared_task

from moderation import services
from nykvarn_sm.lib.timestamps import TSAUnavailable

# While the TSA can't be reached the anchor's timestamp is asked for again, after 1, 2, 4 …
# minutes and then every hour, for about two days; then the anchor is sent without one.
ANCHOR_MAX_RETRIES = 54


@shared_task
def verify_log() -> bool:
    """Check the removal log's chains, anchors and evidence; alert if anything changed."""
    check = services.daily_chain_check()
    return check is None or check.ok


@shared_task
def anchor_log() -> int:
    """Anchor the head of each chain outside the database for today (one per day)."""
    return len(services.anchor_chains())


@shared_task(bind=True, max_retries=ANCHOR_MAX_RETRIES)
def stamp_anchor(self: Task, anchor_id: int) -> None:
    """Timestamp one anchor and send it to the archivists; retried while the TSA is down."""
    try:
        services.stamp_anchor(anchor_id, last_try=self.request.retries >= ANCHOR_MAX_RETRIES)
    except TSAUnavailable as exc:
        raise self.retry(exc=exc, countdown=min(3600, 60 * 2**self.request.retries)) from exc


@shared_task
def remind_handoffs() -> int:
    """Remind about removals still waiting for a diarienummer (MOD-3)."""
    return services.send_handoff_reminders()


@shared_task
def remind_overdue() -> int:
    """Remind about incoming items not answered within the working-day rule (MOD-5)."""
    return services.send_overdue_reminders()

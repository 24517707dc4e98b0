"""Celery tasks for e-mail: thin wrappers around accounts.notify.

Delivery is at-least-once (acks_late): a task may run twice, so `deliver` claims the
message with a conditional UPDATE first; the attempt count lives in the database.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_outgoing_mail(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one queued e-mail; on an SMTP failure try again with backoff."""
    from accounts.notify import deliver

    outcome = deliver(message_id)
    if isinstance(outcome, dt.timedelta):
        # Never given up: the message waits in the outbox and the sweep also finds it.
        raise self.retry(countdown=outcome.total_seconds())
    return "sent" if outcome else "not-claimed"


@shared_task
def sweep_outgoing_mail() -> int:
    """Every minute: publish the unsent e-mail whose time has come."""
    from accounts.notify import sweep_outgoing_mail as sweep

    return sweep()

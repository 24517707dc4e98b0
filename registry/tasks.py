"""Daily health reminders (REG-4, REG-5, REG-6, REG-9), scheduled by django-celery-beat."""

from __future__ import annotations

from celery import shared_task

from registry import reminders


@shared_task
def send_health_reminders() -> int:
    """Remind the owners of unhealthy accounts and send the communications office a digest.

    Safe to run twice a day: each account and the digest are claimed for the day first.
    """
    return reminders.send_for_today()

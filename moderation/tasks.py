"""Scheduled moderation work (schedules: migration 0004). Thin: each calls one service."""

from __future__ import annotations

from celery import shared_task

from moderation import services


@shared_task
def verify_log() -> bool:
    """Check the removal log's hash chain; alert the communications office if broken."""
    check = services.daily_chain_check()
    return check is None or check.ok


@shared_task
def remind_handoffs() -> int:
    """Remind about removals still waiting for a diarienummer (MOD-3)."""
    return services.send_handoff_reminders()


@shared_task
def remind_overdue() -> int:
    """Remind about incoming items not answered within the working-day rule (MOD-5)."""
    return services.send_overdue_reminders()

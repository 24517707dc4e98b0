"""The hand-off to the records system: pending list, daily reminder, escalation (MOD-3)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from moderation import services
from moderation.models import HandoffReminder, RegistrationDecision, RemovedPost
from tests.moderation.conftest import make_removal

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Stockholm")


def _remind(capture, day):
    mail.outbox.clear()
    with capture(execute=True):
        sent = services.send_handoff_reminders(day)
    return sent, sorted(a for m in mail.outbox for a in m.to)


def test_pending_hand_offs_are_reminded_daily_and_escalated(
    account_a,
    operator,
    deputy,
    manager_a,
    communications_officer,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.MODERATION_REGISTRATION_ESCALATE_WORKDAYS = 2
    with time_machine.travel(dt.datetime(2026, 3, 12, 10, 0, tzinfo=TZ)):  # Thursday
        record = make_removal(
            account_a,
            operator,
            code="sekretess",
            registration_decision=RegistrationDecision.CONFIDENTIAL,
        )
    assert record.confidential  # the sekretess reason marks it
    assert list(RemovedPost.objects.pending_registration()) == [record]
    people = sorted([operator.email, deputy.email])
    assert _remind(django_capture_on_commit_callbacks, dt.date(2026, 3, 13)) == (1, people)
    # Twice the same day: nothing more (one reminder row per record and day).
    assert _remind(django_capture_on_commit_callbacks, dt.date(2026, 3, 13)) == (0, [])
    # Monday is the second working day: escalated to the manager and the office.
    sent, to = _remind(django_capture_on_commit_callbacks, dt.date(2026, 3, 16))
    assert sent == 1 and to == sorted([*people, manager_a.email, communications_officer.email])
    assert HandoffReminder.objects.get(sent_on=dt.date(2026, 3, 16)).escalated
    services.register_removal(
        by=operator, record=record, diarienummer="KS 2026/9", registered_on=timezone.localdate()
    )
    assert _remind(django_capture_on_commit_callbacks, dt.date(2026, 3, 17)) == (0, [])


def test_records_not_to_be_registered_are_never_pending(account_a, operator):
    make_removal(account_a, operator, registration_decision=RegistrationDecision.OUTSIDE)
    assert not RemovedPost.objects.pending_registration().exists()


def test_remind_task_runs_the_service(account_a, operator):
    from moderation.tasks import remind_handoffs, remind_overdue

    make_removal(account_a, operator, registration_decision=RegistrationDecision.EXISTING_CASE)
    assert remind_handoffs() == 1
    assert remind_handoffs() == 0
    assert remind_overdue() == 0


def test_periodic_tasks_are_scheduled_by_migration():
    from django_celery_beat.models import PeriodicTask

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "moderation.tasks.verify_log",
        "moderation.tasks.remind_handoffs",
        "moderation.tasks.remind_overdue",
    } <= tasks

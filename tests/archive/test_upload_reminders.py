"""Login walls: periodic snapshots waiting for an upload are shown as such and the people
running the account are reminded once a day, the communications office after a while."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from archive import services
from archive.models import Snapshot
from archive.tasks import plan_snapshots

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(account_a, account_b, operator, deputy):
    """The planner's periodic snapshots: both accounts are behind login walls."""
    services.plan_periodic_snapshots()
    snapshot = Snapshot.objects.get(account=account_a, context=Snapshot.Context.PERIODIC)
    assert snapshot.awaiting_upload
    return snapshot


def test_daily_task_reminds_owner_and_deputies_once_a_day(
    waiting, operator, deputy, communications_officer, django_capture_on_commit_callbacks
):
    account = waiting.account
    people = {u.email for u in [account.owner, *account.deputies.all()]}
    assert operator.email in people
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan_snapshots()
    to_a = [m for m in mail.outbox if account.name in m.subject]
    assert {m.to[0] for m in to_a} == people
    assert communications_officer.email not in {m.to[0] for m in to_a}
    assert "väntar på uppladdning" in to_a[0].subject
    assert waiting.get_absolute_url() in to_a[0].body
    waiting.refresh_from_db()
    assert waiting.upload_reminded_on == timezone.localdate()

    # The same day again (a second beat run, a message delivered twice): nobody is told.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan_snapshots()
        assert services.remind_waiting_uploads() == 0
    assert mail.outbox == []
    assert (
        AuditEvent.objects.filter(
            action="archive.upload_reminded", target_id=str(waiting.pk)
        ).count()
        == 1
    )


def test_after_the_configured_days_the_communications_office_is_told_too(
    waiting, communications_officer, settings, django_capture_on_commit_callbacks
):
    settings.ARCHIVE_UPLOAD_ESCALATE_DAYS = 10
    later = timezone.localdate() + dt.timedelta(days=10)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.remind_waiting_uploads(today=later)
    to_a = [m for m in mail.outbox if waiting.account.name in m.subject]
    assert communications_officer.email in {m.to[0] for m in to_a}
    assert "kommunikationsavdelningen" in to_a[0].body


def test_uploaded_or_stored_snapshots_are_not_reminded(waiting, django_capture_on_commit_callbacks):
    Snapshot.objects.exclude(pk=waiting.pk).update(status=Snapshot.Status.FAILED)
    Snapshot.objects.filter(pk=waiting.pk).update(status=Snapshot.Status.CAPTURING)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_waiting_uploads() == 0
    assert mail.outbox == []


def test_waiting_state_shown_in_list_panel_and_detail(
    client, archivist, operator, waiting, django_assert_max_num_queries
):
    client.force_login(archivist)
    with django_assert_max_num_queries(14):
        body = client.get(reverse("archive:list")).content.decode()
    assert body.count("Väntar på uppladdning") == 2
    assert 'http-equiv="refresh"' not in body  # nothing is running: nobody to wait for

    body = client.get(reverse("archive:detail", args=[waiting.pk])).content.decode()
    assert "Väntar på uppladdning" in body and 'http-equiv="refresh"' not in body

    template = Template("{% load archive_tags %}{% account_snapshots account user %}")
    html = template.render(Context({"account": waiting.account, "user": operator}))
    assert "Väntar på uppladdning" in html
    # A snapshot with its upload, queued for the worker, is "I kö", not waiting.
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.add_uploads(
        snapshot=waiting,
        uploads=[SimpleUploadedFile("s.png", b"\x89PNG\r\n", "image/png")],
        by=operator,
    )
    html = template.render(Context({"account": waiting.account, "user": operator}))
    assert "Väntar på uppladdning" not in html and "I kö" in html

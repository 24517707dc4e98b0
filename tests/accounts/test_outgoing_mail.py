"""E-mail goes through an outbox: a row per message written with the change, sent by a
Celery task after commit, retried with backoff and swept, so no notice is ever lost."""

from __future__ import annotations

import datetime as dt

import environ
import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import OutgoingMail
from accounts.notify import MAIL_SEND_LEASE, deliver, notify, retry_delay
from accounts.tasks import send_outgoing_mail, sweep_outgoing_mail
from registry.models import SocialAccount
from tests.accounts.smtp_server import LocalSMTPServer, free_port
from tests.factories import SocialAccountFactory
from tests.registry.conftest import complete


def _email_url(settings, url: str) -> None:
    """Configure e-mail as EMAIL_URL=`url` would (the test runner's locmem is replaced)."""
    for key, value in environ.Env.email_url_config(url).items():
        setattr(settings, key, value)
    settings.EMAIL_TIMEOUT = 5


def _submitted(department, operator):
    account = SocialAccountFactory(
        name="Fritidsfabriken TikTok",
        department=department,
        owner=operator,
        created_by=operator,
        state=SocialAccount.State.SUBMITTED,
        activated_at=None,
        credentials_location="Lösenordshanteraren",
    )
    return complete(account, operator)


@pytest.mark.django_db
def test_notify_writes_one_row_per_recipient_with_the_change(operator, deputy, manager_a):
    with transaction.atomic():
        count = notify(
            [operator, deputy, operator, manager_a],
            subject="Prov",
            template="registry/email/submitted.txt",
            context={"account": "Fritidsfabriken", "actor": manager_a},
        )
    assert count == 3
    rows = OutgoingMail.objects.order_by("id")
    assert [m.recipient for m in rows] == [operator.email, deputy.email, manager_a.email]
    assert all(m.subject == "[Nykvarns kommun] Prov" and m.sent_at is None for m in rows)


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_message(operator, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify([operator], subject="Prov", template="registry/email/submitted.txt", context={})
        raise RuntimeError("the change fails")
    assert not OutgoingMail.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_smtp_refused_during_approval_keeps_the_approval_and_sends_later(
    client, settings, department_a, operator, manager_a, communications_officer
):
    account = _submitted(department_a, operator)
    port = free_port()
    # Nothing listens on the port: the SMTP server is down.
    _email_url(settings, f"smtp://127.0.0.1:{port}")
    client.force_login(manager_a)

    response = client.post(reverse("registry:approve", args=[account.pk]), {"comment": "OK"})

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.state == SocialAccount.State.MANAGER_APPROVED
    message = OutgoingMail.objects.get(recipient=communications_officer.email)
    assert message.sent_at is None and message.attempts == 1
    assert "refused" in message.last_error.lower()
    assert message.not_before > timezone.now()
    assert message.status == OutgoingMail.Status.RETRYING

    # The SMTP server comes back; the sweep sends the message once its time has come.
    with LocalSMTPServer(port) as smtp:
        sweep_outgoing_mail()  # too early: the backoff is not over
        assert smtp.received == []
        with time_machine.travel(message.not_before + dt.timedelta(seconds=61)):
            sweep_outgoing_mail()
            sweep_outgoing_mail()
            send_outgoing_mail(message.pk)  # a redelivered task does nothing either
    assert len(smtp.received) == 1
    recipients, sent = smtp.received[0]
    assert recipients == [communications_officer.email]
    assert sent["Subject"].strip().startswith("[Nykvarns kommun] Konto godkänt av chef")
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert message.status == OutgoingMail.Status.SENT


@pytest.mark.django_db
def test_broker_down_the_message_waits_for_the_sweep(
    client,
    department_a,
    operator,
    manager_a,
    communications_officer,
    django_capture_on_commit_callbacks,
):
    from nykvarn_sm.celery import app

    account = _submitted(department_a, operator)
    # The real publish path to a Redis broker that refuses connections (port 1).
    task = app.tasks[send_outgoing_mail.name]
    client.force_login(manager_a)
    with pytest.MonkeyPatch.context() as broker_down:
        broker_down.delattr(task, "apply_async")  # no in-process worker: really publish
        # Celery reads CELERY_BROKER_URL from the environment before its settings.
        broker_down.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
        broker_down.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
        broker_down.setitem(app.conf, "broker_transport_options", {})
        broker_down.setitem(app.conf, "task_publish_retry", False)
        app.pool.force_close_all()
        try:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    reverse("registry:approve", args=[account.pk]), {"comment": "OK"}
                )
        finally:
            app.pool.force_close_all()
    assert response.status_code == 302
    message = OutgoingMail.objects.get(recipient=communications_officer.email)
    assert message.sent_at is None and message.attempts == 0
    assert mail.outbox == []

    # Broker back: the next sweep publishes it, the worker sends it.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        sweep_outgoing_mail()
    assert [m.to for m in mail.outbox] == [[communications_officer.email]]
    message.refresh_from_db()
    assert message.sent_at is not None


@pytest.mark.django_db
def test_a_claimed_message_is_not_sent_by_a_second_worker(operator):
    with transaction.atomic():
        notify([operator], subject="Prov", template="registry/email/submitted.txt", context={})
    message = OutgoingMail.objects.get()
    # A worker claims it (and is killed before sending): nobody else sends it in the lease.
    assert OutgoingMail.objects.claim(message.pk, lease=MAIL_SEND_LEASE) is not None
    assert deliver(message.pk) is False
    assert mail.outbox == []
    # After the lease the sweep finds it again, and it is sent exactly once.
    with time_machine.travel(timezone.now() + MAIL_SEND_LEASE + dt.timedelta(minutes=2)):
        sweep_outgoing_mail()
        sweep_outgoing_mail()
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 2 and message.sent_at is not None


def test_retry_delay_grows_and_is_capped():
    delays = [retry_delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [60, 120, 240, 480]
    assert delays == sorted(delays) and max(delays) == 3600


@pytest.mark.django_db
def test_the_sweep_is_scheduled_every_minute():
    task = PeriodicTask.objects.get(task="accounts.tasks.sweep_outgoing_mail")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "minutes"


@pytest.mark.django_db
def test_communications_office_reads_outgoing_mail_in_the_admin(
    client, communications_officer, operator
):
    OutgoingMail.objects.create(recipient=operator.email, subject="Skickat", body="x")
    OutgoingMail.objects.filter(subject="Skickat").update(sent_at=timezone.now(), attempts=1)
    OutgoingMail.objects.create(
        recipient=operator.email,
        subject="Försöker igen",
        body="x",
        attempts=2,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    client.force_login(communications_officer)
    page = client.get(reverse("admin:accounts_outgoingmail_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Försöker igen" in text and "Connection refused" in text and "Skickat" in text
    message = OutgoingMail.objects.get(subject="Försöker igen")
    assert client.get(reverse("admin:accounts_outgoingmail_add")).status_code == 403
    change = reverse("admin:accounts_outgoingmail_change", args=[message.pk])
    assert client.get(change).status_code == 200  # view only
    assert client.post(change, {"subject": "Ändrat"}).status_code == 403
    delete = reverse("admin:accounts_outgoingmail_delete", args=[message.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert OutgoingMail.objects.get(pk=message.pk).subject == "Försöker igen"


@pytest.mark.django_db
def test_operators_do_not_reach_outgoing_mail(client, operator):
    client.force_login(operator)
    response = client.get(reverse("admin:accounts_outgoingmail_changelist"))
    assert response.status_code == 302

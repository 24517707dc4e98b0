"""E-mail to the people who must act next, through an outbox that never loses a notice.

`notify` writes one `OutgoingMail` row per recipient in the caller's transaction, so a
rolled-back change tells nobody and a committed one always does. After commit a Celery task
(`accounts.tasks.send_outgoing_mail`) sends each row; while the SMTP server is away it
records the error and tries again with backoff, and a sweep every minute publishes what is
due, so an SMTP, broker or worker outage delays a notice but never loses it, and never
turns the change that caused it into an error page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import OutgoingMail
from accounts.tasks import send_outgoing_mail
from nykvarn_sm.lib.outbox import publish, publish_on_commit

log = logging.getLogger(__name__)

# How long a claimed message is left to the worker that claimed it: well above the time one
# SMTP conversation may take (EMAIL_TIMEOUT per step), so that only a killed worker's
# message is taken again.
MAIL_SEND_LEASE = dt.timedelta(minutes=10)
# The first retry after a minute, doubled each time, never more than an hour apart.
MAIL_RETRY_FIRST = dt.timedelta(minutes=1)
MAIL_RETRY_LONGEST = dt.timedelta(hours=1)
# The sweep leaves a new message this long to the task published when it was committed.
MAIL_SWEEP_GRACE = dt.timedelta(minutes=1)


def recipients(users: Iterable[Any]) -> list[str]:
    """Return the distinct addresses of the active users among `users`, in order."""
    seen: dict[str, None] = {}
    for user in users:
        if user is not None and user.is_active and user.email:
            seen.setdefault(user.email, None)
    return list(seen)


def notify(users: Iterable[Any], *, subject: str, template: str, context: dict[str, Any]) -> int:
    """Queue one e-mail per recipient, rendered from `template`, in the caller's
    transaction; each is sent by Celery after commit. Returns the number of recipients.

    Messages are written in Swedish, the organisation's language, whatever the sender's
    browser language.
    """
    addresses = recipients(users)
    if not addresses:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            template,
            {
                **context,
                "organisation_name": settings.ORGANISATION_NAME,
                "site_url": settings.SITE_URL,
            },
        )
        subject = f"[{settings.ORGANISATION_NAME}] {subject}"
    messages = OutgoingMail.objects.bulk_create(
        OutgoingMail(recipient=address, subject=subject, body=body) for address in addresses
    )
    for message in messages:
        publish_on_commit(send_outgoing_mail, message.pk)
    return len(messages)


def retry_delay(attempts: int) -> dt.timedelta:
    """Return how long to wait after failed attempt number `attempts` (1, 2, ...)."""
    return min(MAIL_RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 12), MAIL_RETRY_LONGEST)


def deliver(message_id: int) -> bool | dt.timedelta:
    """Send one queued message if it is due and nobody else is sending it.

    Returns True when sent, False when there was nothing to do (sent already, not due, or
    claimed by another worker), and the delay before the next attempt when the SMTP server
    failed. Runs outside any transaction: the claim and the outcome are single UPDATEs.
    """
    message = OutgoingMail.objects.claim(message_id, lease=MAIL_SEND_LEASE)
    if message is None:
        return False
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any SMTP or network fault: try again later
        delay = retry_delay(message.attempts)
        message.record_failure(f"{type(exc).__name__}: {exc}", retry_in=delay)
        log.warning(
            "E-mail %s to %s failed (attempt %s), next try in %s: %s",
            message.pk,
            message.recipient,
            message.attempts,
            delay,
            exc,
        )
        return delay
    message.mark_sent()
    return True


def sweep_outgoing_mail() -> int:
    """Publish every unsent message whose time has come; return how many.

    Catches what the tasks could not: a broker that was down at commit or at a retry, a
    worker killed while sending (its lease runs out). The claim in `deliver` makes a
    message published twice harmless.
    """
    due = OutgoingMail.objects.due(now=timezone.now() - MAIL_SWEEP_GRACE)
    ids = list(due.order_by("not_before").values_list("pk", flat=True)[:1000])
    for pk in ids:
        publish(send_outgoing_mail, pk)
    return len(ids)

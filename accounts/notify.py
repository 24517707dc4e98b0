"""E-mail to the people who must act next. Sent after commit, never inside a transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def recipients(users: Iterable[Any]) -> list[str]:
    """Return the distinct addresses of the active users among `users`, in order."""
    seen: dict[str, None] = {}
    for user in users:
        if user is not None and user.is_active and user.email:
            seen.setdefault(user.email, None)
    return list(seen)


def notify(users: Iterable[Any], *, subject: str, template: str, context: dict[str, Any]) -> int:
    """Queue one e-mail per recipient, rendered from `template`, sent when the transaction
    commits (so that a rolled-back change tells nobody). Returns the number of recipients.

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
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [a]) for a in addresses]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
    return len(addresses)

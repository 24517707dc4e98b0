"""The daily reminder about unhealthy accounts: to each owner, and a digest to the office.

"Konton som inte används regelbundet ska avslutas" ("Att öppna och avsluta ett konto"):
the rules of registry.health, sent where someone can act on them.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notify import notify
from registry.health import Issue, account_health, with_health_data
from registry.models import HealthReminderRun, SocialAccount
from registry.services import communications_officers


def unhealthy_accounts(today: dt.date) -> list[tuple[SocialAccount, list[Issue]]]:
    accounts = with_health_data(SocialAccount.objects.filter(state=SocialAccount.State.ACTIVE))
    return [(a, issues) for a in accounts if (issues := account_health(a, today))]


def _claim_account(account: SocialAccount, today: dt.date) -> bool:
    """Mark the account reminded today; False if a run already did (a conditional UPDATE)."""
    return (
        SocialAccount.objects.filter(pk=account.pk)
        .filter(Q(health_reminded_on__isnull=True) | Q(health_reminded_on__lt=today))
        .update(health_reminded_on=today)
        == 1
    )


def _claim_digest(today: dt.date) -> bool:
    try:
        with transaction.atomic():
            HealthReminderRun.objects.create(day=today)
    except IntegrityError:
        return False
    return True


def send_for_today(today: dt.date | None = None) -> int:
    """Send today's reminders; return how many accounts were reminded.

    Each claim and its e-mail commit together, so a crash between accounts loses nothing
    and a second run sends nothing twice.
    """
    today = today or timezone.localdate()
    found = unhealthy_accounts(today)
    reminded = 0
    for account, issues in found:
        with transaction.atomic():
            if not _claim_account(account, today):
                continue
            # The owner acts; the deputies stand in for the owner (REG-4).
            notify(
                [account.owner, *account.deputies.all()],
                subject=_("Kontot behöver åtgärdas: %(account)s") % {"account": account},
                template="registry/email/health.txt",
                context={"account": account, "issues": issues},
            )
            reminded += 1
    if found:
        with transaction.atomic():
            if _claim_digest(today):
                notify(
                    communications_officers(),
                    subject=_("Konton som behöver åtgärdas (%(n)s)") % {"n": len(found)},
                    template="registry/email/health_digest.txt",
                    context={"rows": found, "today": today},
                )
    return reminded

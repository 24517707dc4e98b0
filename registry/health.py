"""Health rules of an active account: computed, never stored (REG-4, REG-5, REG-6, REG-9).

Each rule reads only what `with_health_data` prefetches, so a list of any length costs the
same few queries. The thresholds are configuration (settings.REGISTRY_*).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import ActivityEntry, CredentialHolder, SocialAccount


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    severity: str  # "bad" or "warn", the badge class

    def __str__(self) -> str:
        return self.message


def low_activity_weeks() -> int:
    return int(getattr(settings, "REGISTRY_LOW_ACTIVITY_WEEKS", 3))


def inactive_weeks() -> int:
    return int(getattr(settings, "REGISTRY_INACTIVE_WEEKS", 8))


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def with_health_data(
    qs: QuerySet[SocialAccount], today: dt.date | None = None
) -> QuerySet[SocialAccount]:
    """Load everything the rules read, in a constant number of queries."""
    today = today or timezone.localdate()
    since = _monday(today) - dt.timedelta(weeks=max(inactive_weeks(), low_activity_weeks()) + 1)
    return qs.select_related("owner", "platform", "department").prefetch_related(
        "deputies",
        Prefetch("credential_holders", queryset=CredentialHolder.objects.select_related("user")),
        Prefetch(
            "activity",
            queryset=ActivityEntry.objects.filter(week_start__gte=since),
            to_attr="recent_activity",
        ),
    )


def account_health(account: SocialAccount, today: dt.date | None = None) -> list[Issue]:
    """Return the account's health issues; none for accounts that are not active."""
    if account.state != SocialAccount.State.ACTIVE:
        return []
    today = today or timezone.localdate()
    issues: list[Issue] = []
    deputies = [d for d in account.deputies.all() if d.pk != account.owner_id]
    # REG-4, "Organisationens ansvar och resurser": "en ställföreträdande måste alltid finnas".
    if not deputies:
        issues.append(Issue("no_deputy", str(_("Ingen ställföreträdande")), "bad"))
    if not account.owner.is_active:
        issues.append(Issue("owner_inactive", str(_("Operativt ansvarig har slutat")), "bad"))
    if any(not d.is_active for d in deputies):
        issues.append(Issue("deputy_inactive", str(_("En ställföreträdande har slutat")), "bad"))
    # REG-5, "Att öppna och avsluta ett konto": credentials with more than one employee.
    holders = [h for h in account.credential_holders.all() if h.user.is_active]
    if len(holders) < 2:
        issues.append(
            Issue(
                "few_credential_holders", str(_("Färre än två har inloggningsuppgifterna")), "bad"
            )
        )
    # Bilaga 2 "Avtal": the platform's terms reviewed, by whom and when.
    if not account.terms_reviewed_by_id or not account.terms_reviewed_on:
        issues.append(
            Issue("terms_not_reviewed", str(_("Avtalsvillkoren är inte genomgångna")), "warn")
        )

    entries = getattr(account, "recent_activity", None)
    if entries is None:
        entries = list(account.activity.all())
    posts_by_week = {e.week_start: e.posts for e in entries}
    this_week = _monday(today)
    active_since = timezone.localdate(account.activated_at) if account.activated_at else today

    # REG-6, "Periodicitet": the target is followed up. Completed weeks only, and only the
    # weeks the account has been active; a week without an entry counts as no posts.
    n = low_activity_weeks()
    weeks = [this_week - dt.timedelta(weeks=i) for i in range(1, n + 1)]
    if _monday(active_since) <= weeks[-1] and all(
        posts_by_week.get(w, 0) < account.posts_per_week for w in weeks
    ):
        issues.append(
            Issue("below_target", str(_("Under målet %(n)s veckor i rad")) % {"n": n}, "warn")
        )

    # REG-9, "Att öppna och avsluta ett konto": "Konton som inte används regelbundet ska
    # avslutas". No posts for eight weeks (this one included) makes it a candidate.
    m = inactive_weeks()
    window_start = this_week - dt.timedelta(weeks=m - 1)
    if active_since <= window_start and not any(
        posts > 0 for week, posts in posts_by_week.items() if week >= window_start
    ):
        issues.append(
            Issue(
                "inactive",
                str(_("Ingen aktivitet på %(m)s veckor – bör avslutas")) % {"m": m},
                "bad",
            )
        )
    return issues

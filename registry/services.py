"""Workflows of the register: every change of an account, its people and its activity.

Each function takes keyword arguments with the actor passed explicitly, checks the actor's
right through accounts.permissions (the admin and the browser views both come here), runs
in one transaction, writes its AuditEvent in that transaction and tells whoever acts next
by e-mail after commit (accounts.notify).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import AuditEvent, Department, Role, User
from accounts.notify import notify
from registry.models import (
    ActivityEntry,
    Assignment,
    CredentialHolder,
    FollowerNotice,
    Platform,
    SocialAccount,
    Substitute,
    TransitionRefused,
)
from registry.urls_normalise import normalise_url

__all__ = ["TransitionRefused"]


# --- helpers ------------------------------------------------------------------------------


def _refusal(action: str) -> str:
    """Return what a person refused `action` is told (the admin actions show it)."""
    messages = {
        "registry.manager_approve": _(
            "Bara en chef för kontots verksamhet kan godkänna kontot som verksamhetschef."
        ),
        "registry.start_closing": _(
            "Bara en chef för kontots verksamhet kan påbörja avslutet; det förankras hos "
            "verksamhetens chef."
        ),
        "registry.activate": _("Bara kommunikationsavdelningen kan förankra och aktivera kontot."),
        "registry.close": _("Bara kommunikationsavdelningen kan avsluta kontot."),
    }
    return messages.get(action, _("Du har inte behörighet att göra det här med kontot."))


def _check(user: User, action: str, obj: Any = None) -> None:
    if not perms.can(user, action, obj):
        raise PermissionDenied(_refusal(action))


def host_aliases() -> dict[str, str]:
    """Map each platform's other domains to its first one (twitter.com → x.com)."""
    aliases: dict[str, str] = {}
    for domains in Platform.objects.values_list("domains", flat=True):
        names = [d.strip().lower() for d in domains.splitlines() if d.strip()]
        for name in names[1:]:
            aliases[name] = names[0]
    return aliases


def normalised(url: str) -> str:
    """Return the comparison key of `url` with the configured platform domain aliases."""
    return normalise_url(url, host_aliases=host_aliases())


def managers_of(department: Department) -> QuerySet[User]:
    """Return the active managers of the department or of a department above it."""
    ids = [department.pk, *(d.pk for d in department.ancestors())]
    return User.objects.filter(
        is_active=True, roles__code=Role.Code.MANAGER, departments__in=ids
    ).distinct()


def communications_officers() -> QuerySet[User]:
    return User.objects.filter(is_active=True, roles__code=Role.Code.COMMUNICATIONS).distinct()


def waiting_on(accounts: Iterable[SocialAccount]) -> dict[int, list[User]]:
    """Return, per account id, the people whose step the account waits for (REG-3, REG-9).

    Submitted: the managers of its department or a department above it, the same people
    accounts.permissions lets approve (`manages`). Approved by the manager, or closing:
    the communications office, but not the person who took the first step. In a constant
    number of queries, for list pages.
    """
    accounts = list(accounts)
    S = SocialAccount.State
    result: dict[int, list[User]] = {a.pk: [] for a in accounts}
    submitted = [a for a in accounts if a.state == S.SUBMITTED]
    if submitted:
        parents = dict(Department.objects.values_list("id", "parent_id"))
        managers = User.objects.filter(is_active=True, roles__code=Role.Code.MANAGER)
        managers = managers.distinct().prefetch_related("departments").order_by("full_name")
        direct = {m: {d.pk for d in m.departments.all()} for m in managers}
        for account in submitted:
            chain: set[int] = set()
            node: int | None = account.department_id
            while node is not None and node not in chain:
                chain.add(node)
                node = parents.get(node)
            result[account.pk] = [m for m, own in direct.items() if own & chain]
    second = {
        a.pk: a.manager_approved_by_id if a.state == S.MANAGER_APPROVED else a.closing_started_by_id
        for a in accounts
        if a.state in (S.MANAGER_APPROVED, S.CLOSING)
    }
    if second:
        office = list(communications_officers().order_by("full_name"))
        for pk, first in second.items():
            result[pk] = [u for u in office if u.pk != first]
    return result


def _people(account: SocialAccount) -> list[User]:
    return [account.owner, *account.deputies.all()]


def _tell(
    users: Iterable[User],
    subject: str,
    template: str,
    account: SocialAccount,
    actor: User,
    **extra: Any,
) -> None:
    notify(
        users,
        subject=f"{subject}: {account}",
        template=f"registry/email/{template}.txt",
        context={"account": account, "actor": actor, **extra},
    )


# --- the request (REG-2) ------------------------------------------------------------------


@transaction.atomic
def create_request(*, by: User, fields: dict[str, Any], deputies: Iterable[User]) -> SocialAccount:
    """Draft a request for a new account (REG-2); the checklist may be finished later."""
    _check(by, "registry.create_account", fields["department"])
    account = SocialAccount(created_by=by, state=SocialAccount.State.DRAFT, **fields)
    account.normalized_url = normalised(account.url)
    account.save()
    account.deputies.set(deputies)
    AuditEvent.record(
        actor=by,
        action="registry.request_created",
        target=account,
        details={"url": account.url, "department": str(account.department)},
    )
    return account


@transaction.atomic
def update_request(
    *, account: SocialAccount, by: User, fields: dict[str, Any], deputies: Iterable[User]
) -> SocialAccount:
    """Change a draft request and its Bilaga 2 checklist; later the answers are decided."""
    _check(by, "registry.edit_account", account)
    if account.state != SocialAccount.State.DRAFT:
        raise TransitionRefused(_("Bara ett utkast kan ändras."))
    if "department" in fields:
        _check(by, "registry.create_account", fields["department"])
    changed = sorted(k for k, v in fields.items() if getattr(account, k) != v)
    for name, value in fields.items():
        setattr(account, name, value)
    account.normalized_url = normalised(account.url)
    account.save()
    account.deputies.set(deputies)
    AuditEvent.record(
        actor=by, action="registry.request_changed", target=account, details={"fields": changed}
    )
    return account


# --- REG-3 and REG-9: the transitions -----------------------------------------------------


@transaction.atomic
def submit(*, account: SocialAccount, by: User) -> SocialAccount:
    """Send a complete request to the department manager."""
    _check(by, "registry.submit", account)
    account.submit(by=by)
    AuditEvent.record(actor=by, action="registry.submitted", target=account)
    _tell(
        managers_of(account.department),
        _("Begäran om nytt konto att godkänna"),
        "submitted",
        account,
        by,
    )
    return account


@transaction.atomic
def approve(*, account: SocialAccount, by: User, comment: str = "") -> SocialAccount:
    """Record the department manager's approval; the communications office acts next."""
    _check(by, "registry.manager_approve", account)
    account.approve_as_manager(by=by)
    AuditEvent.record(
        actor=by, action="registry.manager_approved", target=account, details={"comment": comment}
    )
    # The office's step is another person's (REG-3): the approver is not asked to take it.
    _tell(
        communications_officers().exclude(pk=by.pk),
        _("Konto godkänt av chef – väntar på förankring"),
        "manager_approved",
        account,
        by,
        comment=comment,
    )
    return account


@transaction.atomic
def reject(*, account: SocialAccount, by: User, reason: str) -> SocialAccount:
    """Send a request back to draft with the reason, to the people who wrote it."""
    _check(by, "registry.reject", account)
    previous = account.state
    account.reject(by=by, reason=reason)
    AuditEvent.record(
        actor=by,
        action="registry.rejected",
        target=account,
        details={"reason": reason, "from_state": previous},
    )
    _tell(
        [account.created_by, *_people(account)],
        _("Begäran skickad tillbaka"),
        "rejected",
        account,
        by,
        reason=reason,
    )
    return account


@transaction.atomic
def activate(*, account: SocialAccount, by: User, channel_strategy: str) -> SocialAccount:
    """Anchor the account with the communications office: it becomes active and official."""
    _check(by, "registry.activate", account)
    account.activate(by=by, channel_strategy=channel_strategy)
    AuditEvent.record(actor=by, action="registry.activated", target=account)
    _tell(
        [*_people(account), account.created_by, *managers_of(account.department)],
        _("Kontot är godkänt och officiellt"),
        "activated",
        account,
        by,
    )
    return account


@transaction.atomic
def start_closing(
    *, account: SocialAccount, by: User, planned_on: dt.date, reason: str
) -> SocialAccount:
    """Begin closing an account; the communications office is informed (REG-9)."""
    _check(by, "registry.start_closing", account)
    account.start_closing(by=by, planned_on=planned_on, reason=reason)
    AuditEvent.record(
        actor=by,
        action="registry.closing_started",
        target=account,
        details={"planned_on": planned_on, "reason": reason},
    )
    # "Kommunikationsavdelningen ska också informeras"; the people running it tell followers.
    _tell(
        [*communications_officers().exclude(pk=by.pk), *_people(account)],
        _("Kontot ska avslutas"),
        "closing_started",
        account,
        by,
    )
    return account


@transaction.atomic
def record_follower_notice(
    *, account: SocialAccount, by: User, published_on: dt.date, text: str
) -> FollowerNotice:
    """Record a notice to followers before closing: reason, thanks, central account (REG-9)."""
    _check(by, "registry.record_notice", account)
    if account.state != SocialAccount.State.CLOSING:
        raise TransitionRefused(_("Meddelanden till följare registreras när kontot avslutas."))
    notice = FollowerNotice.objects.create(
        account=account, published_on=published_on, text=text, recorded_by=by
    )
    AuditEvent.record(
        actor=by,
        action="registry.follower_notice",
        target=account,
        details={"published_on": published_on},
    )
    return notice


@transaction.atomic
def close(*, account: SocialAccount, by: User) -> SocialAccount:
    """Close the account; it leaves the public list of channels (REG-9, REG-7)."""
    _check(by, "registry.close", account)
    account.close(by=by)
    AuditEvent.record(actor=by, action="registry.closed", target=account)
    _tell(
        [*_people(account), *managers_of(account.department)],
        _("Kontot är avslutat"),
        "closed",
        account,
        by,
    )
    return account


# Fields the communications office may correct on a submitted, approved or active account
# (a renamed page, a moved address, the agreed channel strategy). Not the state, not the
# department (the approval was its manager's), not the people, not the decided checklist.
CORRECTABLE_FIELDS = frozenset({"platform", "name", "url", "is_central", "channel_strategy"})


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | str) else str(value)


@transaction.atomic
def correct_account(*, account: SocialAccount, by: User, fields: dict[str, Any]) -> SocialAccount:
    """Correct the record of an account that is past the draft (REG-1), with an audit event.

    Only the communications office, which anchors accounts ("registry.activate"), corrects
    them; a closed account is the record of what was and stays as it is.
    """
    _check(by, "registry.activate", account)
    unknown = set(fields) - CORRECTABLE_FIELDS
    if unknown:
        raise ValueError(f"not correctable here: {sorted(unknown)}")
    if account.state == SocialAccount.State.CLOSED:
        raise TransitionRefused(_("Ett avslutat konto ändras inte."))
    changes = {
        name: {"before": _plain(getattr(account, name)), "after": _plain(value)}
        for name, value in fields.items()
        if getattr(account, name) != value
    }
    if not changes:
        return account
    for name, value in fields.items():
        setattr(account, name, value)
    account.normalized_url = normalised(account.url)
    account.save(update_fields=[*fields, "normalized_url", "updated_at"])
    AuditEvent.record(
        actor=by, action="registry.account_corrected", target=account, details=changes
    )
    return account


# --- REG-4 and REG-5: people --------------------------------------------------------------


@transaction.atomic
def set_owner_and_deputies(
    *, account: SocialAccount, by: User, owner: User, deputies: Iterable[User]
) -> SocialAccount:
    """Change the operational owner and the deputies; a deputy must always remain (REG-4)."""
    _check(by, "registry.manage_people", account)
    deputies = [d for d in deputies if d.pk != owner.pk]
    if not deputies and account.state != SocialAccount.State.DRAFT:
        # "En operativt ansvarig person ska utses och en ställföreträdande måste alltid finnas."
        raise TransitionRefused(_("Minst en ställföreträdande måste alltid finnas."))
    if not owner.is_active or any(not d.is_active for d in deputies):
        raise TransitionRefused(_("Bara aktiva medarbetare kan ansvara för ett konto."))
    before = {
        "owner": account.owner_id,
        "deputies": sorted(account.deputies.values_list("pk", flat=True)),
    }
    account.owner = owner
    account.save(update_fields=["owner", "updated_at"])
    account.deputies.set(deputies)
    AuditEvent.record(
        actor=by,
        action="registry.people_changed",
        target=account,
        details={
            "before": before,
            "after": {"owner": owner.pk, "deputies": sorted(d.pk for d in deputies)},
        },
    )
    if before["owner"] != owner.pk:
        _tell([owner], _("Du är operativt ansvarig"), "owner_assigned", account, by)
    return account


@transaction.atomic
def add_substitute(
    *,
    account: SocialAccount,
    by: User,
    user: User,
    stands_in_for: User,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Substitute:
    """Appoint a substitute for holidays or absence ("Avtal och interna regler")."""
    _check(by, "registry.manage_people", account)
    if ends_on < starts_on:
        raise TransitionRefused(_("Slutdatum kan inte ligga före startdatum."))
    if stands_in_for.pk not in {account.owner_id, *account.deputies.values_list("pk", flat=True)}:
        raise TransitionRefused(
            _("En ersättare ersätter den ansvariga eller en ställföreträdande.")
        )
    substitute = Substitute.objects.create(
        account=account,
        user=user,
        stands_in_for=stands_in_for,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    AuditEvent.record(
        actor=by,
        action="registry.substitute_added",
        target=account,
        details={
            "user": user.pk,
            "stands_in_for": stands_in_for.pk,
            "starts_on": starts_on,
            "ends_on": ends_on,
        },
    )
    _tell([user], _("Du är ersättare"), "substitute", account, by, substitute=substitute)
    return substitute


@transaction.atomic
def remove_substitute(*, substitute: Substitute, by: User) -> None:
    _check(by, "registry.manage_people", substitute.account)
    AuditEvent.record(
        actor=by,
        action="registry.substitute_removed",
        target=substitute.account,
        details={
            "user": substitute.user_id,
            "starts_on": substitute.starts_on,
            "ends_on": substitute.ends_on,
        },
    )
    substitute.delete()


@transaction.atomic
def add_credential_holder(*, account: SocialAccount, by: User, user: User) -> CredentialHolder:
    """Record that a person holds the login (REG-5). No password is ever stored."""
    _check(by, "registry.manage_people", account)
    if not user.is_active:
        raise TransitionRefused(_("Bara aktiva medarbetare kan ha inloggningsuppgifterna."))
    try:
        with transaction.atomic():
            holder = CredentialHolder.objects.create(account=account, user=user)
    except IntegrityError:
        raise TransitionRefused(_("Personen har redan inloggningsuppgifterna.")) from None
    AuditEvent.record(
        actor=by,
        action="registry.credential_holder_added",
        target=account,
        details={"user": user.pk},
    )
    return holder


@transaction.atomic
def remove_credential_holder(*, holder: CredentialHolder, by: User) -> None:
    """Remove a holder; an open account keeps at least two (REG-5)."""
    account = holder.account
    _check(by, "registry.manage_people", account)
    open_states = (
        SocialAccount.State.ACTIVE,
        SocialAccount.State.CLOSING,
        SocialAccount.State.MANAGER_APPROVED,
    )
    if account.state in open_states and account.credential_holders.count() <= 2:
        raise TransitionRefused(
            _(
                "Inloggningsuppgifterna måste finnas hos minst två personer. Lägg till en ny "
                "innan du tar bort någon."
            )
        )
    AuditEvent.record(
        actor=by,
        action="registry.credential_holder_removed",
        target=account,
        details={"user": holder.user_id},
    )
    holder.delete()


@transaction.atomic
def set_credentials_location(*, account: SocialAccount, by: User, location: str) -> None:
    """Record where the credentials are kept, protected (REG-5); never the password itself."""
    _check(by, "registry.manage_people", account)
    account.credentials_location = location.strip()
    account.save(update_fields=["credentials_location", "updated_at"])
    AuditEvent.record(
        actor=by,
        action="registry.credentials_location_changed",
        target=account,
        details={"location": account.credentials_location},
    )


@transaction.atomic
def grant_assignment(
    *, by: User, user: User, accounts: Iterable[SocialAccount], granted_on: dt.date, note: str = ""
) -> Assignment:
    """Give a written assignment (uppdrag) to post in service (REG-4, "Inledning")."""
    accounts = list(accounts)
    if not accounts:
        raise TransitionRefused(_("Välj minst ett konto."))
    for account in accounts:
        _check(by, "registry.manage_people", account)
    if not user.is_active:
        raise TransitionRefused(_("Bara aktiva medarbetare kan få uppdrag."))
    assignment = Assignment.objects.create(
        user=user, granted_by=by, granted_on=granted_on, note=note
    )
    assignment.accounts.set(accounts)
    for account in accounts:
        AuditEvent.record(
            actor=by,
            action="registry.assignment_granted",
            target=account,
            details={"assignment": assignment.pk, "user": user.pk},
        )
    notify(
        [user],
        subject=_("Uppdrag att använda sociala medier i tjänsten"),
        template="registry/email/assignment.txt",
        context={"assignment": assignment, "accounts": accounts, "actor": by},
    )
    return assignment


@transaction.atomic
def revoke_assignment(*, assignment: Assignment, by: User) -> Assignment:
    """Revoke an assignment; it is kept, marked revoked, for the record."""
    accounts = list(assignment.accounts.all())
    for account in accounts:
        _check(by, "registry.manage_people", account)
    revoked = Assignment.objects.filter(pk=assignment.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    if revoked != 1:
        raise TransitionRefused(_("Uppdraget är redan återkallat."))
    assignment.refresh_from_db()
    for account in accounts:
        AuditEvent.record(
            actor=by,
            action="registry.assignment_revoked",
            target=account,
            details={"assignment": assignment.pk, "user": assignment.user_id},
        )
    return assignment


# --- REG-6: posting target and activity ---------------------------------------------------


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@transaction.atomic
def set_posting_target(
    *, account: SocialAccount, by: User, posts_per_week: int, annual_plan: str
) -> SocialAccount:
    """Set the target of posts per week and the annual plan ("Periodicitet")."""
    _check(by, "registry.record_activity", account)
    before = account.posts_per_week
    account.posts_per_week = posts_per_week
    account.annual_plan = annual_plan
    account.save(update_fields=["posts_per_week", "annual_plan", "updated_at"])
    AuditEvent.record(
        actor=by,
        action="registry.target_changed",
        target=account,
        details={"before": before, "after": posts_per_week},
    )
    return account


def _upsert_activity(account: SocialAccount, by: User, week_start: dt.date, posts: int) -> bool:
    _, created = ActivityEntry.objects.update_or_create(
        account=account,
        week_start=monday_of(week_start),
        defaults={"posts": posts, "entered_by": by, "entered_at": timezone.now()},
    )
    return created


@transaction.atomic
def record_activity(
    *, account: SocialAccount, by: User, week_start: dt.date, posts: int
) -> ActivityEntry:
    """Record the posts of one week; entering a week again corrects it."""
    _check(by, "registry.record_activity", account)
    if monday_of(week_start) > monday_of(timezone.localdate()):
        raise TransitionRefused(_("Veckan har inte börjat än."))
    created = _upsert_activity(account, by, week_start, posts)
    AuditEvent.record(
        actor=by,
        action="registry.activity_recorded",
        target=account,
        details={"week_start": monday_of(week_start), "posts": posts, "corrected": not created},
    )
    return ActivityEntry.objects.get(account=account, week_start=monday_of(week_start))


@transaction.atomic
def import_activity(*, account: SocialAccount, by: User, rows: list[tuple[dt.date, int]]) -> int:
    """Record many weeks at once (a CSV import); all or nothing. Returns the rows stored."""
    _check(by, "registry.record_activity", account)
    this_week = monday_of(timezone.localdate())
    if any(monday_of(day) > this_week for day, _posts in rows):
        raise TransitionRefused(_("Filen innehåller veckor som inte har börjat än."))
    for day, posts in rows:
        _upsert_activity(account, by, day, posts)
    AuditEvent.record(
        actor=by, action="registry.activity_imported", target=account, details={"weeks": len(rows)}
    )
    return len(rows)

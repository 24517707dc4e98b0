"""The register of official social-media accounts (REG-1 … REG-11)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department


class Platform(models.Model):
    """A social medium the organisation may use. Configuration, edited in the admin.

    `domains` lets the public "is this account ours?" check recognise the addresses people
    paste; `login_wall` tells the archive that its pages must be captured by upload.
    """

    name = models.CharField(_("namn"), max_length=60, unique=True)
    slug = models.SlugField(_("kortnamn"), max_length=40, unique=True)
    domains = models.TextField(
        _("domäner"),
        blank=True,
        help_text=_("En per rad, utan www, t.ex. facebook.com. Tom för bloggar och övrigt."),
    )
    login_wall = models.BooleanField(
        _("kräver inloggning"),
        default=False,
        help_text=_("Sidorna kan inte hämtas utan inloggning; arkivuttag laddas upp."),
    )
    cookie_banner_selectors = models.TextField(
        _("cookie-rutor (CSS-selektorer)"),
        blank=True,
        help_text=_("En per rad. Arkivuttaget klickar bort eller döljer dem före bilden."),
    )
    position = models.PositiveSmallIntegerField(_("ordning"), default=100)

    class Meta:
        verbose_name = _("plattform")
        verbose_name_plural = _("plattformar")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.domains.splitlines() if d.strip()]


class SocialAccountQuerySet(models.QuerySet["SocialAccount"]):
    def visible_to(self, user: Any) -> SocialAccountQuerySet:
        """Return the accounts whose internal data the user may see (accounts.permissions)."""
        from accounts import permissions as perms

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if perms.is_organisation_wide(user) or perms.has_role(user, perms.C.ARCHIVIST):
            return self
        q = Q(pk__in=self.model.objects.run_by(user).values("pk"))
        if perms.has_role(user, perms.C.MANAGER, perms.C.OPERATOR):
            q |= Q(department_id__in=user.department_ids)
        return self.filter(q)

    def run_by(self, user: Any) -> SocialAccountQuerySet:
        """Return the accounts the user runs: owner, deputy, substitute in force, editor."""
        today = timezone.localdate()
        return self.filter(
            Q(owner=user)
            | Q(deputies=user)
            | Q(
                substitutes__user=user,
                substitutes__starts_on__lte=today,
                substitutes__ends_on__gte=today,
            )
            | Q(assignments__user=user, assignments__revoked_at__isnull=True)
        ).distinct()

    def public(self) -> SocialAccountQuerySet:
        """Return the accounts on the public list of official channels (REG-7).

        REG-9, "Att öppna och avsluta ett konto": an account being closed is still the
        municipality's until it is closed, and only then is it taken off the web site's list.
        """
        return self.filter(state__in=[SocialAccount.State.ACTIVE, SocialAccount.State.CLOSING])


class SocialAccount(models.Model):
    """One official account of one department on one platform.

    The state is changed only by the transition functions in registry.services, each of
    which checks who may do it, writes an audit event and tells whoever acts next; it is
    not editable in any form or in the admin.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        SUBMITTED = "submitted", _("Inskickad")
        MANAGER_APPROVED = "manager_approved", _("Godkänd av chef")
        ACTIVE = "active", _("Aktiv")
        CLOSING = "closing", _("Avslutas")
        CLOSED = "closed", _("Avslutad")

    platform = models.ForeignKey(Platform, verbose_name=_("plattform"), on_delete=models.PROTECT)
    name = models.CharField(_("kontots namn"), max_length=150)
    url = models.URLField(_("adress"), max_length=500)
    # The address reduced to scheme-less, www-less, lower-case host/path, so that variants of
    # one address compare equal (registry.urls_normalise); unique among open accounts.
    normalized_url = models.CharField(_("normaliserad adress"), max_length=500, editable=False)
    department = models.ForeignKey(
        Department, verbose_name=_("verksamhet"), on_delete=models.PROTECT, related_name="accounts"
    )
    state = models.CharField(
        _("status"), max_length=20, choices=State.choices, default=State.DRAFT, editable=False
    )

    # REG-4: one operational owner, always at least one deputy.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operativt ansvarig"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ställföreträdande"),
        related_name="deputy_accounts",
        blank=True,
    )

    # REG-2, Bilaga 2 "Checklista för att starta konto i sociala medier".
    purpose = models.TextField(_("syfte – varför ska kanalen användas?"), blank=True)
    goals = models.TextField(_("mål – vad vill ni uppnå?"), blank=True)
    message = models.TextField(
        _("budskap – vilka frågor, hur hänger de ihop med kommunens andra kanaler?"), blank=True
    )
    target_group = models.TextField(_("målgrupp"), blank=True)
    channel_motivation = models.TextField(_("kanal – varför denna kanal?"), blank=True)
    is_organisation_page = models.BooleanField(
        _("företagssida/organisationskonto, inte personkonto"), default=False
    )
    terms_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("avtalsvillkor genomgångna av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    terms_reviewed_on = models.DateField(_("avtalsvillkor genomgångna den"), null=True, blank=True)
    it_needs = models.TextField(_("funktion och teknik – insatser från IT"), blank=True)
    resources = models.TextField(_("resurser för bevakning och uppdatering"), blank=True)
    monitoring = models.TextField(
        _("bevakning – vilka sköter kontot, vem hoppar in i semestertider?"), blank=True
    )
    sender = models.TextField(_("avsändare – hur framgår att kontot är kommunens?"), blank=True)
    risks = models.TextField(_("risker – sekretess, GDPR, andra lagar"), blank=True)
    records_routines = models.TextField(
        _("diarieföring, gallring och arkivering – rutiner"), blank=True
    )
    crisis_use = models.TextField(_("kriskommunikation"), blank=True)
    marketing = models.TextField(_("marknadsföring – hur hittar besökarna hit?"), blank=True)
    # Informationskrav: what the page itself must tell visitors.
    info_prohibited_content = models.BooleanField(
        _("sidan anger vilka inlägg som inte får förekomma"), default=False
    )
    info_violation_handling = models.BooleanField(
        _("sidan anger vad som händer vid brott mot reglerna"), default=False
    )
    info_authority_identity = models.BooleanField(
        _("sidan anger myndighetens identitet"), default=False
    )
    info_purpose = models.BooleanField(_("sidan anger syftet med kanalen"), default=False)
    info_public_record = models.BooleanField(
        _("sidan anger att inlägg kan bli allmän handling"), default=False
    )

    # REG-11, "Medarbetare och förtroendevald": municipal accounts are politically neutral and
    # never private accounts; the requester confirms both.
    neutrality_confirmed = models.BooleanField(
        _("kontot är opartiskt och sprider inga partipolitiska budskap"), default=False
    )
    # REG-10, "Kriskommunikation": in a crisis only the central accounts are used; closing
    # notices point followers to them (REG-9).
    is_central = models.BooleanField(
        _("kommunens centrala konto"),
        default=False,
        help_text=_(
            "Kommunövergripande konto som används vid kris och som avslutade konton hänvisar till."
        ),
    )

    # REG-5: who holds the credentials is CredentialHolder; where they are kept is here.
    # There is deliberately no password field anywhere.
    credentials_location = models.CharField(
        _("var inloggningsuppgifterna förvaras"), max_length=300, blank=True
    )

    # REG-6
    posts_per_week = models.PositiveSmallIntegerField(_("mål: inlägg per vecka"), default=2)
    annual_plan = models.TextField(_("årsplan med förslag på inlägg"), blank=True)

    # REG-3: the decisions along the way.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("skapad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("skapad"), default=timezone.now)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)
    submitted_at = models.DateTimeField(_("inskickad"), null=True, blank=True, editable=False)
    manager_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("godkänd av chef"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    manager_approved_at = models.DateTimeField(
        _("godkänd av chef den"), null=True, blank=True, editable=False
    )
    rejection_reason = models.TextField(_("skäl till återsändning"), blank=True, editable=False)
    channel_strategy = models.TextField(_("överenskommen kanalstrategi"), blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("förankrad av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    activated_at = models.DateTimeField(_("aktiv sedan"), null=True, blank=True, editable=False)

    # REG-9
    closing_planned_on = models.DateField(_("planerat avslut"), null=True, blank=True)
    closing_reason = models.TextField(_("skäl till avslut"), blank=True)
    closing_started_at = models.DateTimeField(
        _("avslut påbörjat"), null=True, blank=True, editable=False
    )
    closing_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("avslut påbörjat av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(_("avslutat"), null=True, blank=True, editable=False)
    # The day the daily health reminder last went out; claimed with a conditional UPDATE so
    # that a task run twice sends it once (registry.tasks).
    health_reminded_on = models.DateField(
        _("senaste hälsopåminnelse"), null=True, blank=True, editable=False
    )

    objects = SocialAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("konto")
        verbose_name_plural = _("konton")
        ordering = ["department__name", "platform__position", "name"]
        constraints = [
            # "The same account can't be registered twice": one open registration per address.
            models.UniqueConstraint(
                fields=["normalized_url"],
                condition=~Q(state="closed"),
                name="socialaccount_unique_open_url",
            ),
        ]
        indexes = [
            # The public list and the verification endpoint filter on state.
            models.Index(fields=["state"], name="socialaccount_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.platform.name} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("registry:account_detail", args=[self.pk])

    @property
    def office(self) -> Department:
        return self.department.office

    @property
    def in_use(self) -> bool:
        """Whether the account has been activated and so publishes (REG-3): a draft or a
        request waiting for approval has no posts to remove and no page to archive."""
        return self.state not in (
            self.State.DRAFT,
            self.State.SUBMITTED,
            self.State.MANAGER_APPROVED,
        )

    def person_ids(self) -> set[int]:
        """Return the ids of everyone who runs the account today."""
        today = timezone.localdate()
        ids = {self.owner_id}
        ids.update(self.deputies.values_list("id", flat=True))
        ids.update(
            self.substitutes.filter(starts_on__lte=today, ends_on__gte=today).values_list(
                "user_id", flat=True
            )
        )
        ids.update(
            self.assignments.filter(revoked_at__isnull=True).values_list("user_id", flat=True)
        )
        return ids

    # --- REG-2: the Bilaga 2 checklist ---------------------------------------------------

    @classmethod
    def _verbose_name(cls, name: str) -> str:
        # The checklist names concrete fields of this model, never a reverse relation.
        field = cast("models.Field[Any, Any]", cls._meta.get_field(name))
        return str(field.verbose_name)

    def checklist_missing(self) -> list[str]:
        """Return the labels of the Bilaga 2 items not yet answered (REG-2, Bilaga 2)."""
        missing = [
            self._verbose_name(name)
            for name in CHECKLIST_TEXT_FIELDS
            if not getattr(self, name).strip()
        ]
        missing += [
            self._verbose_name(name) for name in CHECKLIST_CONFIRMATIONS if not getattr(self, name)
        ]
        if not self.terms_reviewed_by_id or not self.terms_reviewed_on:
            # Bilaga 2 "Avtal": who reviewed the platform's terms, and when.
            missing.append(str(_("avtalsvillkor genomgångna (av vem och när)")))
        return missing

    def people_problems(self) -> list[str]:
        """Return what is wrong with the account's people (REG-4, REG-5)."""
        problems = []
        deputies = list(self.deputies.all())
        # REG-4, "Organisationens ansvar och resurser": "en ställföreträdande måste alltid finnas".
        if not [d for d in deputies if d.pk != self.owner_id]:
            problems.append(str(_("Minst en ställföreträdande måste finnas.")))
        return problems

    def credential_problems(self) -> list[str]:
        """Return what is wrong with credential custody (REG-5, "Att öppna och avsluta ...")."""
        problems = []
        if len(self.credential_holders.all()) < 2:
            problems.append(str(_("Inloggningsuppgifterna måste finnas hos minst två personer.")))
        if not self.credentials_location.strip():
            problems.append(str(_("Ange var inloggningsuppgifterna förvaras.")))
        return problems

    def activation_problems(self) -> list[str]:
        """Return what must be in place before the account can be activated (REG-4, REG-5).

        Set on the people page; shown in the account page's next steps from the draft on,
        so that nobody first learns of it at the final step.
        """
        return self.people_problems() + self.credential_problems()

    # --- REG-3, REG-9: the life of an account ---------------------------------------------
    # Each method checks what must be true first, then moves the state with a conditional
    # UPDATE, so that two people pressing "approve" at once cannot both succeed. Who may do
    # it is accounts.permissions' business, audit and e-mail registry.services'.

    def _move(self, source: str | tuple[str, ...], target: str, **fields: Any) -> None:
        sources = (source,) if isinstance(source, str) else source
        if self.state not in sources:
            raise TransitionRefused(
                _("Kontot har status ”%(state)s”; det går inte nu.")
                % {"state": self.get_state_display()}
            )
        now = timezone.now()
        # Conditional on the state this decision was made on: a stale copy moves nothing.
        moved = SocialAccount.objects.filter(pk=self.pk, state=self.state).update(
            state=target, updated_at=now, **fields
        )
        if moved != 1:
            raise TransitionRefused(_("Någon annan ändrade kontot samtidigt. Ladda om sidan."))
        self.state = target
        self.updated_at = now
        for name, value in fields.items():
            setattr(self, name, value)

    def submit(self, *, by: Any) -> None:
        """Send the request to the department manager (REG-2, Bilaga 2 must be complete)."""
        problems = self.checklist_missing()
        if problems:
            raise TransitionRefused(
                _("Checklistan (Bilaga 2) är inte komplett: %(items)s.")
                % {"items": ", ".join(problems)}
            )
        refused = self.people_problems()
        if refused:
            raise TransitionRefused(" ".join(refused))
        self._move(
            self.State.DRAFT, self.State.SUBMITTED, submitted_at=timezone.now(), rejection_reason=""
        )

    def approve_as_manager(self, *, by: Any) -> None:
        """Record the department manager's approval of the account and the platform's terms.

        REG-3, "Organisationens ansvar och resurser" and "Avtal och interna regler".
        """
        self._move(
            self.State.SUBMITTED,
            self.State.MANAGER_APPROVED,
            manager_approved_by=by,
            manager_approved_at=timezone.now(),
        )

    def reject(self, *, by: Any, reason: str) -> None:
        """Send the request back to draft with the reason (REG-3)."""
        if not reason.strip():
            raise TransitionRefused(_("Ange varför begäran skickas tillbaka."))
        self._move(
            (self.State.SUBMITTED, self.State.MANAGER_APPROVED),
            self.State.DRAFT,
            rejection_reason=reason.strip(),
            submitted_at=None,
            manager_approved_by=None,
            manager_approved_at=None,
        )

    def activate(self, *, by: Any, channel_strategy: str) -> None:
        """Anchor the account with the communications office: active and official (REG-3).

        "Att öppna och avsluta ett konto": the office and the department agree a strategy
        for the account; the credentials are with more than one person (REG-5).
        """
        if by is not None and self.manager_approved_by_id == by.pk:
            # REG-3, "Organisationens ansvar och resurser": the manager approves and has the
            # account anchored with the communications office, two steps by two people.
            raise TransitionRefused(
                _(
                    "Samma person kan inte både godkänna kontot som chef och förankra det. "
                    "En annan person på kommunikationsavdelningen aktiverar kontot."
                )
            )
        if not channel_strategy.strip():
            raise TransitionRefused(_("Ange den överenskomna kanalstrategin."))
        problems = self.activation_problems()
        if problems:
            raise TransitionRefused(" ".join(problems))
        self._move(
            self.State.MANAGER_APPROVED,
            self.State.ACTIVE,
            channel_strategy=channel_strategy.strip(),
            activated_by=by,
            activated_at=timezone.now(),
        )

    def start_closing(self, *, by: Any, planned_on: dt.date, reason: str) -> None:
        """Begin closing: anchored with the manager, followers to be told (REG-9)."""
        if not reason.strip():
            raise TransitionRefused(_("Ange skälet till att kontot avslutas."))
        if planned_on < timezone.localdate():
            raise TransitionRefused(_("Det planerade avslutet kan inte ligga bakåt i tiden."))
        self._move(
            self.State.ACTIVE,
            self.State.CLOSING,
            closing_planned_on=planned_on,
            closing_reason=reason.strip(),
            closing_started_at=timezone.now(),
            closing_started_by=by,
        )

    def closing_problems(self) -> list[str]:
        """Return what must still happen before the account can be closed (REG-9, ARC-1)."""
        problems = []
        # "Följarna ... ska informeras i god tid ... Budskapet bör upprepas": two notices on
        # two different days.
        days = {n.published_on for n in self.follower_notices.all()}
        if len(days) < MIN_FOLLOWER_NOTICES:
            problems.append(
                str(_("Följarna ska ha informerats minst %(n)s gånger, olika dagar."))
                % {"n": MIN_FOLLOWER_NOTICES}
            )
        if not closing_snapshot_stored(self):
            # ARC-1 and Stockholm's practice: a stored "inför avslut" snapshot first.
            problems.append(
                str(
                    _(
                        "Ett arkivuttag inför avslut, taget efter att avslutet påbörjades, "
                        "måste finnas sparat."
                    )
                )
            )
        return problems

    def close(self, *, by: Any) -> None:
        """Close the account and take it off the public list (REG-9, REG-7)."""
        if self.state != self.State.CLOSING:
            raise TransitionRefused(
                _("Kontot har status ”%(state)s”; det går inte nu.")
                % {"state": self.get_state_display()}
            )
        if by is not None and self.closing_started_by_id == by.pk:
            # REG-9, "Att öppna och avsluta ett konto": anchored with the department manager,
            # the communications office informed; two steps by two people, as in REG-3.
            raise TransitionRefused(
                _(
                    "Samma person kan inte både påbörja avslutet som chef och avsluta kontot. "
                    "En annan person på kommunikationsavdelningen avslutar det."
                )
            )
        problems = self.closing_problems()
        if problems:
            raise TransitionRefused(" ".join(problems))
        self._move(self.State.CLOSING, self.State.CLOSED, closed_at=timezone.now())

    def available_transitions(self) -> list[str]:
        """Return the names of the transitions the state allows (not who may do them)."""
        return TRANSITIONS_FROM.get(self.state, [])

    def current_substitutes(self, day: dt.date | None = None) -> list[Substitute]:
        """Return the substitutes in force on `day` (uses a prefetch when there is one)."""
        day = day or timezone.localdate()
        return [s for s in self.substitutes.all() if s.in_force(day)]

    def active_assignments(self) -> list[Assignment]:
        return [a for a in self.assignments.all() if a.revoked_at is None]


class TransitionRefused(Exception):
    """A transition whose preconditions do not hold; the message says what is missing."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


# REG-2, Bilaga 2: the questions that must have an answer before a request is submitted.
CHECKLIST_TEXT_FIELDS = [
    "purpose",
    "goals",
    "message",
    "target_group",
    "channel_motivation",
    "it_needs",
    "resources",
    "monitoring",
    "sender",
    "risks",
    "records_routines",
    "crisis_use",
    "marketing",
]
# Confirmations: organisation page (Bilaga 2 "Typ av konto", REG-11), neutrality (REG-11,
# "Medarbetare och förtroendevald") and the information the page must show (Bilaga 2
# "Informationskrav").
CHECKLIST_CONFIRMATIONS = [
    "is_organisation_page",
    "neutrality_confirmed",
    "info_prohibited_content",
    "info_violation_handling",
    "info_authority_identity",
    "info_purpose",
    "info_public_record",
]
# Every Bilaga 2 field in the checklist's own order, as the request form and the admin show it.
CHECKLIST_FIELDS = [
    *CHECKLIST_TEXT_FIELDS[:5],
    "is_organisation_page",
    "terms_reviewed_by",
    "terms_reviewed_on",
    *CHECKLIST_TEXT_FIELDS[5:],
    *CHECKLIST_CONFIRMATIONS[1:],
]
MIN_FOLLOWER_NOTICES = 2

S = SocialAccount.State
TRANSITIONS_FROM: dict[str, list[str]] = {
    S.DRAFT: ["submit"],
    S.SUBMITTED: ["approve", "reject"],
    S.MANAGER_APPROVED: ["activate", "reject"],
    S.ACTIVE: ["start_closing"],
    S.CLOSING: ["close"],
    S.CLOSED: [],
}


# Apps that keep snapshots answer "is there a stored "inför avslut" snapshot of this account
# taken at or after `since`?" by registering a check here (archive.apps does); the registry
# never imports them, so the dependency points from the archive to the registry only.
ClosingSnapshotCheck = Callable[..., bool]
CLOSING_SNAPSHOT_CHECKS: list[ClosingSnapshotCheck] = []


def register_closing_snapshot_check(check: ClosingSnapshotCheck) -> ClosingSnapshotCheck:
    """Register `check(account, *, since)`; registering the same check twice adds it once."""
    if check not in CLOSING_SNAPSHOT_CHECKS:
        CLOSING_SNAPSHOT_CHECKS.append(check)
    return check


def closing_snapshot_stored(account: SocialAccount) -> bool:
    """Whether a stored "inför avslut" snapshot was taken after the closing started (ARC-1).

    REG-9: the pages are kept as they were when the account is being closed, so a snapshot
    from before the closing began does not count. Without a registered check no account
    can be closed, rather than closing one whose pages were never kept.
    """
    since = account.closing_started_at
    if since is None:
        return False
    return any(check(account, since=since) for check in CLOSING_SNAPSHOT_CHECKS)


class Substitute(models.Model):
    """Someone who stands in during holidays or absence (REG-4, "Avtal och interna regler")."""

    account = models.ForeignKey(
        SocialAccount, verbose_name=_("konto"), on_delete=models.CASCADE, related_name="substitutes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ersättare"), on_delete=models.PROTECT
    )
    stands_in_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ersätter"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_on = models.DateField(_("från"))
    ends_on = models.DateField(_("till och med"))

    class Meta:
        verbose_name = _("ersättare")
        verbose_name_plural = _("ersättare")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="substitute_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.starts_on}–{self.ends_on})"

    def in_force(self, day: dt.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.starts_on <= day <= self.ends_on


class Assignment(models.Model):
    """A written assignment (uppdrag) to use social media in service (REG-4, "Inledning").

    Granted by the office head for one person and one or more accounts; revoked, never
    deleted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("medarbetare"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    accounts = models.ManyToManyField(
        SocialAccount, verbose_name=_("konton"), related_name="assignments"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beslutat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_on = models.DateField(_("beslutsdatum"), default=timezone.localdate)
    note = models.TextField(_("uppdragets omfattning"), blank=True)
    revoked_at = models.DateTimeField(_("återkallat"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("återkallat av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("uppdrag")
        verbose_name_plural = _("uppdrag")
        ordering = ["-granted_on"]

    def __str__(self) -> str:
        return f"{self.user} ({self.granted_on})"


class CredentialHolder(models.Model):
    """A person who holds the account's login (REG-5); at least two are required."""

    account = models.ForeignKey(
        SocialAccount,
        verbose_name=_("konto"),
        on_delete=models.CASCADE,
        related_name="credential_holders",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT
    )
    since = models.DateField(_("sedan"), default=timezone.localdate)

    class Meta:
        verbose_name = _("behörighetsinnehavare")
        verbose_name_plural = _("behörighetsinnehavare")
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="credentialholder_unique"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class ActivityEntry(models.Model):
    """Posts published in one week, against the account's target (REG-6, "Periodicitet")."""

    account = models.ForeignKey(
        SocialAccount, verbose_name=_("konto"), on_delete=models.CASCADE, related_name="activity"
    )
    week_start = models.DateField(_("vecka (måndag)"))
    posts = models.PositiveSmallIntegerField(_("antal inlägg"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrerad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("registrerad"), default=timezone.now)

    class Meta:
        verbose_name = _("aktivitet")
        verbose_name_plural = _("aktivitet")
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["account", "week_start"], name="activity_one_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.account} v. {self.week_start:%G-%V}: {self.posts}"


class FollowerNotice(models.Model):
    """A notice to followers before closing (REG-9): reason, thanks, the central account."""

    account = models.ForeignKey(
        SocialAccount,
        verbose_name=_("konto"),
        on_delete=models.CASCADE,
        related_name="follower_notices",
    )
    published_on = models.DateField(_("publicerad"))
    text = models.TextField(_("text"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrerat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("meddelande till följare")
        verbose_name_plural = _("meddelanden till följare")
        ordering = ["published_on"]

    def __str__(self) -> str:
        return f"{self.account} {self.published_on}"


class HealthReminderRun(models.Model):
    """One row per day the communications office's health digest went out (unique: once)."""

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("hälsoutskick")
        verbose_name_plural = _("hälsoutskick")

    def __str__(self) -> str:
        return str(self.day)

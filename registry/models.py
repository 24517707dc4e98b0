"""The register of official social-media accounts (REG-1 … REG-11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
        if perms.is_organisation_wide(user) or perms.has_role(
            user, perms.C.ARCHIVIST
        ):
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
            | Q(substitutes__user=user, substitutes__starts_on__lte=today,
                substitutes__ends_on__gte=today)
            | Q(assignments__user=user, assignments__revoked_at__isnull=True)
        ).distinct()

    def public(self) -> SocialAccountQuerySet:
        """Return the accounts on the public list of official channels (REG-7)."""
        return self.filter(state=SocialAccount.State.ACTIVE)


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
    normalized_url = models.CharField(max_length=500, editable=False)
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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
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
    manager_approved_at = models.DateTimeField(null=True, blank=True, editable=False)
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
    closing_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("avslutat"), null=True, blank=True, editable=False)

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


class Substitute(models.Model):
    """Someone who stands in during holidays or absence (REG-4, "Avtal och interna regler")."""

    account = models.ForeignKey(
        SocialAccount, on_delete=models.CASCADE, related_name="substitutes"
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
        SocialAccount, on_delete=models.CASCADE, related_name="credential_holders"
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

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="activity")
    week_start = models.DateField(_("vecka (måndag)"))
    posts = models.PositiveSmallIntegerField(_("antal inlägg"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

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
        SocialAccount, on_delete=models.CASCADE, related_name="follower_notices"
    )
    published_on = models.DateField(_("publicerad"))
    text = models.TextField(_("text"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("meddelande till följare")
        verbose_name_plural = _("meddelanden till följare")
        ordering = ["published_on"]

    def __str__(self) -> str:
        return f"{self.account} {self.published_on}"

"""People and organisation: staff users, their roles, departments, and the audit trail."""

from __future__ import annotations

import contextvars
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A unit of the organisation: förvaltning → kontor/avdelning → verksamhet.

    "Office" in the guideline ("Skapa en gemensam mapp för ditt kontor", ARC-2) is the
    nearest kontor or avdelning above or at a department; see `office`.
    """

    class Kind(models.TextChoices):
        FORVALTNING = "forvaltning", _("förvaltning")
        KONTOR = "kontor", _("kontor")
        AVDELNING = "avdelning", _("avdelning")
        VERKSAMHET = "verksamhet", _("verksamhet")

    name = models.CharField(_("namn"), max_length=150)
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("överordnad"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    email = models.EmailField(_("funktionsbrevlåda"), blank=True)

    class Meta:
        verbose_name = _("verksamhet")
        verbose_name_plural = _("verksamheter")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Department]:
        """Return this department's ancestors, nearest first (one query per level)."""
        chain: list[Department] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    @property
    def office(self) -> Department:
        """Return the kontor/avdelning this department belongs to (itself if it is one)."""
        for node in [self, *self.ancestors()]:
            if node.kind in (self.Kind.KONTOR, self.Kind.AVDELNING):
                return node
        return self if self.parent is None else self.ancestors()[-1]

    @classmethod
    def descendant_ids(cls, roots: list[int] | set[int]) -> set[int]:
        """Return the ids of the given departments and everything below them.

        The tree is small (tens of rows), so one query and a walk in Python beats a
        recursive CTE that SQLite and PostgreSQL spell differently.
        """
        pairs = list(cls.objects.values_list("id", "parent_id"))
        children: dict[int | None, list[int]] = {}
        for pk, parent in pairs:
            children.setdefault(parent, []).append(pk)
        found: set[int] = set()
        stack = list(roots)
        while stack:
            pk = stack.pop()
            if pk in found:
                continue
            found.add(pk)
            stack.extend(children.get(pk, []))
        return found


class Role(models.Model):
    """A role a user holds. The rows are created by a data migration, one per `Code`."""

    class Code(models.TextChoices):
        COMMUNICATIONS = "kommunikator", _("Kommunikatör")
        MANAGER = "chef", _("Verksamhetschef/kontorschef")
        OPERATOR = "redaktor", _("Redaktör")
        ARCHIVIST = "arkivarie", _("Arkivarie")
        ADMINISTRATOR = "administrator", _("Administratör")

    code = models.CharField(_("kod"), max_length=20, choices=Code.choices, unique=True)

    class Meta:
        verbose_name = _("roll")
        verbose_name_plural = _("roller")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(self.get_code_display())


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_superuser"] = True
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Addresses are stored lower-case; people type them any way.
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff, who logs in with the municipal e-mail address."""

    email = models.EmailField(_("e-postadress"), unique=True)
    full_name = models.CharField(_("namn"), max_length=150)
    title = models.CharField(_("titel"), max_length=150, blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    departments = models.ManyToManyField(
        Department, verbose_name=_("verksamheter"), related_name="members", blank=True
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roller"), related_name="users", blank=True)
    is_active = models.BooleanField(
        _("aktiv"),
        default=True,
        help_text=_("Avmarkera i stället för att radera, så att historiken finns kvar."),
    )
    date_joined = models.DateTimeField(_("skapad"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """Return the codes of the roles this user holds (one query, cached per request)."""
        if not self.is_active or self.pk is None:
            return frozenset()
        return frozenset(self.roles.values_list("code", flat=True))

    @cached_property
    def department_ids(self) -> frozenset[int]:
        """Return the ids of this user's departments and every department below them."""
        if self.pk is None:
            return frozenset()
        direct = set(self.departments.values_list("id", flat=True))
        return frozenset(Department.descendant_ids(direct)) if direct else frozenset()

    @property
    def is_staff(self) -> bool:
        """Whether the Django admin lets this user in; decided by role, never stored."""
        from accounts import permissions

        return permissions.can_use_admin(self)


# The request's client address, set by AuditContextMiddleware, so that an audit event
# written deep in a service function still knows where the change came from.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)


# What each audit action is called on screen. Actions not listed show their code.
ACTION_LABELS = {
    "registry.request_created": _("Begäran om konto skapad"),
    "registry.request_changed": _("Begäran ändrad"),
    "registry.submitted": _("Skickad till chef för godkännande"),
    "registry.manager_approved": _("Godkänd av chef"),
    "registry.rejected": _("Skickad tillbaka"),
    "registry.activated": _("Förankrad och aktiv"),
    "registry.closing_started": _("Avslut påbörjat"),
    "registry.follower_notice": _("Meddelande till följare"),
    "registry.closed": _("Avslutat"),
    "registry.people_changed": _("Ansvariga ändrade"),
    "registry.substitute_added": _("Ersättare tillagd"),
    "registry.substitute_removed": _("Ersättare borttagen"),
    "registry.assignment_granted": _("Uppdrag beslutat"),
    "registry.assignment_revoked": _("Uppdrag återkallat"),
    "registry.credential_holder_added": _("Behörighet tillagd"),
    "registry.credential_holder_removed": _("Behörighet borttagen"),
    "registry.credentials_location_changed": _("Förvaring av inloggning ändrad"),
    "registry.target_changed": _("Mål för inlägg ändrat"),
    "registry.activity_recorded": _("Aktivitet registrerad"),
    "registry.activity_imported": _("Aktivitet importerad"),
    "registry.exported": _("Registret exporterat"),
    "moderation.removal_logged": _("Borttaget inlägg loggat"),
    "moderation.removal_corrected": _("Borttaget inlägg rättat"),
    "moderation.removal_registered": _("Diariefört"),
    "moderation.incoming_logged": _("Inkommet ärende loggat"),
    "moderation.incoming_acknowledged": _("Besked om svar lämnat"),
    "moderation.incoming_answered": _("Besvarat"),
    "moderation.incoming_forwarded": _("Vidarebefordrat"),
    "moderation.incoming_referred": _("Hänvisat till partierna"),
    "moderation.incoming_unpublished": _("Avpublicerat"),
    "moderation.incoming_registered": _("Diariefört"),
    "moderation.incoming_no_answer": _("Inget svar behövs"),
    "archive.snapshot_requested": _("Arkivuttag begärt"),
    "archive.snapshot_planned": _("Periodiskt uttag planerat"),
    "archive.snapshot_stored": _("Arkivuttag lagrat"),
    "archive.snapshot_failed": _("Arkivuttag misslyckades"),
    "archive.snapshot_retried": _("Arkivuttag körs om"),
    "archive.uploads_added": _("Skärmdumpar uppladdade"),
    "archive.verified": _("Arkivet kontrollerat"),
    "archive.upload_reminded": _("Påminnelse om uppladdning skickad"),
    "archive.timestamped": _("Arkivfil tidsstämplad"),
    "archive.timestamp_failed": _("Tidsstämpel för arkivfil avvisad"),
    "archive.download_refused": _("Nedladdning av ändrad eller saknad arkivfil stoppad"),
    "archive.package_requested": _("Leveranspaket beställt"),
    "archive.package_stored": _("Leveranspaket lagrat"),
    "archive.package_failed": _("Leveranspaket misslyckades"),
    "archive.package_retried": _("Leveranspaket byggs om"),
    "archive.package_downloaded": _("Leveranspaket nedladdat"),
    "archive.package_download_refused": _(
        "Nedladdning av ändrat eller saknat leveranspaket stoppad"
    ),
    "archive.thinning_recorded": _("Gallring på plattformen registrerad"),
    "archive.hold_placed": _("Gallringsstopp lagt"),
    "archive.hold_released": _("Gallringsstopp hävt"),
    "archive.disposed": _("Arkivfil gallrad"),
    "moderation.chain_anchored": _("Loggens kedja förankrad med tidsstämpel"),
    "moderation.chain_anchor_sent": _("Loggens förankring skickad till arkivarierna"),
    "moderation.evidence_damaged": _("Ändrad eller saknad bevisfil upptäckt"),
    "registry.account_corrected": _("Kontouppgifter rättade"),
    # Changes made in the admin (accounts.admin.AuditedAdminMixin).
    "registry.platform_added": _("Plattform skapad"),
    "registry.platform_changed": _("Plattform ändrad"),
    "registry.platform_deleted": _("Plattform raderad"),
    "accounts.user_added": _("Användare skapad"),
    "accounts.user_changed": _("Användare ändrad"),
    "accounts.user_deleted": _("Användare raderad"),
    "accounts.department_added": _("Verksamhet skapad"),
    "accounts.department_changed": _("Verksamhet ändrad"),
    "accounts.department_deleted": _("Verksamhet raderad"),
    "archive.gallringdecision_added": _("Gallringsbeslut registrerat"),
    "archive.gallringdecision_changed": _("Gallringsbeslut ändrat"),
    "archive.gallringdecision_deleted": _("Gallringsbeslut raderat"),
}


class AuditEvent(models.Model):
    """One change of importance: who did what to which object, when and from where.

    Written in the same transaction as the change it records (`record`), and read-only
    everywhere: the admin offers neither change nor delete.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utförd av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("händelse"), max_length=80)
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("objekttyp"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_id = models.CharField(_("objektets id"), max_length=64, blank=True)
    target_repr = models.CharField(_("objekt"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("tid"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP-adress"), null=True, blank=True)
    details = models.JSONField(_("detaljer"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("händelse")
        verbose_name_plural = _("händelselogg")
        ordering = ["-created_at", "-id"]
        indexes = [
            # "History of this object", shown on detail pages.
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @classmethod
    def record(
        cls,
        *,
        actor: User | None,
        action: str,
        target: models.Model | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Write an event for a change; call it inside the change's transaction."""
        return cls.objects.create(
            actor=actor if actor is not None and actor.pk else None,
            action=action,
            target_type=ContentType.objects.get_for_model(target) if target is not None else None,
            target_id=str(target.pk) if target is not None else "",
            target_repr=str(target)[:300] if target is not None else "",
            ip_address=current_ip.get(),
            details=details or {},
        )

    @classmethod
    def for_object(cls, obj: models.Model) -> models.QuerySet[AuditEvent]:
        """Return the events about one object, newest first."""
        return cls.objects.filter(
            target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
        ).select_related("actor")


class OutgoingMailQuerySet(models.QuerySet["OutgoingMail"]):
    def due(self, *, now: Any = None) -> OutgoingMailQuerySet:
        """Return the unsent messages whose time has come (new, retry due, lease expired)."""
        return self.filter(sent_at__isnull=True, not_before__lte=now or timezone.now())

    def claim(self, pk: int, *, lease: Any) -> OutgoingMail | None:
        """Take message `pk` for sending, or None if it is sent or another worker has it.

        A conditional UPDATE, so two workers (a redelivered task, the sweep) never both
        send: the claim moves `not_before` a lease ahead, and a worker killed while sending
        leaves the message to be claimed again when the lease runs out.
        """
        now = timezone.now()
        claimed = (
            self.due(now=now)
            .filter(pk=pk)
            .update(not_before=now + lease, attempts=models.F("attempts") + 1)
        )
        return self.get(pk=pk) if claimed == 1 else None


class OutgoingMail(models.Model):
    """One e-mail to one person, written with the change it tells about (the outbox).

    `notify` writes the row in the caller's transaction; a Celery task sends it after
    commit and retries with backoff while the SMTP server is away; a sweep every minute
    publishes what is due, so a notice survives an SMTP, broker or worker outage.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Väntar")
        RETRYING = "retrying", _("Nytt försök väntar")
        SENT = "sent", _("Skickat")

    recipient = models.EmailField(_("mottagare"))
    subject = models.TextField(_("ämne"))
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("skapat"), default=timezone.now)
    sent_at = models.DateTimeField(_("skickat"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("försök"), default=0)
    last_error = models.TextField(_("senaste fel"), blank=True)
    not_before = models.DateTimeField(_("tidigast"), default=timezone.now)

    objects = OutgoingMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("utgående e-post")
        verbose_name_plural = _("utgående e-post")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's query: unsent messages whose `not_before` has passed.
            models.Index(
                fields=["not_before"],
                condition=models.Q(sent_at__isnull=True),
                name="outgoingmail_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"

    @property
    def status(self) -> str:
        if self.sent_at is not None:
            return self.Status.SENT
        return self.Status.RETRYING if self.last_error else self.Status.WAITING

    def mark_sent(self) -> None:
        """Record that the SMTP server accepted the message."""
        self.sent_at = timezone.now()
        type(self).objects.filter(pk=self.pk).update(sent_at=self.sent_at)

    def record_failure(self, error: str, *, retry_in: Any) -> None:
        """Record why sending failed and when to try again."""
        self.last_error = error[:2000]
        self.not_before = timezone.now() + retry_in
        type(self).objects.filter(pk=self.pk).update(
            last_error=self.last_error, not_before=self.not_before
        )

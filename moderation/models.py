"""The removal log and incoming items (MOD-1 … MOD-7).

`RemovedPost` is append-only: nothing in the application updates or deletes a row, the
admin offers neither, and on PostgreSQL triggers refuse UPDATE and DELETE (migration
0003). A correction is a new record pointing at the one it corrects. Every record carries a
SHA-256 over its canonical content and the previous record's hash, one chain per
organisation (`ChainHead`), so `verify_moderation_log` can prove that nothing was changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import SocialAccount

GENESIS_HASH = "0" * 64


class RemovalReason(models.Model):
    """One of the reasons a post may be removed (MOD-2, Bilaga 1 "Inläggshantering och
    avpublicering"), with its legal reference. Configuration: seeded by migration 0002,
    edited in the admin, never deleted once used (records point at it with PROTECT).
    """

    code = models.SlugField(_("kod"), max_length=40, unique=True)
    label = models.CharField(_("skäl"), max_length=200)
    legal_reference = models.CharField(_("lagrum"), max_length=200, blank=True)
    preserve_content = models.BooleanField(
        _("innehållet ska bevaras"),
        default=True,
        help_text=_("Av: innehållet behöver inte sparas (t.ex. reklam). Händelsen loggas ändå."),
    )
    confidential_by_default = models.BooleanField(
        _("sekretess som standard"),
        default=False,
        help_text=_("Poster med detta skäl markeras som sekretess (MOD-3)."),
    )
    active = models.BooleanField(_("används"), default=True)
    position = models.PositiveSmallIntegerField(_("ordning"), default=100)

    class Meta:
        verbose_name = _("skäl för avpublicering")
        verbose_name_plural = _("skäl för avpublicering")
        ordering = ["position", "label"]

    def __str__(self) -> str:
        if self.legal_reference:
            return f"{self.label} ({self.legal_reference})"
        return self.label


class RegistrationDecision(models.TextChoices):
    """MOD-4, "Diarieföring": the guideline's criteria for registering, or not."""

    LEADS_TO_ACTION = "action", _("Diarieförs: leder till åtgärd från kommunen")
    WILL_BECOME_CASE = "case", _("Diarieförs: bedöms bli ett ärende")
    EXISTING_CASE = "existing", _("Diarieförs: relevant för ett befintligt ärende")
    SPECIAL_INTEREST = "interest", _("Diarieförs: av särskilt intresse")
    CONFIDENTIAL = "confidential", _("Diarieförs: innehåller sekretess")
    PASSING = "passing", _("Diarieförs inte: av ringa eller tillfällig betydelse")
    OUTSIDE = "outside", _("Diarieförs inte: utanför kommunens ansvar")

    @classmethod
    def register_values(cls) -> frozenset[str]:
        return frozenset(
            {
                cls.LEADS_TO_ACTION,
                cls.WILL_BECOME_CASE,
                cls.EXISTING_CASE,
                cls.SPECIAL_INTEREST,
                cls.CONFIDENTIAL,
            }
        )


class ChainHead(models.Model):
    """The end of one organisation's hash chain: position and hash of its last record.

    New records lock this row (select_for_update) to take the next position, so two
    removals logged at the same moment can't both follow the same record and fork the
    chain.
    """

    organisation = models.CharField(max_length=200, unique=True)
    position = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("kedjans slut")
        verbose_name_plural = _("kedjornas slut")

    def __str__(self) -> str:
        return f"{self.organisation} #{self.position}"


class RemovedPostQuerySet(models.QuerySet["RemovedPost"]):
    def visible_to(self, user: Any) -> RemovedPostQuerySet:
        """Return the records of the accounts whose internal data the user may see."""
        return self.filter(account__in=SocialAccount.objects.visible_to(user))

    def current(self) -> RemovedPostQuerySet:
        """Return the records that no later record corrects."""
        return self.filter(corrected_by__isnull=True)

    def with_line_confidentiality(self) -> RemovedPostQuerySet:
        """Annotate `_line_confidential`: whether any record of the row's line of
        corrections (its first record and every correction of it) is confidential.

        MOD-3, "Gallra otillåtna inlägg/kommentarer": marking a record confidential through
        a correction must restrict the earlier versions too, or the original's page would
        still show what the correction hides. Why an EXISTS and not a stored flag: records
        can't be updated (MOD-1, append-only, triggers on PostgreSQL), so the original
        can't be flagged when a later correction turns confidential; a side table written
        at insert time would hold a decision outside the hash chain, where deleting one row
        would quietly lift the restriction. The EXISTS reads only the hashed `confidential`
        column of the line, is one subquery per list query (no per-row queries), and uses
        the index on `original`.
        """
        if "_line_confidential" in self.query.annotations:
            return self
        root = Coalesce(OuterRef("original_id"), OuterRef("pk"))
        line = RemovedPost.objects.filter(Q(pk=root) | Q(original_id=root), confidential=True)
        return self.annotate(_line_confidential=Exists(line))

    def pending_registration(self) -> RemovedPostQuerySet:
        """Return current records decided "register" whose hand-off has no diarienummer."""
        return self.current().filter(
            Q(registration_decision__in=RegistrationDecision.register_values())
            & (
                Q(original__isnull=True, registration__isnull=True)
                | Q(original__isnull=False, original__registration__isnull=True)
            )
        )


class RemovedPost(models.Model):
    """A post or comment removed from an account, saved before it was unpublished (MOD-1)."""

    class Kind(models.TextChoices):
        POST = "post", _("Inlägg")
        COMMENT = "comment", _("Kommentar")
        REPLY = "reply", _("Svar på kommentar")
        MESSAGE = "message", _("Meddelande")

    account = models.ForeignKey(
        SocialAccount,
        verbose_name=_("konto"),
        on_delete=models.PROTECT,
        related_name="removed_posts",
    )
    post_url = models.URLField(_("adress till inlägget"), max_length=500, blank=True)
    platform_post_id = models.CharField(_("plattformens id"), max_length=200, blank=True)
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    sender_name = models.CharField(_("avsändare"), max_length=200, blank=True)
    sender_profile_url = models.URLField(_("avsändarens profil"), max_length=500, blank=True)
    posted_at = models.DateTimeField(_("publicerat"))
    context = models.TextField(
        _("sammanhang"), blank=True, help_text=_("Tråden eller inlägget det hörde till.")
    )
    content = models.TextField(_("innehåll"), blank=True)
    content_preserved = models.BooleanField(_("innehållet sparat"), default=True)
    removed_at = models.DateTimeField(_("borttaget"))
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("borttaget av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.ForeignKey(
        RemovalReason, verbose_name=_("skäl"), on_delete=models.PROTECT, related_name="+"
    )
    motivation = models.TextField(_("motivering"))
    sender_informed = models.BooleanField(_("avsändaren informerad"), default=False)
    confidential = models.BooleanField(_("sekretess"), default=False)
    registration_decision = models.CharField(
        _("diarieföring"), max_length=20, choices=RegistrationDecision.choices
    )
    # Corrections: the record this one corrects, and the first record of the line (so a
    # line of corrections shares one hand-off to the records system).
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("rättar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
    )
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correction_note = models.TextField(_("vad som rättas"), blank=True)
    source_incoming = models.ForeignKey(
        "IncomingItem",
        verbose_name=_("från inkommet ärende"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="removals",
    )
    created_at = models.DateTimeField(_("loggat"), default=timezone.now)

    # The hash chain.
    chain = models.ForeignKey(ChainHead, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveBigIntegerField(_("löpnummer"))
    previous_hash = models.CharField(max_length=64)
    record_hash = models.CharField(_("kontrollsumma"), max_length=64)

    objects = RemovedPostQuerySet.as_manager()

    # Not stored: set per request by the views. `readable`: whether the user may read the
    # content (accounts.permissions.may_read_content, MOD-3); `waited`/`escalated`: the
    # hand-off list's working days without a diarienummer and whether that passes the limit.
    readable: bool
    waited: int
    escalated: bool

    class Meta:
        verbose_name = _("borttaget inlägg")
        verbose_name_plural = _("borttagna inlägg")
        ordering = ["-removed_at", "-position"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="removedpost_chain_pos"),
        ]
        indexes = [
            # The log of one account, newest first (account pages, exports by period).
            models.Index(fields=["account", "removed_at"], name="removedpost_account_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.account_id} {self.removed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("moderation:removal_detail", args=[self.pk])

    def canonical(self, evidence_hashes: list[str]) -> str:
        """Return the canonical text the record's hash covers (sorted-key JSON)."""

        def stamp(value: dt.datetime) -> str:
            return value.astimezone(dt.UTC).isoformat(timespec="microseconds")

        return json.dumps(
            {
                "organisation": self.chain.organisation,
                "position": self.position,
                "account": self.account_id,
                "post_url": self.post_url,
                "platform_post_id": self.platform_post_id,
                "kind": self.kind,
                "sender_name": self.sender_name,
                "sender_profile_url": self.sender_profile_url,
                "posted_at": stamp(self.posted_at),
                "context": self.context,
                "content": self.content,
                "content_preserved": self.content_preserved,
                "removed_at": stamp(self.removed_at),
                "removed_by": self.removed_by_id,
                "reason": self.reason.code,
                "motivation": self.motivation,
                "sender_informed": self.sender_informed,
                "confidential": self.confidential,
                "registration_decision": self.registration_decision,
                "corrects": self.corrects_id,
                "source_incoming": self.source_incoming_id,
                "evidence": sorted(evidence_hashes),
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def compute_hash(self, evidence_hashes: list[str]) -> str:
        """Return SHA-256 over the previous hash and the canonical content."""
        data = f"{self.previous_hash}\n{self.canonical(evidence_hashes)}".encode()
        return hashlib.sha256(data).hexdigest()

    @property
    def needs_registration(self) -> bool:
        return self.registration_decision in RegistrationDecision.register_values()

    def lineage_root(self) -> RemovedPost:
        return self.original or self

    @property
    def line_confidential(self) -> bool:
        """Whether this record's line of corrections holds a confidential record (MOD-3):
        then every version of it is restricted. Read from the annotation of
        `RemovedPostQuerySet.with_line_confidentiality()` when the row came from there
        (lists ask no further queries); otherwise one query, remembered on the instance.
        """
        known = self.__dict__.get("_line_confidential")
        if known is None:
            if self.confidential or self.pk is None:
                known = self.confidential
            else:
                root = self.original_id or self.pk
                known = RemovedPost.objects.filter(
                    Q(pk=root) | Q(original_id=root), confidential=True
                ).exists()
            self.__dict__["_line_confidential"] = known
        return bool(known)

    @property
    def current_registration(self) -> Registration | None:
        """Return the hand-off of this record's line of corrections, if registered.

        Views select_related("registration", "original__registration") so that a list
        asks no further queries.
        """
        try:
            return self.lineage_root().registration
        except ObjectDoesNotExist:
            return None


def evidence_name(sha256: str, filename: str) -> str:
    """Return the content-addressed name an evidence file is stored under. A second upload
    of the same bytes can't overwrite the first: FileSystemStorage never overwrites (it
    picks a new name instead)."""
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"moderation/evidence/{sha256[:2]}/{sha256}.{suffix}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return evidence_name(instance.sha256, filename)


class Evidence(models.Model):
    """A screenshot or image saved with a removal (MOD-1). Never replaced or deleted; its
    SHA-256 is part of the record's hash."""

    removed_post = models.ForeignKey(RemovedPost, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("fil"), upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("filnamn"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("storlek"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bevis")
        verbose_name_plural = _("bevis")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("moderation:evidence", args=[self.pk])


class Registration(models.Model):
    """The hand-off to the records system (MOD-3, MOD-4, "Diarieföring"): the diarienummer,
    the date and who registered it. One per line of corrections (on its first record)."""

    removed_post = models.OneToOneField(
        RemovedPost, on_delete=models.PROTECT, related_name="registration"
    )
    diarienummer = models.CharField(_("diarienummer"), max_length=60)
    registered_on = models.DateField(_("diarieförd den"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diarieförd av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("diarieföring")
        verbose_name_plural = _("diarieföringar")

    def __str__(self) -> str:
        return self.diarienummer


class HandoffReminder(models.Model):
    """One day's reminder about a pending hand-off; unique per day so the task is safe to
    run twice."""

    removed_post = models.ForeignKey(
        RemovedPost, on_delete=models.CASCADE, related_name="handoff_reminders"
    )
    sent_on = models.DateField()
    escalated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["removed_post", "sent_on"], name="handoffreminder_one_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.removed_post_id} {self.sent_on}"


class LogCheck(models.Model):
    """The result of one day's chain check (the daily task); unique per day."""

    checked_on = models.DateField(_("kontrollerad"), unique=True)
    ok = models.BooleanField(_("kedjan hel"))
    checked = models.PositiveIntegerField(_("antal poster"))
    message = models.TextField(_("meddelande"), blank=True)
    broken_record_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("kontroll av loggen")
        verbose_name_plural = _("kontroller av loggen")
        ordering = ["-checked_on"]

    def __str__(self) -> str:
        return f"{self.checked_on} {'ok' if self.ok else 'BRUTEN'}"


class ClosedDay(models.Model):
    """A day the organisation is closed beyond public holidays (e.g. a klämdag)."""

    date = models.DateField(_("datum"), unique=True)
    description = models.CharField(_("beskrivning"), max_length=200)

    class Meta:
        verbose_name = _("stängd dag")
        verbose_name_plural = _("stängda dagar")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.description}"


class IncomingItemQuerySet(models.QuerySet["IncomingItem"]):
    def visible_to(self, user: Any) -> IncomingItemQuerySet:
        return self.filter(account__in=SocialAccount.objects.visible_to(user))

    def open(self) -> IncomingItemQuerySet:
        return self.filter(outcome=IncomingItem.Outcome.OPEN)

    def overdue(self, now: dt.datetime | None = None) -> IncomingItemQuerySet:
        """Return open items with no first response whose due time has passed (MOD-5)."""
        return self.open().filter(first_response_at__isnull=True, due_at__lt=now or timezone.now())


class IncomingItem(models.Model):
    """A question, comment or piece of feedback that came in on an account (MOD-5 … MOD-7),
    handled as in Bilaga 4 "Flödesschema för inkomna svar, kommentarer och synpunkter".
    """

    class Kind(models.TextChoices):
        QUESTION = "question", _("Fråga")
        COMMENT = "comment", _("Kommentar")
        FEEDBACK = "feedback", _("Synpunkt")
        POLITICAL = "political", _("Politisk fråga")
        CRITICISM = "criticism", _("Kritik eller felaktighet om kommunen")

    class Outcome(models.TextChoices):
        OPEN = "open", _("Öppen")
        ANSWERED = "answered", _("Besvarad")
        FORWARDED = "forwarded", _("Vidarebefordrad")
        REFERRED = "referred", _("Hänvisad till partierna")
        UNPUBLISHED = "unpublished", _("Avpublicerad")
        REGISTERED = "registered", _("Diarieförd")
        NO_ANSWER = "no_answer", _("Inget svar behövs")

    account = models.ForeignKey(
        SocialAccount,
        verbose_name=_("konto"),
        on_delete=models.PROTECT,
        related_name="incoming_items",
    )
    received_at = models.DateTimeField(_("inkom"))
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("text"))
    url = models.URLField(_("länk"), max_length=500, blank=True)
    sender_name = models.CharField(_("avsändare"), max_length=200, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handläggs av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_items",
    )
    confidential = models.BooleanField(_("sekretess"), default=False)
    notify_communications = models.BooleanField(
        _("informera kommunikationsavdelningen"),
        default=False,
        help_text=_("För kritik eller felaktigheter som behöver kommunikationsavdelningen."),
    )
    due_at = models.DateTimeField(_("ska besvaras senast"), editable=False)
    first_response_at = models.DateTimeField(_("första svar"), null=True, blank=True)
    promised_answer = models.CharField(_("besked om när svar kommer"), max_length=300, blank=True)

    outcome = models.CharField(
        _("utfall"), max_length=20, choices=Outcome.choices, default=Outcome.OPEN
    )
    reply = models.TextField(_("svar"), blank=True)
    signed_name = models.CharField(_("undertecknat namn"), max_length=150, blank=True)
    signed_title = models.CharField(_("undertecknad titel"), max_length=150, blank=True)
    signed_office = models.CharField(_("undertecknat kontor"), max_length=150, blank=True)
    forwarded_to = models.CharField(_("vidarebefordrad till"), max_length=200, blank=True)
    registration_decision = models.CharField(
        _("diarieföring"), max_length=20, choices=RegistrationDecision.choices, blank=True
    )
    diarienummer = models.CharField(_("diarienummer"), max_length=60, blank=True)
    closed_at = models.DateTimeField(_("avslutad"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Reminders sent so far: 0 none, 1 owner (or the substitute in force), 2 deputies,
    # 3 the communications office. Raised with a conditional UPDATE by the task.
    reminder_level = models.PositiveSmallIntegerField(default=0, editable=False)
    last_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = IncomingItemQuerySet.as_manager()

    # Not stored: set per request by the views, whether the user may read the content
    # (accounts.permissions.may_read_content, MOD-3).
    readable: bool

    class Meta:
        verbose_name = _("inkommet ärende")
        verbose_name_plural = _("inkomna ärenden")
        ordering = ["-received_at"]
        indexes = [
            # The overdue list and the reminder task: open items by due time.
            models.Index(fields=["outcome", "due_at"], name="incoming_open_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="registered") | ~Q(diarienummer=""),
                name="incoming_registered_has_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.received_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("moderation:incoming_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.OPEN

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return (
            self.is_open
            and self.first_response_at is None
            and self.due_at < (now or timezone.now())
        )

    @property
    def responded_at(self) -> dt.datetime | None:
        """Return when the first response (a reply, a notice, a closing) was given."""
        return self.first_response_at or self.closed_at

    def met_rule(self) -> bool | None:
        """Return whether the first response came in time; None while there is none."""
        responded = self.responded_at
        return None if responded is None else responded <= self.due_at

    @staticmethod
    def signature_problems(reply: str, *, name: str, title: str, office: str) -> list[str]:
        """Return what is missing from a reply's signature (MOD-5, "Frekvenser och
        svarstider": "Svar skrivs under med namn, titel och ... kontor/avdelning")."""
        text = reply.casefold()
        problems = []
        for label, value in ((_("namn"), name), (_("titel"), title), (_("kontor"), office)):
            if not value.strip():
                problems.append(str(_("Underskriften saknar %(part)s.") % {"part": label}))
            elif value.strip().casefold() not in text:
                problems.append(
                    str(
                        _("Svaret är inte undertecknat med %(part)s (”%(value)s”).")
                        % {"part": label, "value": value.strip()}
                    )
                )
        return problems

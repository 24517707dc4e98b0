"""The removal log and incoming items (MOD-1 … MOD-7).

`RemovedPost` is append-only: nothing in the application updates or deletes a row, the
admin offers neither, and on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE
(migrations 0003 and 0008). A correction is a new record pointing at the one it corrects.
Every record carries an HMAC over its canonical content and the previous record's hash
(moderation.chain: the key lives outside the database), one chain of removals and one of
registrations per organisation (`ChainHead`), anchored outside the database every day
(`ChainAnchor`), so `verify_moderation_log` can prove that nothing was changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from moderation import chain as keyed
from moderation.chain import GENESIS_HASH
from moderation.chain import utc_stamp as _stamp
from nykvarn_sm.lib.uploads import extension_for
from registry.models import SocialAccount


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
    """The end of one of the organisation's hash chains: position and hash of its last entry.

    Two chains per organisation: the removal records and the registrations (diarienummer)
    added to them later. New entries lock this row (select_for_update) to take the next
    position, so two entries made at the same moment can't both follow the same one and
    fork the chain. `head_mac` seals position and hash with the chain key
    (moderation.chain), so moving the head back over deleted entries shows; `legacy_*`
    seal the part of the chain made before it was keyed (migration 0006).
    """

    class Kind(models.TextChoices):
        REMOVALS = "removals", _("Borttagna inlägg")
        REGISTRATIONS = "registrations", _("Diarieföringar")

    organisation = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REMOVALS)
    position = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    head_key_id = models.CharField(max_length=40, blank=True)
    head_mac = models.CharField(max_length=64, blank=True)
    legacy_position = models.PositiveBigIntegerField(default=0)
    legacy_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    legacy_key_id = models.CharField(max_length=40, blank=True)
    legacy_mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("kedjans slut")
        verbose_name_plural = _("kedjornas slut")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="chainhead_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.kind} #{self.position}"

    def sealed_head(self, *, position: int, last_hash: str) -> dict[str, str]:
        """Return the head fields that seal a new end of the chain with the current key."""
        key_id = keyed.current_key_id()
        return {
            "head_key_id": key_id,
            "head_mac": keyed.head_seal(key_id, self.organisation, self.kind, position, last_hash),
        }

    def head_seal_holds(self) -> bool:
        """Return whether the head's position and hash are as the product last sealed them."""
        if self.position == 0 and not self.head_mac:
            return True  # an empty chain, never appended to
        return keyed.seal_matches(
            self.head_key_id,
            self.head_mac,
            "head",
            self.organisation,
            self.kind,
            self.position,
            self.last_hash,
        )

    def legacy_seal_holds(self) -> bool:
        """Return whether the legacy (plain SHA-256) part of the chain is the one sealed
        when the chain was keyed."""
        if self.legacy_position == 0:
            return True
        return keyed.seal_matches(
            self.legacy_key_id,
            self.legacy_mac,
            "legacy",
            self.organisation,
            self.kind,
            self.legacy_position,
            self.legacy_hash,
        )


class ChainAnchor(models.Model):
    """One day's anchor of a chain outside the database: its count and head hash, sent to
    the archivists by e-mail and, when a TSA is configured, stamped by it (RFC 3161).

    A rewrite of an anchored entry or a truncation below an anchored count is then shown
    even by someone who holds the chain key (verify_moderation_log). `mac` seals the row
    with the chain key; `token` is the TSA's reply over `digest`, the SHA-256 of the
    statement (moderation.chain.anchor_statement), stored exactly as it came.
    """

    chain = models.ForeignKey(
        ChainHead, verbose_name=_("kedja"), on_delete=models.PROTECT, related_name="anchors"
    )
    anchored_on = models.DateField(_("datum"))
    position = models.PositiveBigIntegerField(_("antal poster"))
    head_hash = models.CharField(_("kedjans huvud"), max_length=64)
    digest = models.CharField(_("SHA-256 av intyget"), max_length=64)
    key_id = models.CharField(_("nyckel"), max_length=40)
    mac = models.CharField(_("MAC"), max_length=64)
    token = models.BinaryField(_("tidsstämpel"), null=True, blank=True)
    timestamped_at = models.DateTimeField(_("tidsstämplad"), null=True, blank=True)
    tsa_serial = models.CharField(_("tidsstämpelns serienummer"), max_length=80, blank=True)
    timestamp_error = models.TextField(_("fel vid tidsstämpling"), blank=True)
    mailed_at = models.DateTimeField(_("skickat till arkivarierna"), null=True, blank=True)
    created_at = models.DateTimeField(_("skapad"), default=timezone.now)

    class Meta:
        verbose_name = _("förankring av loggen")
        verbose_name_plural = _("förankringar av loggen")
        ordering = ["-anchored_on", "chain"]
        constraints = [
            # One anchor per chain and day: the daily task is safe to run twice.
            models.UniqueConstraint(fields=["chain", "anchored_on"], name="chainanchor_one_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.chain} {self.anchored_on}"

    def statement(self) -> str:
        return keyed.anchor_statement(
            organisation=self.chain.organisation,
            kind=self.chain.kind,
            anchored_on=self.anchored_on.isoformat(),
            position=self.position,
            head_hash=self.head_hash,
        )

    def statement_digest(self) -> str:
        return hashlib.sha256(self.statement().encode()).hexdigest()

    def seal_parts(self) -> tuple[object, ...]:
        return ("anchor", self.statement(), self.digest)

    def seal_holds(self) -> bool:
        return keyed.seal_matches(self.key_id, self.mac, *self.seal_parts())


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
    # The reason's wording and legal reference as they were when the record was made
    # (covered by its hash): a reason edited later does not change what the record says.
    reason_label = models.CharField(_("skäl (ordalydelse)"), max_length=200, blank=True)
    reason_legal_reference = models.CharField(_("lagrum"), max_length=200, blank=True)
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
        "self",
        verbose_name=_("första versionen"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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
    chain = models.ForeignKey(
        ChainHead, verbose_name=_("kedja"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveBigIntegerField(_("löpnummer"))
    previous_hash = models.CharField(_("föregående kontrollsumma"), max_length=64)
    record_hash = models.CharField(_("kontrollsumma"), max_length=64)
    # The chain key the hash was made with (moderation.chain; "sha256": a legacy record).
    key_id = models.CharField(_("nyckel"), max_length=40)

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
        return f"{self.heading}, {self.account}, {self.removed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("moderation:removal_detail", args=[self.pk])

    @property
    def heading(self) -> str:
        """Name the record as the log's reader says it: "Borttagen kommentar 7" (MOD-1)."""
        headings: dict[str, Any] = {
            self.Kind.POST: _("Borttaget inlägg %(n)s"),
            self.Kind.COMMENT: _("Borttagen kommentar %(n)s"),
            self.Kind.REPLY: _("Borttaget svar på kommentar %(n)s"),
            self.Kind.MESSAGE: _("Borttaget meddelande %(n)s"),
        }
        return str(headings.get(self.kind, headings[self.Kind.POST])) % {"n": self.position}

    @property
    def stated_reason_label(self) -> str:
        """Return the reason's wording as the record states it (kept with the record;
        records from before it was kept show the reason's current wording)."""
        return self.reason_label or self.reason.label

    @property
    def stated_legal_reference(self) -> str:
        return self.reason_legal_reference if self.reason_label else self.reason.legal_reference

    @property
    def reason_text(self) -> str:
        label, reference = self.stated_reason_label, self.stated_legal_reference
        return f"{label} ({reference})" if reference else label

    def canonical(self, evidence: Sequence[Evidence]) -> str:
        """Return the canonical text the record's hash covers (sorted-key JSON): every
        field a reader relies on, the reason's wording, the links to other records and
        each evidence file's metadata."""
        if self.key_id == keyed.LEGACY_KEY_ID:
            return self._legacy_canonical([e.sha256 for e in evidence])
        return keyed.canonical_json(
            {
                "organisation": self.chain.organisation,
                "position": self.position,
                "key_id": self.key_id,
                "account": self.account_id,
                "post_url": self.post_url,
                "platform_post_id": self.platform_post_id,
                "kind": self.kind,
                "sender_name": self.sender_name,
                "sender_profile_url": self.sender_profile_url,
                "posted_at": _stamp(self.posted_at),
                "context": self.context,
                "content": self.content,
                "content_preserved": self.content_preserved,
                "removed_at": _stamp(self.removed_at),
                "removed_by": self.removed_by_id,
                "reason": self.reason.code,
                "reason_label": self.reason_label,
                "reason_legal_reference": self.reason_legal_reference,
                "motivation": self.motivation,
                "sender_informed": self.sender_informed,
                "confidential": self.confidential,
                "registration_decision": self.registration_decision,
                "corrects": self.corrects_id,
                "original": self.original_id,
                "correction_note": self.correction_note,
                "source_incoming": self.source_incoming_id,
                "created_at": _stamp(self.created_at),
                "evidence": sorted(
                    (e.facts() for e in evidence), key=lambda f: (f["sha256"], f["file"])
                ),
            }
        )

    def _legacy_canonical(self, evidence_hashes: list[str]) -> str:
        """The canonical text of the records made before the chain was keyed (plain
        SHA-256, key id "sha256"); kept so that they stay verifiable as they are."""
        return keyed.canonical_json(
            {
                "organisation": self.chain.organisation,
                "position": self.position,
                "account": self.account_id,
                "post_url": self.post_url,
                "platform_post_id": self.platform_post_id,
                "kind": self.kind,
                "sender_name": self.sender_name,
                "sender_profile_url": self.sender_profile_url,
                "posted_at": _stamp(self.posted_at),
                "context": self.context,
                "content": self.content,
                "content_preserved": self.content_preserved,
                "removed_at": _stamp(self.removed_at),
                "removed_by": self.removed_by_id,
                "reason": self.reason.code,
                "motivation": self.motivation,
                "sender_informed": self.sender_informed,
                "confidential": self.confidential,
                "registration_decision": self.registration_decision,
                "corrects": self.corrects_id,
                "source_incoming": self.source_incoming_id,
                "evidence": sorted(evidence_hashes),
            }
        )

    def compute_hash(self, evidence: Sequence[Evidence]) -> str:
        """Return the HMAC (under the record's key id) over the previous hash and the
        canonical content; raise moderation.chain.UnknownKey for a key not configured."""
        return keyed.entry_hash(self.key_id, self.previous_hash, self.canonical(evidence))

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


def evidence_name(sha256: str, content_type: str | None) -> str:
    """Return the content-addressed name an evidence file is stored under.

    The extension comes from the type the bytes show (nykvarn_sm.lib.uploads), never from
    the uploader's file name, so that "bild.html" holding a PNG is stored and served as a
    PNG. A second upload of the same bytes can't overwrite the first: FileSystemStorage
    never overwrites (it picks a new name instead)."""
    return f"moderation/evidence/{sha256[:2]}/{sha256}{extension_for(content_type)}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return evidence_name(instance.sha256, instance.content_type)


class Evidence(models.Model):
    """A screenshot or image saved with a removal (MOD-1). Never replaced or deleted; its
    SHA-256 is part of the record's hash."""

    removed_post = models.ForeignKey(
        RemovedPost,
        verbose_name=_("borttaget inlägg"),
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    file = models.FileField(_("fil"), upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("filnamn"), max_length=255)
    content_type = models.CharField(_("filtyp"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("storlek"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uppladdad"), default=timezone.now)

    class Meta:
        verbose_name = _("bevis")
        verbose_name_plural = _("bevis")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("moderation:evidence", args=[self.pk])

    def facts(self) -> dict[str, Any]:
        """Return the metadata the record's hash covers for this file."""
        return {
            "name": self.original_name,
            "file": self.file.name,
            "size": self.size,
            "content_type": self.content_type,
            "sha256": self.sha256,
            "uploaded_at": _stamp(self.uploaded_at),
        }


class Registration(models.Model):
    """The hand-off to the records system (MOD-3, MOD-4, "Diarieföring"): the diarienummer,
    the date and who registered it. One per line of corrections (on its first record).

    A registration is added after its record, so the record's hash can't cover it. It is an
    entry of a chain of its own (the organisation's REGISTRATIONS chain head), keyed like
    the removals' chain and covering the record's hash: a changed, removed or forged
    diarienummer shows in verify_moderation_log. (Not entries of the removals' chain: that
    would put gaps into the records' löpnummer, which people quote.)
    """

    removed_post = models.OneToOneField(
        RemovedPost,
        verbose_name=_("borttaget inlägg"),
        on_delete=models.PROTECT,
        related_name="registration",
    )
    diarienummer = models.CharField(_("diarienummer"), max_length=60)
    registered_on = models.DateField(_("diarieförd den"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diarieförd av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("registrerad"), default=timezone.now)

    # The registrations' hash chain (see above).
    chain = models.ForeignKey(
        ChainHead, verbose_name=_("kedja"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveBigIntegerField(_("löpnummer"))
    previous_hash = models.CharField(_("föregående kontrollsumma"), max_length=64)
    record_hash = models.CharField(_("kontrollsumma"), max_length=64)
    key_id = models.CharField(_("nyckel"), max_length=40)

    class Meta:
        verbose_name = _("diarieföring")
        verbose_name_plural = _("diarieföringar")
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="registration_chain_pos"),
        ]

    def __str__(self) -> str:
        return self.diarienummer

    def canonical(self) -> str:
        """Return the canonical text the registration's hash covers."""
        return keyed.registration_canonical(
            organisation=self.chain.organisation,
            position=self.position,
            key_id=self.key_id,
            removed_post=self.removed_post_id,
            removed_post_hash=self.removed_post.record_hash,
            diarienummer=self.diarienummer,
            registered_on=self.registered_on.isoformat(),
            registered_by=self.registered_by_id,
            entered_at=_stamp(self.entered_at) or "",
        )

    def compute_hash(self) -> str:
        return keyed.entry_hash(self.key_id, self.previous_hash, self.canonical())


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
    """The result of one day's check of the chains, their anchors and the evidence files
    (the daily task); unique per day."""

    checked_on = models.DateField(_("kontrollerad"), unique=True)
    ok = models.BooleanField(_("kedjan hel"))
    checked = models.PositiveIntegerField(_("antal poster"))
    message = models.TextField(_("meddelande"), blank=True)
    broken_record_id = models.BigIntegerField(_("första felaktiga post"), null=True, blank=True)
    evidence_checked = models.PositiveIntegerField(_("antal bevisfiler"), default=0)
    created_at = models.DateTimeField(_("skapad"), default=timezone.now)

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
        verbose_name=_("avslutat av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Reminders sent so far: 0 none, 1 owner (or the substitute in force), 2 deputies,
    # 3 the communications office. Raised with a conditional UPDATE by the task.
    reminder_level = models.PositiveSmallIntegerField(
        _("påminnelser skickade"), default=0, editable=False
    )
    last_reminded_at = models.DateTimeField(
        _("senast påmint"), null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrerat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registrerat"), default=timezone.now)

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

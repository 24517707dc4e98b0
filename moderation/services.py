"""Moderation workflows: logging removals, the hand-off to the records system, incoming items
and their reminders. Each function that changes state is atomic and writes its audit event
in the same transaction; e-mail goes out after commit (accounts.notify).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import AuditEvent, Department, Role, User
from accounts.notify import notify
from moderation import chain as chain_keys
from moderation.models import (
    ChainAnchor,
    ChainHead,
    ClosedDay,
    Evidence,
    HandoffReminder,
    IncomingItem,
    LogCheck,
    Registration,
    RegistrationDecision,
    RemovalReason,
    RemovedPost,
    evidence_name,
)
from moderation.workdays import WorkCalendar
from nykvarn_sm.lib.fixity import hashed_copy
from nykvarn_sm.lib.outbox import publish_on_commit
from nykvarn_sm.lib.uploads import sniff_type
from registry.models import SocialAccount, Substitute

# --- conflicts ----------------------------------------------------------------------------
# Two people acting on the same record or item at once: the second learns that someone
# else was first. ValueError subclasses, so callers that only know "refused" still work.


class AlreadyCorrected(ValueError):
    """The record has been corrected already: only its latest version can be corrected."""


class AlreadyRegistered(ValueError):
    """The record's line of corrections has its diarienummer already."""


class AlreadyClosed(ValueError):
    """The incoming item is no longer open."""


# --- working days -------------------------------------------------------------------------


def calendar() -> WorkCalendar:
    """Return the organisation's working-day calendar (holidays, eves, closed days)."""
    return WorkCalendar(
        closed_days=ClosedDay.objects.values_list("date", flat=True),
        tz=settings.TIME_ZONE,
        country=settings.MODERATION_HOLIDAY_COUNTRY,
        de_facto_eves=settings.MODERATION_DE_FACTO_EVES_CLOSED,
    )


def due_for(received_at: dt.datetime, cal: WorkCalendar | None = None) -> dt.datetime:
    """MOD-5, "Frekvenser och svarstider": "Svar på frågor bör ges inom en arbetsdag"."""
    cal = cal or calendar()
    return cal.due_at(received_at, settings.MODERATION_RESPONSE_WORKDAYS)


def response_rule() -> str:
    """Return the response-time rule in words as configured, e.g. "inom 1 arbetsdag"
    (MOD-5, "Frekvenser och svarstider"; MODERATION_RESPONSE_WORKDAYS)."""
    days = settings.MODERATION_RESPONSE_WORKDAYS
    return ngettext("inom %(n)s arbetsdag", "inom %(n)s arbetsdagar", days) % {"n": days}


# --- people to tell -----------------------------------------------------------------------


def communications_office() -> list[User]:
    return list(
        User.objects.filter(roles__code=Role.Code.COMMUNICATIONS, is_active=True).distinct()
    )


def managers_of(department: Department) -> list[User]:
    """Return the managers of a department: those placed in it or in any department above."""
    ids = [department.pk, *(d.pk for d in department.ancestors())]
    return list(
        User.objects.filter(
            roles__code=Role.Code.MANAGER, departments__in=ids, is_active=True
        ).distinct()
    )


# --- the removal log ----------------------------------------------------------------------


def _sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredEvidence:
    """An evidence file already on disk, waiting for its row in the log."""

    name: str
    sha256: str
    size: int
    original_name: str
    content_type: str


def _evidence_storage() -> Storage:
    return Evidence._meta.get_field("file").storage  # type: ignore[union-attr]


@contextmanager
def _stored_evidence(
    uploads: Sequence[UploadedFile], *, reason: RemovalReason
) -> Iterator[list[StoredEvidence]]:
    """Write the evidence files to storage before the chain is locked, and remove them
    again if the block fails.

    MOD-1: the disk write (screenshots can be megabytes) must not happen while the
    ChainHead row is locked, or every removal of the organisation queues behind it (and
    SQLite stays write-locked). So the files are stored first, under content-addressed
    names, and the locked transaction only inserts rows. If that transaction fails, the
    files this call wrote are deleted: removed content (often confidential) should not be
    left on disk with no record that permission-checks it, and deleting is safe because
    `Storage.save` never overwrites, so each name it returned belongs to this call alone
    (an identical upload elsewhere got a name of its own). A crash between the two steps
    leaves at worst an unreferenced file that nothing serves.
    """
    if not reason.preserve_content:
        # MOD-2, Bilaga 1: "Reklam eller kommersiella budskap (tas bort men behöver ej
        # bevaras)" – the event is logged, the content and any screenshots are not kept.
        uploads = ()
    storage = _evidence_storage()
    stored: list[StoredEvidence] = []
    try:
        for upload in uploads:
            # Every received upload has a name and a size; the stubs allow None for any File.
            assert upload.name is not None and upload.size is not None
            sha = _sha256_of(upload)
            # The type the bytes show, never the browser's claim (the form has already
            # refused anything else; this covers other callers).
            kind = sniff_type(upload)
            name = storage.save(evidence_name(sha, kind), upload, max_length=300)
            stored.append(
                StoredEvidence(
                    name=name,
                    sha256=sha,
                    size=upload.size,
                    original_name=upload.name[:255],
                    content_type=kind or "application/octet-stream",
                )
            )
        yield stored
    except BaseException:
        for item in stored:
            storage.delete(item.name)
        raise


def _lock_chain(kind: str = ChainHead.Kind.REMOVALS) -> ChainHead:
    """Lock and return one of the organisation's chain heads. Call inside a transaction.

    The lock that keeps the chain linear: whoever holds the head row takes the next
    position; a concurrent append waits here and then follows that entry.
    """
    chain, _created = ChainHead.objects.get_or_create(
        organisation=settings.ORGANISATION_NAME, kind=kind
    )
    return ChainHead.objects.select_for_update().get(pk=chain.pk)


def _advance_head(chain: ChainHead, *, position: int, last_hash: str) -> None:
    """Move the locked head to the new last entry, sealed with the chain key."""
    ChainHead.objects.filter(pk=chain.pk).update(
        position=position,
        last_hash=last_hash,
        **chain.sealed_head(position=position, last_hash=last_hash),
    )


def _append(*, by: User, fields: dict[str, Any], evidence: Sequence[StoredEvidence]) -> RemovedPost:
    """Append one record to the organisation's chain. Call inside a transaction, with the
    evidence files already stored (`_stored_evidence`): only rows are written under the
    lock."""
    reason: RemovalReason = fields["reason"]
    if not reason.preserve_content:
        # MOD-2, Bilaga 1 (see _stored_evidence): no content for advertising.
        fields = {**fields, "content": "", "content_preserved": False}
        evidence = []
    chain = _lock_chain()
    fields = {"removed_by": by, **fields}
    record = RemovedPost(
        **fields,
        # MOD-2, Bilaga 1: the reason as worded when the record was made, under its hash.
        reason_label=reason.label,
        reason_legal_reference=reason.legal_reference,
        chain=chain,
        position=chain.position + 1,
        previous_hash=chain.last_hash,
        key_id=chain_keys.current_key_id(),
    )
    now = timezone.now()
    rows = [
        Evidence(
            removed_post=record,
            file=item.name,
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_at=now,
        )
        for item in evidence
    ]
    record.record_hash = record.compute_hash(rows)
    record.save(force_insert=True)
    for row in rows:
        row.removed_post = record
        row.save(force_insert=True)
    _advance_head(chain, position=record.position, last_hash=record.record_hash)
    return record


def log_removal(
    *,
    by: User,
    account: SocialAccount,
    reason: RemovalReason,
    kind: str,
    posted_at: dt.datetime,
    removed_at: dt.datetime,
    motivation: str,
    registration_decision: str,
    content: str = "",
    context: str = "",
    post_url: str = "",
    platform_post_id: str = "",
    sender_name: str = "",
    sender_profile_url: str = "",
    sender_informed: bool = False,
    confidential: bool = False,
    evidence: Sequence[UploadedFile] = (),
    incoming: IncomingItem | None = None,
) -> RemovedPost:
    """Log a removed post or comment with everything known about it (MOD-1).

    Given `incoming`, the incoming item is closed as unpublished (MOD-6, Bilaga 4).
    Evidence files are stored first, outside the transaction (`_stored_evidence`); the
    record, its evidence rows and the audit event are then written in one short atomic
    transaction (`_log_removal`).
    """
    with _stored_evidence(evidence, reason=reason) as stored:
        return _log_removal(
            by=by,
            account=account,
            incoming=incoming,
            evidence=stored,
            fields={
                "account": account,
                "reason": reason,
                "kind": kind,
                "posted_at": posted_at,
                "removed_at": removed_at,
                "motivation": motivation,
                "registration_decision": registration_decision,
                "content": content,
                "context": context,
                "post_url": post_url,
                "platform_post_id": platform_post_id,
                "sender_name": sender_name,
                "sender_profile_url": sender_profile_url,
                "sender_informed": sender_informed,
                "confidential": confidential,
                "source_incoming": incoming,
            },
        )


@transaction.atomic
def _log_removal(
    *,
    by: User,
    account: SocialAccount,
    incoming: IncomingItem | None,
    evidence: Sequence[StoredEvidence],
    fields: dict[str, Any],
) -> RemovedPost:
    reason: RemovalReason = fields["reason"]
    if (
        reason.confidential_by_default
        or fields["registration_decision"] == RegistrationDecision.CONFIDENTIAL
        # MOD-3: an incoming item logged as confidential stays so when it is unpublished,
        # whoever logs the removal.
        or (incoming is not None and incoming.confidential)
    ):
        fields = {**fields, "confidential": True}
    if incoming is not None:
        # Claim the item first: two people unpublishing the same comment at once must not
        # both close it (the loser's transaction rolls back, logging nothing).
        now = timezone.now()
        claimed = IncomingItem.objects.filter(
            pk=incoming.pk, outcome=IncomingItem.Outcome.OPEN
        ).update(outcome=IncomingItem.Outcome.UNPUBLISHED, closed_at=now, closed_by=by)
        if claimed != 1:
            raise AlreadyClosed("The incoming item is already closed.")
        IncomingItem.objects.filter(pk=incoming.pk, first_response_at__isnull=True).update(
            first_response_at=now
        )
    record = _append(by=by, fields=fields, evidence=evidence)
    AuditEvent.record(
        actor=by,
        action="moderation.removal_logged",
        target=record,
        details={
            "reason": reason.code,
            "confidential": record.confidential,
            "position": record.position,
        },
    )
    if incoming is not None:
        AuditEvent.record(
            actor=by,
            action="moderation.incoming_unpublished",
            target=incoming,
            details={"removed_post": record.pk},
        )
    return record


CORRECTABLE_FIELDS = (
    "reason",
    "kind",
    "posted_at",
    "removed_at",
    "motivation",
    "registration_decision",
    "content",
    "context",
    "post_url",
    "platform_post_id",
    "sender_name",
    "sender_profile_url",
    "sender_informed",
    "confidential",
)


def correct_removal(
    *,
    by: User,
    record: RemovedPost,
    correction_note: str,
    changes: dict[str, Any],
    evidence: Sequence[UploadedFile] = (),
) -> RemovedPost:
    """Append a record that corrects `record`; the original stays as it was (MOD-1).
    New evidence files are stored before the short locked transaction, as in
    `log_removal`."""
    reason: RemovalReason = changes.get("reason") or record.reason
    with _stored_evidence(evidence, reason=reason) as stored:
        return _correct_removal(
            by=by,
            record=record,
            correction_note=correction_note,
            changes=changes,
            evidence=stored,
        )


@transaction.atomic
def _correct_removal(
    *,
    by: User,
    record: RemovedPost,
    correction_note: str,
    changes: dict[str, Any],
    evidence: Sequence[StoredEvidence],
) -> RemovedPost:
    # Two people correcting the same record at once: every append takes the chain lock,
    # so taking it before the check makes the check see a correction committed by whoever
    # held it before us (on PostgreSQL a statement after the wait reads the new commit),
    # instead of both passing the check and the second failing on `corrects`' uniqueness.
    _lock_chain()
    if RemovedPost.objects.filter(corrects=record).exists():
        raise AlreadyCorrected("Only the current version of a record can be corrected.")
    fields = {name: getattr(record, name) for name in CORRECTABLE_FIELDS}
    fields.update({k: v for k, v in changes.items() if k in CORRECTABLE_FIELDS})
    if record.line_confidential:
        # Once confidential, a correction can't quietly lift the restriction (MOD-3: the
        # whole line of corrections is restricted anyway, see RemovedPost.line_confidential).
        fields["confidential"] = True
    fields.update(
        account=record.account,
        corrects=record,
        original=record.lineage_root(),
        correction_note=correction_note,
        source_incoming=record.source_incoming,
        removed_by=record.removed_by,
    )
    new = _append(by=by, fields=fields, evidence=evidence)
    AuditEvent.record(
        actor=by,
        action="moderation.removal_corrected",
        target=new,
        details={"corrects": record.pk, "position": new.position},
    )
    return new


@transaction.atomic
def register_removal(
    *, by: User, record: RemovedPost, diarienummer: str, registered_on: dt.date
) -> Registration:
    """Record the hand-off to the records system (MOD-3, MOD-4, "Diarieföring"), as the
    next entry of the registrations' chain (see Registration)."""
    root = record.lineage_root()
    chain = _lock_chain(ChainHead.Kind.REGISTRATIONS)
    if Registration.objects.filter(removed_post=root).exists():
        raise AlreadyRegistered("The record is registered already.")
    registration = Registration(
        removed_post=root,
        diarienummer=diarienummer.strip(),
        registered_on=registered_on,
        registered_by=by,
        chain=chain,
        position=chain.position + 1,
        previous_hash=chain.last_hash,
        key_id=chain_keys.current_key_id(),
    )
    registration.record_hash = registration.compute_hash()
    try:
        # One hand-off per line of corrections, held by the unique removed_post: when two
        # people enter a diarienummer at once, the second insert is refused here.
        with transaction.atomic():
            registration.save(force_insert=True)
    except IntegrityError:
        raise AlreadyRegistered("The record is registered already.") from None
    _advance_head(chain, position=registration.position, last_hash=registration.record_hash)
    AuditEvent.record(
        actor=by,
        action="moderation.removal_registered",
        target=root,
        details={"diarienummer": registration.diarienummer},
    )
    return registration


def registration_for(record: RemovedPost) -> Registration | None:
    root = record.lineage_root()
    return Registration.objects.filter(removed_post=root).first()


# --- the chain check ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the chains and their anchors: `problems` names every
    finding; `message` is all of them in one text and `broken` the first record found
    broken, if any."""

    ok: bool
    checked: int
    broken: RemovedPost | None = None
    message: str = ""
    problems: tuple[str, ...] = ()


def _entries(chain: ChainHead) -> Iterator[RemovedPost | Registration]:
    if chain.kind == ChainHead.Kind.REGISTRATIONS:
        registrations = Registration.objects.filter(chain=chain).select_related(
            "chain", "removed_post"
        )
        yield from registrations.order_by("position").iterator(chunk_size=500)
        return
    records = (
        RemovedPost.objects.filter(chain=chain)
        .select_related("chain", "reason")
        .prefetch_related("evidence")
        .order_by("position")
    )
    yield from records.iterator(chunk_size=500)


def _entry_hash(entry: RemovedPost | Registration) -> str:
    if isinstance(entry, RemovedPost):
        return entry.compute_hash(list(entry.evidence.all()))
    return entry.compute_hash()


def _describe(entry: RemovedPost | Registration) -> str:
    if isinstance(entry, RemovedPost):
        return _("Post %(id)s (löpnummer %(pos)s)") % {"id": entry.pk, "pos": entry.position}
    return _("Diarieföring %(id)s (löpnummer %(pos)s i diarieföringarnas kedja)") % {
        "id": entry.pk,
        "pos": entry.position,
    }


def _check_entry(
    chain: ChainHead, entry: RemovedPost | Registration, previous_hash: str
) -> str | None:
    """Return what is wrong with one entry, or None."""
    name = _describe(entry)
    if entry.previous_hash != previous_hash:
        return _("%(entry)s pekar inte på föregående posts kontrollsumma.") % {"entry": name}
    if entry.key_id == chain_keys.LEGACY_KEY_ID and (
        entry.position > chain.legacy_position or not chain.legacy_seal_holds()
    ):
        # Plain SHA-256 is accepted only for the sealed part made before the chain was
        # keyed: anyone can compute it, so anything after that part is a forgery.
        return _("%(entry)s är förfalskad: den har en okänd kontrollsumma utan kedjans nyckel.") % {
            "entry": name
        }
    try:
        expected = _entry_hash(entry)
    except chain_keys.UnknownKey:
        return _(
            "%(entry)s är gjord med nyckeln ”%(key)s”, som inte finns i "
            "MODERATION_CHAIN_KEYS: den kan inte kontrolleras."
        ) % {"entry": name, "key": entry.key_id}
    if not hmac.compare_digest(expected, entry.record_hash):
        return _("%(entry)s har ändrats: kontrollsumman stämmer inte.") % {"entry": name}
    if entry.position == chain.legacy_position and entry.record_hash != chain.legacy_hash:
        return _("%(entry)s är inte den sista post som fanns när kedjan fick nyckel.") % {
            "entry": name
        }
    return None


def _check_anchors(chain: ChainHead, count: int, hashes: dict[int, str]) -> list[str]:
    """Compare the chain with every anchor of it (ChainAnchor): the count and head it had
    that day, the anchor's own seal and its timestamp token."""
    from nykvarn_sm.lib import timestamps

    problems = []
    for anchor in ChainAnchor.objects.filter(chain=chain).order_by("anchored_on", "pk"):
        day = {"day": anchor.anchored_on.isoformat(), "kind": chain.get_kind_display()}
        if not anchor.seal_holds() or anchor.statement_digest() != anchor.digest:
            problems.append(_("Förankringen %(day)s (%(kind)s) har ändrats.") % day)
        if anchor.token is not None:
            try:
                timestamps.verify_timestamp(bytes(anchor.token), anchor.statement_digest())
            except timestamps.TimestampError as exc:
                problems.append(
                    _("Tidsstämpeln för förankringen %(day)s (%(kind)s) godtas inte: %(error)s")
                    % {**day, "error": exc}
                )
        if anchor.position > count:
            problems.append(
                _(
                    "Kedjan (%(kind)s) har %(n)s poster men hade %(anchored)s när den "
                    "förankrades %(day)s: poster har tagits bort."
                )
                % {**day, "n": count, "anchored": anchor.position}
            )
        elif anchor.position and hashes.get(anchor.position) != anchor.head_hash:
            problems.append(
                _(
                    "Post %(pos)s i kedjan (%(kind)s) är inte den som förankrades %(day)s: "
                    "den har skrivits om."
                )
                % {**day, "pos": anchor.position}
            )
    return problems


def verify_chain() -> ChainReport:
    """Walk every chain of removals and registrations and compare it with its anchors;
    report every entry that was changed, forged, moved or removed (MOD-1)."""
    checked = 0
    problems: list[str] = []
    broken: RemovedPost | None = None
    for chain in ChainHead.objects.order_by("pk"):
        anchored = set(ChainAnchor.objects.filter(chain=chain).values_list("position", flat=True))
        hashes: dict[int, str] = {}
        previous_hash = chain_keys.GENESIS_HASH
        expected = 1
        for entry in _entries(chain):
            checked += 1
            problem = None
            if entry.position != expected:
                problem = _("Löpnummer %(from)s–%(to)s saknas före %(entry)s.") % {
                    "from": expected,
                    "to": entry.position - 1,
                    "entry": _describe(entry),
                }
            problem = problem or _check_entry(chain, entry, previous_hash)
            if problem:
                problems.append(problem)
                if broken is None and isinstance(entry, RemovedPost):
                    broken = entry
            if entry.position in anchored:
                hashes[entry.position] = entry.record_hash
            # Go on from the entry as stored, so that every further change is named too.
            previous_hash = entry.record_hash
            expected = entry.position + 1
        last = expected - 1
        if chain.position != last or chain.last_hash != previous_hash:
            problems.append(
                _(
                    "Kedjan (%(kind)s) slutar vid löpnummer %(n)s men kedjans huvud anger "
                    "%(head)s: poster har tagits bort eller lagts till."
                )
                % {"kind": chain.get_kind_display(), "n": last, "head": chain.position}
            )
        elif not chain.head_seal_holds():
            problems.append(
                _(
                    "Kedjans huvud (%(kind)s) har ändrats utan kedjans nyckel: poster i "
                    "slutet kan ha tagits bort."
                )
                % {"kind": chain.get_kind_display()}
            )
        problems += _check_anchors(chain, last, hashes)
    return ChainReport(
        ok=not problems,
        checked=checked,
        broken=broken,
        message="\n".join(problems),
        problems=tuple(problems),
    )


# --- evidence fixity ----------------------------------------------------------------------


class EvidenceDamaged(Exception):
    """An evidence file is missing or its bytes no longer match its recorded SHA-256."""


@dataclass(frozen=True)
class EvidenceReport:
    checked: int
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _copy_and_hash(evidence: Evidence) -> tuple[IO[bytes], str]:
    """Copy an evidence file into a temporary file while hashing it; return both.

    What is served is the copy whose hash was checked (nykvarn_sm.lib.fixity), so the
    file can't be swapped between the check and the download. Raise EvidenceDamaged when
    it is missing.
    """
    try:
        with _evidence_storage().open(evidence.file.name or "", "rb") as source:
            return hashed_copy(source, max_memory=8 * 1024 * 1024)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise EvidenceDamaged(_("filen saknas")) from exc


def evidence_problem(evidence: Evidence) -> str | None:
    """Re-hash one evidence file; return "filen saknas" / "filen har ändrats" or None."""
    try:
        copy, found = _copy_and_hash(evidence)
    except EvidenceDamaged as exc:
        return str(exc)
    copy.close()
    return None if hmac.compare_digest(found, evidence.sha256) else _("filen har ändrats")


def verify_evidence() -> EvidenceReport:
    """Re-hash every evidence file (fixity, as for the archive's files); report each one
    that is missing or whose bytes no longer match its SHA-256 (MOD-1)."""
    checked = 0
    problems = []
    for evidence in Evidence.objects.order_by("pk").iterator(chunk_size=500):
        checked += 1
        problem = evidence_problem(evidence)
        if problem:
            problems.append(
                _("Bevis %(id)s (%(name)s) till post %(record)s: %(problem)s.")
                % {
                    "id": evidence.pk,
                    "name": evidence.original_name,
                    "record": evidence.removed_post_id,
                    "problem": problem,
                }
            )
    return EvidenceReport(checked, tuple(problems))


def open_evidence(*, evidence: Evidence, by: User) -> IO[bytes]:
    """Return a copy of an evidence file whose bytes match its recorded SHA-256.

    A missing or changed file is never served: the attempt is written to the audit trail
    and EvidenceDamaged raised, for the page to say so.
    """
    try:
        copy, found = _copy_and_hash(evidence)
    except EvidenceDamaged as exc:
        problem = str(exc)
    else:
        if hmac.compare_digest(found, evidence.sha256):
            return copy
        copy.close()
        problem = _("filen har ändrats")
    with transaction.atomic():
        AuditEvent.record(
            actor=by,
            action="moderation.evidence_damaged",
            target=evidence,
            details={"removed_post": evidence.removed_post_id, "problem": problem},
        )
    raise EvidenceDamaged(problem)


def daily_chain_check(today: dt.date | None = None) -> LogCheck | None:
    """Check the chains, their anchors and the evidence files once a day; alert the
    communications office and the archivists if anything was changed.

    The LogCheck row, unique per day, makes a second run the same day do nothing.
    """
    today = today or timezone.localdate()
    if LogCheck.objects.filter(checked_on=today).exists():
        return None
    report = verify_chain()
    fixity = verify_evidence()
    problems = [*report.problems, *fixity.problems]
    with transaction.atomic():
        check, created = LogCheck.objects.get_or_create(
            checked_on=today,
            defaults={
                "ok": not problems,
                "checked": report.checked,
                "evidence_checked": fixity.checked,
                "message": "\n".join(problems),
                "broken_record_id": report.broken.pk if report.broken else None,
            },
        )
        if created and problems:
            notify(
                [*communications_office(), *archivists()],
                subject=_("Moderationsloggen har ändrats"),
                template="moderation/email/chain_broken.txt",
                context={"check": check, "problems": problems},
            )
    return check if created else None


# --- daily anchors ------------------------------------------------------------------------


def archivists() -> list[User]:
    return list(User.objects.filter(roles__code=Role.Code.ARCHIVIST, is_active=True).distinct())


def anchor_chains(today: dt.date | None = None) -> list[ChainAnchor]:
    """Anchor the head of every chain for `today` (its count and last hash) and queue its
    timestamp and e-mail; return the anchors made now.

    One anchor per chain and day (unique), so a second run does nothing new; every anchor
    not yet sent (its task lost with a broker or a worker) is queued again.
    """
    from moderation.tasks import stamp_anchor

    today = today or timezone.localdate()
    made = []
    for chain_id in ChainHead.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # The head row's lock: the count and hash are one consistent pair.
            chain = ChainHead.objects.select_for_update().get(pk=chain_id)
            if ChainAnchor.objects.filter(chain=chain, anchored_on=today).exists():
                continue
            anchor = ChainAnchor(
                chain=chain,
                anchored_on=today,
                position=chain.position,
                head_hash=chain.last_hash,
                key_id=chain_keys.current_key_id(),
            )
            anchor.digest = anchor.statement_digest()
            anchor.mac = chain_keys.seal(anchor.key_id, *anchor.seal_parts())
            anchor.save(force_insert=True)
            AuditEvent.record(
                actor=None,
                action="moderation.chain_anchored",
                target=anchor,
                details={
                    "kind": chain.kind,
                    "position": anchor.position,
                    "head": anchor.head_hash,
                    "digest": anchor.digest,
                },
            )
            made.append(anchor)
    # The unsent anchor rows are the outbox: a broker that is down now loses nothing.
    for pk in ChainAnchor.objects.filter(mailed_at__isnull=True).values_list("pk", flat=True):
        publish_on_commit(stamp_anchor, pk)
    return made


def stamp_anchor(anchor_id: int, *, last_try: bool = False) -> ChainAnchor | None:
    """Get the anchor's RFC 3161 timestamp (when a TSA is configured) and send the anchor
    to the archivists; return it, or None when it was sent already.

    Raise TSAUnavailable while the TSA can't be reached, for the task to retry; on the
    `last_try` the anchor is sent without a token, naming why. The TSA is asked outside
    any transaction; the token is kept with a conditional UPDATE and the e-mail claimed
    with one, so two runs send it once.
    """
    from nykvarn_sm.lib import timestamps

    anchor = ChainAnchor.objects.select_related("chain").filter(pk=anchor_id).first()
    if anchor is None or anchor.mailed_at is not None:
        return None
    error = ""
    if anchor.token is None and timestamps.is_enabled():
        try:
            stamp = timestamps.request_timestamp(anchor.digest)
        except timestamps.TSAUnavailable as exc:
            if not last_try:
                raise
            error = str(exc)
        except timestamps.TimestampError as exc:
            error = str(exc)
        else:
            ChainAnchor.objects.filter(pk=anchor.pk, token__isnull=True).update(
                token=stamp.token, timestamped_at=stamp.gen_time, tsa_serial=str(stamp.serial)
            )
    with transaction.atomic():
        claimed = ChainAnchor.objects.filter(pk=anchor.pk, mailed_at__isnull=True).update(
            mailed_at=timezone.now(), timestamp_error=error
        )
        if claimed != 1:
            return None
        anchor.refresh_from_db()
        token = bytes(anchor.token) if anchor.token is not None else b""
        notify(
            archivists(),
            subject=_("Förankring av moderationsloggen %(day)s")
            % {"day": anchor.anchored_on.isoformat()},
            template="moderation/email/anchor.txt",
            context={
                "anchor": anchor,
                "statement": anchor.statement(),
                "token": base64.encodebytes(token).decode() if token else "",
            },
        )
        AuditEvent.record(
            actor=None,
            action="moderation.chain_anchor_sent",
            target=anchor,
            details={"timestamped": bool(token), "error": error},
        )
    return anchor


# --- incoming items (MOD-5, MOD-6, MOD-7) -------------------------------------------------


@transaction.atomic
def log_incoming(
    *,
    by: User,
    account: SocialAccount,
    received_at: dt.datetime,
    kind: str,
    text: str,
    url: str = "",
    sender_name: str = "",
    handler: User | None = None,
    confidential: bool = False,
    notify_communications: bool = False,
) -> IncomingItem:
    """Log an incoming question, comment or feedback with its due time."""
    item = IncomingItem.objects.create(
        account=account,
        received_at=received_at,
        kind=kind,
        text=text,
        url=url,
        sender_name=sender_name,
        handler=handler or by,
        confidential=confidential,
        notify_communications=notify_communications,
        due_at=due_for(received_at),
        created_by=by,
    )
    AuditEvent.record(
        actor=by, action="moderation.incoming_logged", target=item, details={"kind": kind}
    )
    if kind == IncomingItem.Kind.CRITICISM:
        # MOD-7, "Omvärldsbevakning": "bör närmaste chef och i vissa fall
        # kommunikationsavdelningen kontaktas".
        recipients = managers_of(account.department)
        if notify_communications:
            recipients += communications_office()
        notify(
            recipients,
            subject=_("Kritik eller felaktighet om kommunen: %(account)s") % {"account": account},
            template="moderation/email/criticism.txt",
            context={"item": item, "account": account},
        )
    return item


@transaction.atomic
def acknowledge_incoming(*, by: User, item: IncomingItem, promised_answer: str) -> None:
    """Tell the asker when an answer will come: "bemötas med besked om att svar lämnas så
    fort som möjligt" (MOD-5); this is the first response that the rule measures."""
    IncomingItem.objects.filter(pk=item.pk, first_response_at__isnull=True).update(
        first_response_at=timezone.now()
    )
    IncomingItem.objects.filter(pk=item.pk).update(promised_answer=promised_answer)
    AuditEvent.record(actor=by, action="moderation.incoming_acknowledged", target=item)


@transaction.atomic
def close_incoming(
    *,
    by: User,
    item: IncomingItem,
    outcome: str,
    registration_decision: str,
    reply: str = "",
    signed_name: str = "",
    signed_title: str = "",
    signed_office: str = "",
    forwarded_to: str = "",
    diarienummer: str = "",
) -> IncomingItem:
    """Close an open item with its Bilaga 4 outcome. The form has checked the reply's
    signature and the diarienummer; the model's constraint holds the latter too."""
    Outcome = IncomingItem.Outcome
    if outcome in (Outcome.OPEN, Outcome.UNPUBLISHED):
        raise ValueError("Unpublishing goes through log_removal(incoming=...).")
    if outcome == Outcome.ANSWERED and IncomingItem.signature_problems(
        reply, name=signed_name, title=signed_title, office=signed_office
    ):
        raise ValueError("An answer must be signed with name, title and office.")
    now = timezone.now()
    claimed = IncomingItem.objects.filter(pk=item.pk, outcome=Outcome.OPEN).update(
        outcome=outcome,
        registration_decision=registration_decision,
        reply=reply,
        signed_name=signed_name,
        signed_title=signed_title,
        signed_office=signed_office,
        forwarded_to=forwarded_to,
        diarienummer=diarienummer.strip(),
        closed_at=now,
        closed_by=by,
    )
    if claimed != 1:
        raise AlreadyClosed("The item is already closed.")
    IncomingItem.objects.filter(pk=item.pk, first_response_at__isnull=True).update(
        first_response_at=now
    )
    item.refresh_from_db()
    AuditEvent.record(
        actor=by,
        action=f"moderation.incoming_{outcome}",
        target=item,
        details={"diarienummer": item.diarienummer} if item.diarienummer else {},
    )
    return item


# --- reminders ----------------------------------------------------------------------------


def _standing_in_for(account: SocialAccount, people: Iterable[User], day: dt.date) -> list[User]:
    ids = [p.pk for p in people]
    return [
        s.user
        for s in Substitute.objects.filter(
            account=account, stands_in_for_id__in=ids, starts_on__lte=day, ends_on__gte=day
        ).select_related("user")
    ]


def reminder_recipients(item: IncomingItem, level: int, day: dt.date) -> list[User]:
    """Who is reminded at each step: the owner, or the substitute standing in for an absent
    owner; then the deputies (or their substitutes); then the communications office."""
    account = item.account
    if level == 1:
        return _standing_in_for(account, [account.owner], day) or [account.owner]
    if level == 2:
        deputies = list(account.deputies.filter(is_active=True))
        return _standing_in_for(account, deputies, day) + deputies
    return communications_office()


def send_overdue_reminders(now: dt.datetime | None = None) -> int:
    """Remind about overdue items, one step further each working day; return the number of
    reminders sent. Safe to run twice: each step is claimed with a conditional UPDATE."""
    now = now or timezone.now()
    cal = calendar()
    sent = 0
    overdue = IncomingItem.objects.overdue(now).select_related("account__owner", "account")
    for item in overdue:
        # Step n is due n-1 working days after the answer was due.
        level = 1
        step_at = item.due_at
        while level < 3:
            step_at = cal.due_at(step_at, 1)
            if now < step_at:
                break
            level += 1
        if level <= item.reminder_level:
            continue
        claimed = IncomingItem.objects.filter(
            pk=item.pk, reminder_level=item.reminder_level, outcome=IncomingItem.Outcome.OPEN
        ).update(reminder_level=level, last_reminded_at=now)
        if claimed != 1:
            continue
        people = reminder_recipients(item, level, timezone.localdate(now))
        if level == 2 and not people:
            people = communications_office()
        notify(
            people,
            subject=_("Obesvarat i sociala medier: %(account)s") % {"account": item.account},
            template="moderation/email/overdue.txt",
            context={"item": item, "level": level, "rule": response_rule()},
        )
        sent += 1
    return sent


def send_handoff_reminders(today: dt.date | None = None) -> int:
    """Remind daily about removals waiting for a diarienummer (MOD-3); after
    MODERATION_REGISTRATION_ESCALATE_WORKDAYS working days also the department's managers
    and the communications office. One reminder per record and day (unique row)."""
    today = today or timezone.localdate()
    cal = calendar()
    sent = 0
    pending = RemovedPost.objects.pending_registration().select_related(
        "account__owner", "account__department"
    )
    for record in pending:
        waited = cal.working_days_between(timezone.localdate(record.removed_at), today)
        escalate = waited >= settings.MODERATION_REGISTRATION_ESCALATE_WORKDAYS
        _reminder, created = HandoffReminder.objects.get_or_create(
            removed_post=record, sent_on=today, defaults={"escalated": escalate}
        )
        if not created:
            continue
        account = record.account
        people: list[User] = [account.owner, *account.deputies.filter(is_active=True)]
        if escalate:
            people += managers_of(account.department) + communications_office()
        notify(
            people,
            subject=_("Diarieföring väntar: %(account)s") % {"account": account},
            template="moderation/email/handoff.txt",
            context={"record": record, "waited": waited, "escalate": escalate},
        )
        sent += 1
    return sent

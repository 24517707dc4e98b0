"""Moderation workflows: logging removals, the hand-off to the records system, incoming items
and their reminders. Each function that changes state is atomic and writes its audit event
in the same transaction; e-mail goes out after commit (accounts.notify).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import AuditEvent, Department, Role, User
from accounts.notify import notify
from moderation.models import (
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
            name = storage.save(evidence_name(sha, upload.name), upload, max_length=300)
            stored.append(
                StoredEvidence(
                    name=name,
                    sha256=sha,
                    size=upload.size,
                    original_name=upload.name[:255],
                    # The type the bytes show, never the browser's claim (the form has
                    # already refused anything else; this covers other callers).
                    content_type=sniff_type(upload) or "application/octet-stream",
                )
            )
        yield stored
    except BaseException:
        for item in stored:
            storage.delete(item.name)
        raise


def _lock_chain() -> ChainHead:
    """Lock and return the organisation's chain head. Call inside a transaction.

    The lock that keeps the chain linear: whoever holds the head row takes the next
    position; a concurrent append waits here and then follows that record.
    """
    chain, _created = ChainHead.objects.get_or_create(organisation=settings.ORGANISATION_NAME)
    return ChainHead.objects.select_for_update().get(pk=chain.pk)


def _append(*, by: User, fields: dict[str, Any], evidence: Sequence[StoredEvidence]) -> RemovedPost:
    """Append one record to the organisation's chain. Call inside a transaction, with the
    evidence files already stored (`_stored_evidence`): only rows are written under the
    lock."""
    reason: RemovalReason = fields["reason"]
    if not reason.preserve_content:
        # MOD-2, Bilaga 1 (see _stored_evidence): no content for advertising.
        fields = {**fields, "content": "", "content_preserved": False}
        evidence = []
    hashes = [item.sha256 for item in evidence]
    chain = _lock_chain()
    fields = {"removed_by": by, **fields}
    record = RemovedPost(
        **fields,
        chain=chain,
        position=chain.position + 1,
        previous_hash=chain.last_hash,
    )
    record.record_hash = record.compute_hash(hashes)
    record.save(force_insert=True)
    for item in evidence:
        Evidence(
            removed_post=record,
            file=item.name,
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
        ).save(force_insert=True)
    ChainHead.objects.filter(pk=chain.pk).update(
        position=record.position, last_hash=record.record_hash
    )
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
    """Record the hand-off to the records system (MOD-3, MOD-4, "Diarieföring")."""
    root = record.lineage_root()
    try:
        # One hand-off per line of corrections, held by the unique removed_post: when two
        # people enter a diarienummer at once, the second insert is refused here.
        with transaction.atomic():
            registration = Registration.objects.create(
                removed_post=root,
                diarienummer=diarienummer.strip(),
                registered_on=registered_on,
                registered_by=by,
            )
    except IntegrityError:
        raise AlreadyRegistered("The record is registered already.") from None
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
    ok: bool
    checked: int
    broken: RemovedPost | None = None
    message: str = ""


def verify_chain() -> ChainReport:
    """Walk every organisation's chain; return the first record that breaks it."""
    checked = 0
    for chain in ChainHead.objects.order_by("pk"):
        previous_hash = "0" * 64
        expected = 1
        records = (
            RemovedPost.objects.filter(chain=chain)
            .select_related("chain", "reason")
            .prefetch_related("evidence")
            .order_by("position")
        )
        for record in records.iterator(chunk_size=500):
            checked += 1
            if record.position != expected:
                return ChainReport(
                    False,
                    checked,
                    record,
                    _("Post %(pos)s saknas före post %(id)s.") % {"pos": expected, "id": record.pk},
                )
            if record.previous_hash != previous_hash:
                return ChainReport(
                    False,
                    checked,
                    record,
                    _(
                        "Post %(id)s (löpnummer %(pos)s) pekar inte på föregående posts "
                        "kontrollsumma."
                    )
                    % {"id": record.pk, "pos": record.position},
                )
            hashes = [e.sha256 for e in record.evidence.all()]
            if record.compute_hash(hashes) != record.record_hash:
                return ChainReport(
                    False,
                    checked,
                    record,
                    _("Post %(id)s (löpnummer %(pos)s) har ändrats: kontrollsumman stämmer inte.")
                    % {"id": record.pk, "pos": record.position},
                )
            previous_hash = record.record_hash
            expected += 1
        if chain.position != expected - 1 or chain.last_hash != previous_hash:
            return ChainReport(
                False,
                checked,
                None,
                _(
                    "Kedjan för %(org)s slutar vid löpnummer %(n)s men kedjans huvud anger "
                    "%(head)s: poster har tagits bort."
                )
                % {"org": chain.organisation, "n": expected - 1, "head": chain.position},
            )
    return ChainReport(True, checked)


def daily_chain_check(today: dt.date | None = None) -> LogCheck | None:
    """Run the chain check once a day and alert the communications office if it fails.

    The LogCheck row, unique per day, makes a second run the same day do nothing.
    """
    today = today or timezone.localdate()
    if LogCheck.objects.filter(checked_on=today).exists():
        return None
    report = verify_chain()
    with transaction.atomic():
        check, created = LogCheck.objects.get_or_create(
            checked_on=today,
            defaults={
                "ok": report.ok,
                "checked": report.checked,
                "message": report.message,
                "broken_record_id": report.broken.pk if report.broken else None,
            },
        )
        if created and not report.ok:
            notify(
                communications_office(),
                subject=_("Moderationsloggen har ändrats"),
                template="moderation/email/chain_broken.txt",
                context={"report": report},
            )
    return check if created else None


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

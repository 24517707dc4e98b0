"""Gallring, legal holds and disposal (ARC-4; the guideline's "Gallra otillåtna
inlägg/kommentarer": "får du gallra information på sociala medier efter det att du utfört
arkivering").

Three acts, each under a gallring decision (GallringDecision, configured in the admin):
- recording that content of a period was thinned on the platform: only when a stored,
  validated snapshot captured after the period keeps it;
- placing and releasing a hold (gallringsstopp) for a case, a request for public records or
  a dispute: while it holds, nothing it covers is thinned or disposed of;
- disposing of an archived file whose time under a decision has passed: the file goes, its
  name, checksum, size and the decision stay (Disposal), the snapshot is DISPOSED.

The default is to keep: without a decision in force nothing can be thinned or disposed of.
Each function runs in one transaction with its audit row and locks the account's row first,
so that a hold placed at the same moment as a thinning or disposal is never missed.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent
from archive.models import (
    ArchivedText,
    Disposal,
    GallringDecision,
    LegalHold,
    PlatformThinning,
    Snapshot,
    SnapshotSource,
    months_after,
)
from registry.models import SocialAccount

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

# Rows the overview lists as due for disposal at most (the oldest first).
DUE_LIMIT = 200


class GallringRefused(Exception):
    """The rules do not allow the thinning or disposal; the message says why, in Swedish."""


def _day(day: dt.date) -> str:
    return formats.date_format(day, "Y-m-d")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _lock_account(account_id: int) -> None:
    """Serialise thinning, disposal and holds of one account (SELECT … FOR UPDATE)."""
    list(SocialAccount.objects.select_for_update().filter(pk=account_id).values_list("pk"))


def active_holds(account_id: int) -> list[LegalHold]:
    """Return the account's holds in force, with their records."""
    return list(
        LegalHold.objects.active().filter(account_id=account_id).prefetch_related("snapshots")
    )


def _hold_names(holds: list[LegalHold]) -> str:
    return "; ".join(f"{hold.get_reason_display()} {hold.reference}".strip() for hold in holds)


def covering_snapshot(account: SocialAccount, *, ends_on: dt.date) -> Snapshot | None:
    """Return the first stored, validated snapshot of the account captured after the day
    `ends_on`: the archiving that lets its content up to that day be thinned (ARC-4).

    A file the fixity check found changed or missing does not count.
    """
    return (
        Snapshot.objects.stored()
        .filter(
            account=account,
            validation_passed=True,
            captured_at__gte=_start_of(ends_on + dt.timedelta(days=1)),
        )
        .exclude(fixity_ok=False)
        .order_by("captured_at", "pk")
        .first()
    )


@transaction.atomic
def record_thinning(
    *,
    account: SocialAccount,
    starts_on: dt.date,
    ends_on: dt.date,
    decision: GallringDecision,
    thinned_on: dt.date,
    note: str = "",
    by: User,
) -> PlatformThinning:
    """Record that the account's content of [starts_on, ends_on] was thinned on the platform.

    Refused (GallringRefused) unless the decision is for the platform's content and in
    force, its time for the period has come, a stored and validated snapshot captured after
    the period keeps the content ("efter det att du utfört arkivering", ARC-4), and no hold
    covers the period.
    """
    _lock_account(account.pk)
    today = timezone.localdate()
    if ends_on < starts_on:
        raise GallringRefused(_("Periodens slut ligger före dess början."))
    if thinned_on > today or ends_on > thinned_on:
        raise GallringRefused(_("Innehåll kan bara gallras efter periodens slut och senast i dag."))
    if decision.applies_to != GallringDecision.Applies.PLATFORM or not decision.is_in_force(
        thinned_on
    ):
        raise GallringRefused(
            _("Gallringsbeslutet %(decision)s gäller inte innehåll på plattformen den dagen.")
            % {"decision": decision.diarienummer}
        )
    allowed_from = decision.may_go_on(ends_on + dt.timedelta(days=1))
    if allowed_from > thinned_on:
        raise GallringRefused(
            _("Enligt beslut %(decision)s får innehållet gallras tidigast %(day)s.")
            % {"decision": decision.diarienummer, "day": _day(allowed_from)}
        )
    snapshot = covering_snapshot(account, ends_on=ends_on)
    if snapshot is None:
        raise GallringRefused(
            _(
                "Perioden är inte arkiverad: det finns inget lagrat och validerat arkivuttag "
                "av kontot som är taget efter %(day)s. Beställ ett uttag och gallra när det "
                'är lagrat (Riktlinjer för sociala medier, "Gallra": gallra först efter '
                "att du utfört arkivering)."
            )
            % {"day": _day(ends_on)}
        )
    holds = [
        hold
        for hold in active_holds(account.pk)
        if hold.covers_period(starts_on, ends_on, list(hold.snapshots.all()))
    ]
    if holds:
        raise GallringRefused(
            _("Gallringsstopp gäller för perioden: %(holds)s.") % {"holds": _hold_names(holds)}
        )
    thinning = PlatformThinning.objects.create(
        account=account,
        starts_on=starts_on,
        ends_on=ends_on,
        decision=decision,
        decision_terms=decision.terms(),
        covered_by=snapshot,
        thinned_on=thinned_on,
        note=note,
        recorded_by=by,
    )
    AuditEvent.record(
        actor=by,
        action="archive.thinning_recorded",
        target=account,
        details={
            "thinning": thinning.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "decision": decision.diarienummer,
            "snapshot": snapshot.pk,
        },
    )
    return thinning


@transaction.atomic
def place_hold(
    *,
    account: SocialAccount,
    scope: str,
    reason: str,
    note: str,
    by: User,
    reference: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    snapshots: list[Snapshot] | None = None,
) -> LegalHold:
    """Stop thinning and disposal of an account, a period of it or some of its records."""
    _lock_account(account.pk)
    records = list(snapshots or [])
    if any(snapshot.account_id != account.pk for snapshot in records):
        raise GallringRefused(_("Arkivuttagen måste höra till kontot."))
    if scope == LegalHold.Scope.RECORDS and not records:
        raise GallringRefused(_("Välj de arkivuttag som stoppet gäller."))
    if scope == LegalHold.Scope.PERIOD and (
        starts_on is None or ends_on is None or ends_on < starts_on
    ):
        raise GallringRefused(_("Ange periodens första och sista dag."))
    hold = LegalHold.objects.create(
        account=account,
        scope=scope,
        starts_on=starts_on if scope == LegalHold.Scope.PERIOD else None,
        ends_on=ends_on if scope == LegalHold.Scope.PERIOD else None,
        reason=reason,
        reference=reference,
        note=note,
        placed_by=by,
    )
    if scope == LegalHold.Scope.RECORDS:
        hold.snapshots.set(records)
    AuditEvent.record(
        actor=by,
        action="archive.hold_placed",
        target=hold,
        details={
            "account": account.pk,
            "scope": scope,
            "starts_on": hold.starts_on.isoformat() if hold.starts_on else None,
            "ends_on": hold.ends_on.isoformat() if hold.ends_on else None,
            "snapshots": sorted(s.pk for s in records) if scope == LegalHold.Scope.RECORDS else [],
            "reason": reason,
            "reference": reference,
        },
    )
    return hold


@transaction.atomic
def release_hold(*, hold: LegalHold, note: str, by: User) -> bool:
    """Release a hold; False if it was already released."""
    _lock_account(hold.account_id)
    now = timezone.now()
    released = LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=now, released_by=by, release_note=note
    )
    if not released:
        return False
    hold.refresh_from_db()
    AuditEvent.record(actor=by, action="archive.hold_released", target=hold, details={"note": note})
    return True


def disposal_due(snapshot: Snapshot, decision: GallringDecision) -> dt.date | None:
    """Return the first day the snapshot's file may be disposed of under the decision;
    None when the decision can never dispose of it (not for archived files)."""
    if decision.applies_to != GallringDecision.Applies.ARCHIVE or snapshot.stored_at is None:
        return None
    return decision.may_go_on(timezone.localdate(snapshot.stored_at))


def dispose_snapshot(*, snapshot: Snapshot, decision: GallringDecision, by: User) -> Disposal:
    """Dispose of a stored file under a decision whose time has passed, with no hold on it.

    ARC-4 and REQUIREMENTS "Archive": the file and the screenshots it was made from go, its
    extracted text with them; a Disposal keeps its name, SHA-256, size and the decision,
    the snapshot becomes DISPOSED (so the fixity check, which checks stored files, does
    not miss it) and the audit trail says who did it.
    """
    from archive.storage import archive_storage

    with transaction.atomic():
        _lock_account(snapshot.account_id)
        snapshot = Snapshot.objects.select_for_update().get(pk=snapshot.pk)
        today = timezone.localdate()
        if snapshot.status != Snapshot.Status.STORED:
            raise GallringRefused(_("Uttaget är inte lagrat; det finns ingen fil att gallra."))
        due = disposal_due(snapshot, decision)
        if due is None or not decision.is_in_force(today):
            raise GallringRefused(
                _("Gallringsbeslutet %(decision)s gäller inte arkiverade filer i dag.")
                % {"decision": decision.diarienummer}
            )
        if due > today:
            raise GallringRefused(
                _("Enligt beslut %(decision)s får filen gallras tidigast %(day)s.")
                % {"decision": decision.diarienummer, "day": _day(due)}
            )
        holds = [
            hold
            for hold in active_holds(snapshot.account_id)
            if hold.covers_snapshot(snapshot, {s.pk for s in hold.snapshots.all()})
        ]
        if holds:
            raise GallringRefused(
                _("Gallringsstopp gäller för uttaget: %(holds)s.") % {"holds": _hold_names(holds)}
            )
        sources = list(snapshot.sources.all())
        source_names = [source.file.name for source in sources]
        Snapshot.objects.filter(pk=snapshot.pk).update(
            status=Snapshot.Status.DISPOSED, updated_at=timezone.now()
        )
        disposal = Disposal.objects.create(
            snapshot=snapshot,
            decision=decision,
            # ARC-4: the record that stays names the terms the file went under, as they were.
            decision_terms=decision.terms(),
            file_name=snapshot.file_name,
            sha256=snapshot.sha256,
            size=snapshot.size,
            source_files=source_names,
            disposed_by=by,
        )
        ArchivedText.objects.filter(snapshot=snapshot).delete()
        for source in sources:
            source.delete()
        AuditEvent.record(
            actor=by,
            action="archive.disposed",
            target=snapshot,
            details={
                "file": snapshot.file_name,
                "sha256": snapshot.sha256,
                "size": snapshot.size,
                "decision": decision.diarienummer,
                "sources": source_names,
            },
        )
        # The files go last, still inside the transaction: a share that refuses the delete
        # rolls the records back, so nothing claims a file is gone that is still there.
        # Should the commit itself fail after this, the row still says STORED and the
        # fixity check reports the file missing: never a silent loss.
        archive_storage().delete(snapshot.file_name)
        uploads = SnapshotSource._meta.get_field("file").storage  # type: ignore[attr-defined]
        for name in source_names:
            if name:
                uploads.delete(name)
    snapshot.refresh_from_db()
    return disposal


def due_for_disposal(*, today: dt.date | None = None) -> list[tuple[Snapshot, GallringDecision]]:
    """Return the stored snapshots some decision in force lets go today and no hold keeps,
    each with the decision of the shortest time, the oldest first (at most DUE_LIMIT).

    A constant number of queries: the decisions, the candidate snapshots and the holds.
    """
    today = today or timezone.localdate()
    decisions = sorted(
        GallringDecision.objects.in_force(today=today).filter(
            applies_to=GallringDecision.Applies.ARCHIVE
        ),
        key=lambda decision: decision.retention_months,
    )
    if not decisions:
        return []  # the default: keep everything
    # months_after clamps month ends, so the database's cutoff is a few days generous;
    # disposal_due decides each row exactly.
    cutoff = months_after(today, -decisions[0].retention_months) + dt.timedelta(days=3)
    candidates: QuerySet[Snapshot] = (
        Snapshot.objects.stored()
        .filter(stored_at__lt=_start_of(cutoff))
        .select_related("account__platform", "account__department")
        .order_by("stored_at", "pk")
    )
    holds = list(LegalHold.objects.active().prefetch_related("snapshots"))
    held_ids = {hold.pk: {s.pk for s in hold.snapshots.all()} for hold in holds}
    found: list[tuple[Snapshot, GallringDecision]] = []
    for snapshot in candidates.iterator(chunk_size=500):
        decision = next((d for d in decisions if _due_by(snapshot, d, today)), None)
        if decision is None:
            continue
        if any(hold.covers_snapshot(snapshot, held_ids[hold.pk]) for hold in holds):
            continue
        found.append((snapshot, decision))
        if len(found) >= DUE_LIMIT:
            break
    return found


def _due_by(snapshot: Snapshot, decision: GallringDecision, today: dt.date) -> bool:
    due = disposal_due(snapshot, decision)
    return due is not None and due <= today


def holds_on(snapshot: Snapshot) -> list[LegalHold]:
    """Return the holds in force that keep the snapshot's file."""
    return [
        hold
        for hold in active_holds(snapshot.account_id)
        if hold.covers_snapshot(snapshot, {s.pk for s in hold.snapshots.all()})
    ]


def summary(account: SocialAccount) -> dict[str, Any]:
    """Return what the account's gallring page shows: holds, thinnings, disposals."""
    return {
        "holds": list(
            LegalHold.objects.filter(account=account)
            .select_related("placed_by", "released_by")
            .prefetch_related("snapshots")
        ),
        "thinnings": list(
            PlatformThinning.objects.filter(account=account).select_related(
                "decision", "recorded_by", "covered_by"
            )
        ),
        "disposals": list(
            Disposal.objects.filter(snapshot__account=account).select_related(
                "decision", "disposed_by", "snapshot"
            )
        ),
    }

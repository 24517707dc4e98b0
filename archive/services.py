"""The archive's workflows: asking for snapshots, planning them, retrying, verifying.

Each function that changes state takes keyword-only arguments and the actor explicitly,
runs in one transaction, writes its audit row there and queues work after commit. The slow
part (capturing and rendering) is archive.capture, run by archive.tasks outside any
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from archive.models import Snapshot, SnapshotSource, period_for
from registry.models import SocialAccount

if TYPE_CHECKING:
    from accounts.models import User

UPLOAD_TYPES = {"image/png", "image/jpeg", "application/pdf"}


def has_stored_closing_snapshot(account: SocialAccount) -> bool:
    """Return whether the account has a stored "inför avslut" snapshot.

    Registry's close transition requires it (REG-9, ARC-1; "Att öppna och avsluta ett
    konto": the pages are archived before the account goes).
    """
    return Snapshot.objects.filter(
        account=account, context=Snapshot.Context.BEFORE_CLOSING, status=Snapshot.Status.STORED
    ).exists()


def _queue(snapshot: Snapshot) -> None:
    from archive.tasks import capture_snapshot

    capture_snapshot.delay_on_commit(snapshot.pk)


@transaction.atomic
def request_snapshot(
    *,
    account: SocialAccount,
    context: str,
    by: User | None,
    via: str = "",
    note: str = "",
    uploads: Iterable[UploadedFile] = (),
    queue: bool = True,
) -> Snapshot:
    """Ask for a snapshot of an account's page now; with `uploads`, made from those files.

    ARC-1 "före större förändringar"; uploads are for pages behind a login wall.
    """
    uploads = list(uploads)
    snapshot = Snapshot.objects.create(
        account=account,
        period=period_for(timezone.localdate()),
        context=context,
        note=note[:300],
        requested_by=by,
        requested_via=via,
        source_url=account.url,
        method=Snapshot.Method.UPLOAD if uploads else "",
    )
    for position, upload in enumerate(uploads):
        SnapshotSource.objects.create(
            snapshot=snapshot,
            file=upload,
            original_name=upload.name[:255],
            content_type=upload.content_type or "",
            position=position,
        )
    AuditEvent.record(
        actor=by,
        action="archive.snapshot_requested",
        target=snapshot,
        details={"account": account.pk, "context": context, "uploads": len(uploads), "via": via},
    )
    if queue:
        _queue(snapshot)
    return snapshot


def plan_periodic_snapshots(*, today: Any = None) -> list[Snapshot]:
    """Make sure every active account has its periodic snapshot for the current period.

    ARC-1 "minst två gånger per år". Creates the missing rows and queues them; also
    re-queues periodic snapshots of this period still waiting in the queue (a lost message
    heals the next day). The unique constraint makes a concurrent run harmless.
    """
    day = today or timezone.localdate()
    period = period_for(day)
    created: list[Snapshot] = []
    have = set(
        Snapshot.objects.filter(period=period, context=Snapshot.Context.PERIODIC).values_list(
            "account_id", flat=True
        )
    )
    for account in SocialAccount.objects.filter(state=SocialAccount.State.ACTIVE).exclude(
        pk__in=have
    ):
        try:
            with transaction.atomic():
                snapshot = Snapshot.objects.create(
                    account=account,
                    period=period,
                    context=Snapshot.Context.PERIODIC,
                    requested_via="planeraren",
                    source_url=account.url,
                    method=Snapshot.Method.UPLOAD if account.platform.login_wall else "",
                )
                AuditEvent.record(
                    actor=None,
                    action="archive.snapshot_planned",
                    target=snapshot,
                    details={"period": period},
                )
                if not account.platform.login_wall:
                    _queue(snapshot)
        except IntegrityError:
            continue  # another planner run made it first
        created.append(snapshot)
    # Heal lost messages: queued periodic snapshots that nothing is working on.
    stale = timezone.now() - timezone.timedelta(hours=6)
    for pk in Snapshot.objects.filter(
        period=period,
        context=Snapshot.Context.PERIODIC,
        status=Snapshot.Status.QUEUED,
        updated_at__lt=stale,
        sources__isnull=True,
        account__platform__login_wall=False,
    ).values_list("pk", flat=True):
        from archive.tasks import capture_snapshot

        capture_snapshot.delay(pk)
    return created


@transaction.atomic
def retry_snapshot(*, snapshot: Snapshot, by: User) -> bool:
    """Put a failed snapshot back in the queue; False if it was not failed."""
    if not snapshot.retry():
        return False
    AuditEvent.record(actor=by, action="archive.snapshot_retried", target=snapshot)
    _queue(snapshot)
    return True


@transaction.atomic
def add_uploads(*, snapshot: Snapshot, uploads: Iterable[UploadedFile], by: User) -> Snapshot:
    """Attach screenshots or a PDF print to a waiting snapshot (login walls) and queue it."""
    count = snapshot.sources.count()
    uploads = list(uploads)
    for position, upload in enumerate(uploads, start=count):
        SnapshotSource.objects.create(
            snapshot=snapshot,
            file=upload,
            original_name=upload.name[:255],
            content_type=upload.content_type or "",
            position=position,
        )
    Snapshot.objects.filter(pk=snapshot.pk).update(method=Snapshot.Method.UPLOAD)
    snapshot.retry()  # a failed one gets a fresh budget; a queued one stays queued
    AuditEvent.record(
        actor=by, action="archive.uploads_added", target=snapshot, details={"files": len(uploads)}
    )
    _queue(snapshot)
    return snapshot

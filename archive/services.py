"""The archive's workflows: asking for snapshots, planning them, retrying, verifying.

Each function that changes state takes keyword-only arguments and the actor explicitly,
runs in one transaction, writes its audit row there and queues work after commit. The slow
part (capturing and rendering) is archive.capture, run by archive.tasks outside any
transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL.Image import DecompressionBombError

from accounts.models import AuditEvent
from archive.models import FixityCheck, Snapshot, SnapshotSource, period_for
from nykvarn_sm.lib.uploads import UploadRejected, check_pixels, extension_for, sniff_type
from registry.models import SocialAccount

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

UPLOAD_TYPES = {"image/png", "image/jpeg", "application/pdf"}


def has_stored_closing_snapshot(
    account: SocialAccount, *, since: dt.datetime | None = None
) -> bool:
    """Return whether the account has a stored "inför avslut" snapshot (captured at or
    after `since`, when given).

    Registry's close transition requires one taken after the closing started (REG-9, ARC-1;
    "Att öppna och avsluta ett konto": the pages are archived before the account goes).
    """
    snapshots = Snapshot.objects.filter(
        account=account, context=Snapshot.Context.BEFORE_CLOSING, status=Snapshot.Status.STORED
    )
    if since is not None:
        snapshots = snapshots.filter(captured_at__gte=since)
    return snapshots.exists()


def _queue(snapshot: Snapshot) -> None:
    from archive.tasks import capture_snapshot

    # celery-types does not know Task.delay_on_commit (Celery 5.4+).
    capture_snapshot.delay_on_commit(snapshot.pk)  # type: ignore[attr-defined]


def _save_upload_files(uploads: list[UploadedFile]) -> list[tuple[str, UploadedFile]]:
    """Write uploaded files to storage before any transaction opens (no slow I/O inside
    one); return (stored name, upload) pairs for the rows."""
    field = SnapshotSource._meta.get_field("file")
    saved: list[tuple[str, UploadedFile]] = []
    for upload in uploads:
        # Named by what the bytes are, never by the uploader's name: "sida.html" holding a
        # JPEG is stored as underlag.jpg (its own name is kept as original_name).
        filename = "underlag" + extension_for(sniff_type(upload))
        name = field.generate_filename(None, filename)  # type: ignore[attr-defined,arg-type]
        saved.append((field.storage.save(name, upload, max_length=field.max_length), upload))  # type: ignore[attr-defined]
    return saved


def _discard_files(saved: list[tuple[str, UploadedFile]]) -> None:
    """The transaction that was to record them failed: no orphans left behind."""
    storage = SnapshotSource._meta.get_field("file").storage  # type: ignore[attr-defined]
    for name, _upload in saved:
        storage.delete(name)


def _add_sources(snapshot: Snapshot, saved: list[tuple[str, UploadedFile]], start: int) -> None:
    for position, (name, upload) in enumerate(saved, start=start):
        SnapshotSource.objects.create(
            snapshot=snapshot,
            file=name,
            original_name=(upload.name or "")[:255],
            content_type=upload.content_type or "",
            position=position,
        )


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

    ARC-1 "före större förändringar"; uploads are for pages behind a login wall. The files
    are written first, then one short transaction records them.
    """
    saved = _save_upload_files(list(uploads))
    try:
        return _request_snapshot(
            account=account, context=context, by=by, via=via, note=note, saved=saved, queue=queue
        )
    except Exception:
        _discard_files(saved)
        raise


class PeriodicExtractExists(Exception):
    """The account already has its periodic extract for the period, stored or under way.

    ARC-1: one "periodiskt uttag" per account and period (the database holds it with the
    constraint snapshot_one_periodic_per_period); asking again names the one there is.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        super().__init__(
            _("Det finns redan ett periodiskt uttag för %(period)s (%(status)s).")
            % {"period": snapshot.period, "status": snapshot.get_status_display()}
        )


@transaction.atomic
def _request_snapshot(
    *,
    account: SocialAccount,
    context: str,
    by: User | None,
    via: str,
    note: str,
    saved: list[tuple[str, UploadedFile]],
    queue: bool,
) -> Snapshot:
    period = period_for(timezone.localdate())
    if context == Snapshot.Context.PERIODIC:
        existing = _periodic_extract(account, period)
        if existing is not None:
            return _ask_again(existing, saved=saved, by=by, via=via, queue=queue)
    try:
        # A savepoint: a planner run may insert the period's periodic extract between the
        # look above and this insert; the unique constraint then decides.
        with transaction.atomic():
            snapshot = Snapshot.objects.create(
                account=account,
                period=period,
                context=context,
                note=note[:300],
                requested_by=by,
                requested_via=via,
                source_url=account.url,
                method=Snapshot.Method.UPLOAD if saved else "",
            )
    except IntegrityError:
        existing = _periodic_extract(account, period)
        if context != Snapshot.Context.PERIODIC or existing is None:
            raise
        return _ask_again(existing, saved=saved, by=by, via=via, queue=queue)
    _add_sources(snapshot, saved, 0)
    AuditEvent.record(
        actor=by,
        action="archive.snapshot_requested",
        target=snapshot,
        details={"account": account.pk, "context": context, "uploads": len(saved), "via": via},
    )
    if queue:
        _queue(snapshot)
    return snapshot


def _periodic_extract(account: SocialAccount, period: str) -> Snapshot | None:
    return (
        Snapshot.objects.select_for_update()
        .filter(account=account, period=period, context=Snapshot.Context.PERIODIC)
        .first()
    )


def _ask_again(
    snapshot: Snapshot,
    *,
    saved: list[tuple[str, UploadedFile]],
    by: User | None,
    via: str,
    queue: bool,
) -> Snapshot:
    """A periodic extract asked for again: a failed one goes back to the queue (with the
    new uploads, if any), one waiting for an upload takes the uploads; any other is there
    already (PeriodicExtractExists). Never a second row (ARC-1)."""
    waiting = snapshot.awaiting_upload and bool(saved)
    if not (snapshot.status == Snapshot.Status.FAILED or waiting):
        raise PeriodicExtractExists(snapshot)
    if saved:
        _add_sources(snapshot, saved, snapshot.sources.count())
        Snapshot.objects.filter(pk=snapshot.pk).update(method=Snapshot.Method.UPLOAD)
    snapshot.retry()  # a failed one gets a fresh budget; a waiting one stays queued
    AuditEvent.record(
        actor=by,
        action="archive.uploads_added" if waiting else "archive.snapshot_retried",
        target=snapshot,
        details={"files": len(saved), "via": via},
    )
    if queue:
        _queue(snapshot)
    snapshot.refresh_from_db()
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
    # Heal lost messages: snapshots queued long ago, or "in progress" past the hard time
    # limit (their worker died), are queued again; the claim decides who does them.
    stale = timezone.now() - dt.timedelta(hours=1)
    from django.db.models import Q

    from archive.tasks import capture_snapshot

    waiting = Snapshot.objects.filter(
        Q(status=Snapshot.Status.QUEUED, updated_at__lt=stale)
        | Q(
            status__in=[
                Snapshot.Status.CAPTURING,
                Snapshot.Status.RENDERING,
                Snapshot.Status.VALIDATING,
            ],
            updated_at__lt=_stale_before(),
        )
    ).exclude(account__platform__login_wall=True, sources__isnull=True)
    for pk in waiting.values_list("pk", flat=True).distinct():
        capture_snapshot.delay(pk)
    return created


def remind_waiting_uploads(*, today: Any = None) -> int:
    """E-mail the people running login-wall accounts whose snapshots wait for an upload.

    ARC-1 "minst två gånger per år": the planner makes Facebook's and Instagram's periodic
    snapshots QUEUED with nothing to capture (the pages need a login), so someone must
    upload screenshots or a PDF print. The owner and deputies are told once a day at most
    (the day is claimed with a conditional UPDATE, so a second run that day or a message
    delivered twice tells nobody again); after ARCHIVE_UPLOAD_ESCALATE_DAYS of waiting the
    communications office is told too. Returns the number of snapshots reminded about.
    """
    from django.conf import settings
    from django.db.models import Q

    from accounts.models import Role, User
    from accounts.notify import notify

    day = today or timezone.localdate()
    not_today = Q(upload_reminded_on__isnull=True) | Q(upload_reminded_on__lt=day)
    waiting = (
        Snapshot.objects.awaiting_upload()
        .filter(not_today)
        .select_related("account__owner", "account__platform", "account__department")
        .prefetch_related("account__deputies")
        .distinct()
        .order_by("pk")
    )
    office = list(
        User.objects.filter(is_active=True, roles__code=Role.Code.COMMUNICATIONS).distinct()
    )
    reminded = 0
    for snapshot in waiting:
        with transaction.atomic():
            if not Snapshot.objects.filter(not_today, pk=snapshot.pk).update(
                upload_reminded_on=day
            ):
                continue  # another run reminded about it today
            account = snapshot.account
            waited = (day - timezone.localtime(snapshot.created_at).date()).days
            escalated = waited >= settings.ARCHIVE_UPLOAD_ESCALATE_DAYS
            people = [account.owner, *account.deputies.all()]
            notify(
                people + office if escalated else people,
                subject=f"Arkivuttaget för {account.platform.name} {account.name} väntar "
                "på uppladdning",
                template="archive/email/upload_reminder.txt",
                context={
                    "snapshot": snapshot,
                    "account": account,
                    "waited": waited,
                    "escalated": escalated,
                },
            )
            AuditEvent.record(
                actor=None,
                action="archive.upload_reminded",
                target=snapshot,
                details={"days_waiting": waited, "escalated": escalated},
            )
        reminded += 1
    return reminded


@transaction.atomic
def retry_snapshot(*, snapshot: Snapshot, by: User) -> bool:
    """Put a failed snapshot back in the queue; False if it was not failed."""
    if not snapshot.retry():
        return False
    AuditEvent.record(actor=by, action="archive.snapshot_retried", target=snapshot)
    _queue(snapshot)
    return True


def add_uploads(*, snapshot: Snapshot, uploads: Iterable[UploadedFile], by: User) -> Snapshot:
    """Attach screenshots or a PDF print to a waiting snapshot (login walls) and queue it.

    The files are written first, then one short transaction records them.
    """
    saved = _save_upload_files(list(uploads))
    try:
        return _add_uploads(snapshot=snapshot, saved=saved, by=by)
    except Exception:
        _discard_files(saved)
        raise


@transaction.atomic
def _add_uploads(
    *, snapshot: Snapshot, saved: list[tuple[str, UploadedFile]], by: User
) -> Snapshot:
    _add_sources(snapshot, saved, snapshot.sources.count())
    Snapshot.objects.filter(pk=snapshot.pk).update(method=Snapshot.Method.UPLOAD)
    snapshot.retry()  # a failed one gets a fresh budget; a queued one stays queued
    AuditEvent.record(
        actor=by, action="archive.uploads_added", target=snapshot, details={"files": len(saved)}
    )
    _queue(snapshot)
    return snapshot


# --- doing the work (called by archive.tasks and the snapshot command) ----------------------


class Outcome:
    """What became of one run: stored, failed, to be retried in `retry_in` s, or not ours."""

    def __init__(self, snapshot: Snapshot | None, retry_in: int | None = None) -> None:
        self.snapshot = snapshot
        self.retry_in = retry_in


def _stale_before() -> Any:
    from django.conf import settings

    # A task never runs longer than the hard time limit, so a snapshot still "in progress"
    # after that has lost its worker (killed, machine gone) and may be taken again.
    return timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_HARD_TIME_LIMIT)


def claim(snapshot_id: int) -> bool:
    """Take a snapshot for work with one conditional UPDATE; False if not ours to do.

    Queued ones are taken; in-progress ones only when their worker must be dead. The
    attempt counter lives in the row, so the cap holds across workers and restarts.
    """
    from django.conf import settings
    from django.db.models import F, Q

    in_progress = [Snapshot.Status.CAPTURING, Snapshot.Status.RENDERING, Snapshot.Status.VALIDATING]
    claimable = Q(status=Snapshot.Status.QUEUED) | Q(
        status__in=in_progress, updated_at__lt=_stale_before()
    )
    now = timezone.now()
    taken = Snapshot.objects.filter(
        claimable, pk=snapshot_id, attempts__lt=settings.ARCHIVE_MAX_ATTEMPTS
    ).update(
        status=Snapshot.Status.CAPTURING,
        attempts=F("attempts") + 1,
        started_at=now,
        updated_at=now,
        last_error="",
    )
    if taken == 1:
        return True
    # Out of attempts (e.g. the worker died every time): fail it visibly.
    Snapshot.objects.filter(
        claimable, pk=snapshot_id, attempts__gte=settings.ARCHIVE_MAX_ATTEMPTS
    ).update(
        status=Snapshot.Status.FAILED,
        last_error="Inga försök kvar: arbetet avbröts varje gång (arbetaren stoppades).",
        updated_at=now,
    )
    return False


def process_snapshot(snapshot_id: int) -> Outcome:
    """Capture, render, validate and store one snapshot; safe to call twice.

    Slow I/O (the browser, fetching, rendering, validating, writing the file) runs outside
    any transaction; only the final bookkeeping is one short transaction. ARC-1: a
    snapshot counts (STORED) only when its PDF/A passed validation and its checksum is
    recorded.
    """
    from django.conf import settings

    from archive import capture as capturing

    if not claim(snapshot_id):
        return Outcome(None)
    snapshot = Snapshot.objects.select_related(
        "account__platform", "account__department__parent", "requested_by"
    ).get(pk=snapshot_id)
    try:
        _check_sources(snapshot)
        page = capturing.capture_snapshot_page(snapshot)
        return render_and_store(snapshot, page)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        # A decompression bomb that Pillow itself refuses is as permanent as one refused
        # by _check_sources: the same file fails the same way every time.
        permanent = isinstance(exc, capturing.PermanentCaptureError | DecompressionBombError)
        snapshot.refresh_from_db()
        message = f"{type(exc).__name__}: {exc}"[:4000]
        if not permanent and snapshot.attempts < settings.ARCHIVE_MAX_ATTEMPTS:
            Snapshot.objects.filter(pk=snapshot.pk).update(
                status=Snapshot.Status.QUEUED, last_error=message, updated_at=timezone.now()
            )
            delay = settings.ARCHIVE_RETRY_BACKOFF * 2 ** (snapshot.attempts - 1)
            snapshot.refresh_from_db()
            return Outcome(snapshot, retry_in=delay)
        Snapshot.objects.filter(pk=snapshot.pk).update(
            status=Snapshot.Status.FAILED, last_error=message, updated_at=timezone.now()
        )
        _record_failure(snapshot, "permanent" if permanent else "attempts")
        snapshot.refresh_from_db()
        log.warning("Snapshot %s failed: %s", snapshot.pk, message)
        return Outcome(snapshot)


def _check_sources(snapshot: Snapshot) -> None:
    """Refuse uploaded images whose header claims more pixels than UPLOAD_MAX_PIXELS before
    anything decodes them; PermanentCaptureError, since retrying can't help.

    The upload form refuses them already; this holds for files that came another way (an
    older upload, a changed limit, a row made by hand) and costs a header read per file.
    """
    from archive.capture import PermanentCaptureError

    for source in snapshot.sources.all():
        with source.file.open("rb") as handle:
            try:
                check_pixels(handle)
            except UploadRejected as rejected:
                width, height = rejected.dimensions or (0, 0)
                raise PermanentCaptureError(
                    _(
                        "%(name)s har för många bildpunkter (%(width)d × %(height)d); "
                        "högst %(limit)s miljoner tillåts."
                    )
                    % {
                        "name": source.original_name,
                        "width": width,
                        "height": height,
                        "limit": f"{(rejected.limit or 0) / 1_000_000:g}",
                    }
                ) from None


def render_and_store(snapshot: Snapshot, page: Any) -> Outcome:
    """Render a captured page as PDF/A, validate it and store it under the convention's name.

    The second half of `process_snapshot`, for a snapshot its caller has claimed; the demo
    data uses it with a page made from local HTML. A file that fails validation fails the
    snapshot visibly and is not stored.
    """
    import hashlib

    import pikepdf

    from archive import capture as capturing
    from archive.storage import convention_name, save_new
    from nykvarn_sm.lib import pdfa

    Snapshot.objects.filter(pk=snapshot.pk).update(
        status=Snapshot.Status.RENDERING,
        method=page.method,
        final_url=page.final_url[:2000],
        http_status=page.http_status,
        page_title=page.title,
        captured_at=page.captured_at,
        raw_sha256=page.raw_sha256,
        updated_at=timezone.now(),
    )
    data = capturing.build_pdf(snapshot, page)
    snapshot.advance(Snapshot.Status.VALIDATING)
    result = pdfa.validate_pdfa(data)
    with pikepdf.open(io.BytesIO(data)) as opened:
        pages = len(opened.pages)
    validation = {
        "validation_passed": result.passed,
        "validator": result.validator[:120],
        "validator_version": result.version[:60],
        "validation_messages": result.messages,
        "pdfa_variant": pdfa.variant(),
        "page_count": pages,
    }
    if not result.passed:
        # The same input renders the same file: retrying would not help. Visible, not
        # silent: the list shows the failure and the validator's messages.
        Snapshot.objects.filter(pk=snapshot.pk).update(
            status=Snapshot.Status.FAILED,
            last_error="PDF/A-valideringen underkände filen: " + "; ".join(result.messages)[:2000],
            updated_at=timezone.now(),
            **validation,
        )
        _record_failure(snapshot, "validation")
        snapshot.refresh_from_db()
        return Outcome(snapshot)
    account = snapshot.account
    name = save_new(
        account.department.office.name,
        convention_name(
            platform=account.platform.name,
            department=account.department.name,
            day=timezone.localtime(page.captured_at).date(),
            context=snapshot.context_label,
        ),
        data,
    )
    with transaction.atomic():
        Snapshot.objects.filter(pk=snapshot.pk).update(
            status=Snapshot.Status.STORED,
            file_name=name,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            stored_at=timezone.now(),
            updated_at=timezone.now(),
            last_error="",
            **validation,
        )
        snapshot.refresh_from_db()
        AuditEvent.record(
            actor=None,
            action="archive.snapshot_stored",
            target=snapshot,
            details={"file": name, "sha256": snapshot.sha256, "method": page.method},
        )
    return Outcome(snapshot)


def _record_failure(snapshot: Snapshot, reason: str) -> None:
    AuditEvent.record(
        actor=None, action="archive.snapshot_failed", target=snapshot, details={"reason": reason}
    )


# --- fixity ------------------------------------------------------------------------------------


def claim_fixity_run(run_key: str, *, triggered_by: str) -> FixityCheck | None:
    """Take the fixity check run `run_key` (e.g. "2026-11"); None if it is not ours.

    The broker may deliver the monthly message again while the check still runs (Redis
    visibility timeout): the unique run_key makes the second delivery do nothing. A run
    whose worker died (unfinished and older than the task's hard time limit) is taken
    again with a conditional UPDATE, so that a month is never left unchecked.
    """
    from django.conf import settings

    try:
        with transaction.atomic():
            return FixityCheck.objects.create(run_key=run_key, triggered_by=triggered_by)
    except IntegrityError:
        pass
    stale = timezone.now() - dt.timedelta(seconds=settings.ARCHIVE_VERIFY_TIME_LIMIT)
    now = timezone.now()
    taken = FixityCheck.objects.filter(
        run_key=run_key, finished_at__isnull=True, started_at__lt=stale
    ).update(started_at=now, files_checked=0, problems=[])
    return FixityCheck.objects.get(run_key=run_key) if taken else None


def verify_archive(
    *, triggered_by: str, alert: bool = False, check: FixityCheck | None = None
) -> FixityCheck:
    """Recompute the SHA-256 of every stored file; record and report missing or changed ones.

    Issue 5 "Storage, naming, fixity". The reading happens outside any transaction; each
    snapshot's result is written as it is found. With `alert`, the communications office
    and the archivists are told by e-mail when something is wrong. `check`: a run already
    claimed (claim_fixity_run); otherwise a new one is recorded.
    """
    from archive.storage import archive_storage, sha256_of

    if check is None:
        check = FixityCheck.objects.create(triggered_by=triggered_by)
    storage = archive_storage()
    problems: list[dict[str, Any]] = []
    count = 0
    for snapshot in Snapshot.objects.stored().order_by("pk").iterator():
        count += 1
        if not storage.exists(snapshot.file_name):
            found, problem = "", "saknas"
        else:
            found = sha256_of(snapshot.file_name)
            problem = "" if found == snapshot.sha256 else "ändrad"
        Snapshot.objects.filter(pk=snapshot.pk).update(
            verified_at=timezone.now(), fixity_ok=not problem
        )
        if problem:
            problems.append(
                {
                    "snapshot": snapshot.pk,
                    "file": snapshot.file_name,
                    "problem": problem,
                    "expected": snapshot.sha256,
                    "found": found,
                }
            )
    with transaction.atomic():
        FixityCheck.objects.filter(pk=check.pk).update(
            finished_at=timezone.now(), files_checked=count, problems=problems
        )
        check.refresh_from_db()
        AuditEvent.record(
            actor=None,
            action="archive.verified",
            target=check,
            details={"files": count, "problems": len(problems)},
        )
        if problems and alert:
            from accounts.models import Role, User
            from accounts.notify import notify

            notify(
                User.objects.filter(
                    is_active=True,
                    roles__code__in=[Role.Code.COMMUNICATIONS, Role.Code.ARCHIVIST],
                ).distinct(),
                subject=f"Arkivkontrollen hittade {len(problems)} avvikelser",
                template="archive/email/fixity_alert.txt",
                context={"check": check, "problems": problems},
            )
    return check

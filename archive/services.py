"""The archive's workflows: asking for snapshots, planning them, retrying, verifying.

Each function that changes state takes keyword-only arguments and the actor explicitly,
runs in one transaction, writes its audit row there and queues work after commit. The slow
part (capturing and rendering) is archive.capture, run by archive.tasks outside any
transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL.Image import DecompressionBombError

from accounts.models import AuditEvent
from archive.models import FixityCheck, Snapshot, SnapshotSource, period_for
from nykvarn_sm.lib import outbox, timestamps
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
    """Send the snapshot to a worker once the transaction commits; never fail the caller.

    Issue 9 "Nothing submitted is lost": the QUEUED row is the outbox. When the broker is
    down the message is not sent, the row stays unsent (`published_at` None) with its
    uploads, and publish_waiting_snapshots sends it within a minute or two of the broker's
    return. `.delay_on_commit` would raise into the request after the commit instead.
    """
    from archive.tasks import capture_snapshot

    pk = snapshot.pk
    outbox.publish_on_commit(capture_snapshot, pk, on_published=lambda: _mark_published([pk]))


def _mark_published(snapshot_ids: list[int]) -> None:
    # Only rows still waiting: a worker that already took the message (claim clears the
    # field) must not make a dead worker's snapshot look recently sent.
    Snapshot.objects.filter(pk__in=snapshot_ids, status=Snapshot.Status.QUEUED).update(
        published_at=timezone.now()
    )


IN_PROGRESS = [Snapshot.Status.CAPTURING, Snapshot.Status.RENDERING, Snapshot.Status.VALIDATING]


def _silent_before() -> dt.datetime:
    from django.conf import settings

    return timezone.now() - dt.timedelta(seconds=settings.ARCHIVE_HEARTBEAT_TIMEOUT)


def _lost_worker() -> Q:
    """In progress, but the worker stopped beating (killed, machine gone, pool child lost).

    Its worker beats every ARCHIVE_HEARTBEAT_INTERVAL seconds while it works (_heartbeat);
    silent for ARCHIVE_HEARTBEAT_TIMEOUT, it is dead and the snapshot may be taken over.
    Rows from before the heartbeat existed are judged by their last change.
    """
    silent = _silent_before()
    return Q(status__in=IN_PROGRESS) & (
        Q(heartbeat_at__lt=silent) | Q(heartbeat_at__isnull=True, updated_at__lt=silent)
    )


def _due() -> Q:
    """Queued and its retry time (`not_before`) has come."""
    return Q(status=Snapshot.Status.QUEUED) & (
        Q(not_before__isnull=True) | Q(not_before__lte=timezone.now())
    )


def publish_waiting_snapshots() -> int:
    """Send the workers every snapshot that waits and was not sent recently; return how many.

    Every minute (archive.tasks.sweep_snapshots), the outbox's sweep: queued snapshots
    whose retry time has come and that no broker holds a message for (never sent, the
    broker was down, or sent longer than ARCHIVE_REPUBLISH_AFTER ago and still waiting), and
    in-progress ones whose worker stopped beating. A message sent twice does the work once
    (claim). Snapshots waiting for an upload have nothing to capture and stay.
    """
    from django.conf import settings

    from archive.tasks import capture_snapshot

    sent_before = timezone.now() - dt.timedelta(seconds=settings.ARCHIVE_REPUBLISH_AFTER)
    waiting = (
        Snapshot.objects.filter(_due() | _lost_worker())
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=sent_before))
        .exclude(pk__in=Snapshot.objects.awaiting_upload().values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = [pk for pk in waiting[:SWEEP_LIMIT] if outbox.publish(capture_snapshot, pk)]
    if sent:
        Snapshot.objects.filter(pk__in=sent).update(published_at=timezone.now())
    return len(sent)


# Messages one sweep sends at most: a backlog after a long broker outage goes out over a
# few minutes instead of one burst.
SWEEP_LIMIT = 500


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

    ARC-1 "minst två gånger per år". Creates the missing rows and queues them. It plans the
    period of the day it runs, so a run missed while beat was down is made up by the next
    one (beat runs a missed crontab once at start); a half-year that passed without its
    extract shows in missing_periodic_extracts. Lost messages are the sweep's
    (publish_waiting_snapshots), not the planner's. The unique constraint makes a
    concurrent run harmless.
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


def claim(snapshot_id: int) -> bool:
    """Take a snapshot for work with one conditional UPDATE; False if not ours to do.

    Queued ones are taken; in-progress ones only when their worker stopped beating
    (_lost_worker): a message the broker delivers again after a pool child was killed is
    refused while the dead worker's heartbeat is fresh, and the sweep sends it again once
    it is not. The attempt counter lives in the row, so the cap holds across workers and
    restarts. The message is spent: `published_at` is cleared for the sweep.
    """
    from django.conf import settings

    claimable = Q(status=Snapshot.Status.QUEUED) | _lost_worker()
    now = timezone.now()
    taken = Snapshot.objects.filter(
        claimable, pk=snapshot_id, attempts__lt=settings.ARCHIVE_MAX_ATTEMPTS
    ).update(
        status=Snapshot.Status.CAPTURING,
        attempts=F("attempts") + 1,
        started_at=now,
        updated_at=now,
        heartbeat_at=now,
        published_at=None,
        not_before=None,
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


@contextlib.contextmanager
def _heartbeat(snapshot_id: int) -> Iterator[None]:
    """Beat the snapshot's `heartbeat_at` while the block runs (heartbeat)."""
    rows = Snapshot.objects.filter(pk=snapshot_id, status__in=IN_PROGRESS)
    with heartbeat(rows, f"snapshot-{snapshot_id}"):
        yield


@contextlib.contextmanager
def heartbeat(rows: Any, label: str) -> Iterator[None]:
    """Beat `heartbeat_at` of `rows` every ARCHIVE_HEARTBEAT_INTERVAL seconds while the
    block runs.

    A thread, since the slow steps (the browser, rendering, the validator, zipping) block
    the task for longer than the heartbeat timeout. It dies with the process: a killed
    worker stops beating, and the claim lets the next delivery or the sweep take the work
    over within ARCHIVE_HEARTBEAT_TIMEOUT seconds instead of the task's hard time limit.
    `rows` is the work's row filtered to the states in which it is being worked on.
    """
    from django.conf import settings
    from django.db import connection

    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.ARCHIVE_HEARTBEAT_INTERVAL):
                try:
                    rows.update(heartbeat_at=timezone.now())
                except DatabaseError:
                    log.warning("Heartbeat of %s not recorded", label, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{label}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def process_snapshot(snapshot_id: int) -> Outcome:
    """Capture, render, validate and store one snapshot; safe to call twice.

    Slow I/O (the browser, fetching, rendering, validating, writing the file) runs outside
    any transaction; only the final bookkeeping is one short transaction. ARC-1: a
    snapshot counts (STORED) only when its PDF/A passed validation and its checksum is
    recorded. A file an earlier attempt stored but could not record is adopted, never
    written twice (_adopt_stored_file). A missing archive share is waited for, without
    spending an attempt.
    """
    from django.conf import settings

    from archive import capture as capturing
    from archive.storage import ArchiveUnavailable, archive_storage_problem

    if not claim(snapshot_id):
        return Outcome(None)
    snapshot = Snapshot.objects.select_related(
        "account__platform", "account__department__parent", "requested_by"
    ).get(pk=snapshot_id)
    try:
        with _heartbeat(snapshot.pk):
            _remove_leftovers(snapshot)
            if _adopt_stored_file(snapshot):
                return Outcome(snapshot)
            problem = archive_storage_problem()
            if problem:
                raise ArchiveUnavailable(problem)  # no capture for a file with nowhere to go
            _check_sources(snapshot)
            page = capturing.capture_snapshot_page(snapshot)
            return render_and_store(snapshot, page)
    except ArchiveUnavailable as exc:
        return _wait_for_share(snapshot, exc)
    except _TakenOver:
        snapshot.refresh_from_db()
        return Outcome(snapshot)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        # A decompression bomb that Pillow itself refuses is as permanent as one refused
        # by _check_sources: the same file fails the same way every time.
        permanent = isinstance(exc, capturing.PermanentCaptureError | DecompressionBombError)
        snapshot.refresh_from_db()
        message = f"{type(exc).__name__}: {exc}"[:4000]
        if not permanent and snapshot.attempts < settings.ARCHIVE_MAX_ATTEMPTS:
            # Retried by the sweep once `not_before` has come, not by a message held back
            # in the broker (a countdown longer than the visibility timeout is delivered
            # twice, and one lost with a worker is gone).
            delay = settings.ARCHIVE_RETRY_BACKOFF * 2 ** (snapshot.attempts - 1)
            Snapshot.objects.filter(pk=snapshot.pk, status__in=IN_PROGRESS).update(
                status=Snapshot.Status.QUEUED,
                last_error=message,
                not_before=timezone.now() + dt.timedelta(seconds=delay),
                updated_at=timezone.now(),
            )
            snapshot.refresh_from_db()
            return Outcome(snapshot, retry_in=delay)
        Snapshot.objects.filter(pk=snapshot.pk, status__in=IN_PROGRESS).update(
            status=Snapshot.Status.FAILED, last_error=message, updated_at=timezone.now()
        )
        _record_failure(snapshot, "permanent" if permanent else "attempts")
        snapshot.refresh_from_db()
        log.warning("Snapshot %s failed: %s", snapshot.pk, message)
        return Outcome(snapshot)


def _wait_for_share(snapshot: Snapshot, exc: OSError) -> Outcome:
    """The archive share is not there: back to the queue, tried again in a minute or two.

    Issue 9: never failed for it (the attempt is given back: an unmounted share is the
    operator's to fix, however long it takes) and never stored elsewhere. The reason is
    on the row for the snapshot's page; /healthz says the same (archive_storage_problem).
    """
    from django.conf import settings

    Snapshot.objects.filter(pk=snapshot.pk, status__in=IN_PROGRESS).update(
        status=Snapshot.Status.QUEUED,
        attempts=F("attempts") - 1,
        last_error=str(exc)[:4000],
        not_before=timezone.now() + dt.timedelta(seconds=settings.ARCHIVE_RETRY_BACKOFF),
        updated_at=timezone.now(),
    )
    log.warning("Snapshot %s waits for the archive share: %s", snapshot.pk, exc)
    snapshot.refresh_from_db()
    return Outcome(snapshot, retry_in=settings.ARCHIVE_RETRY_BACKOFF)


def _adopt_stored_file(snapshot: Snapshot) -> bool:
    """Record the file an earlier attempt stored but was stopped before recording; True if
    there is one.

    The name is reserved on the row before the file is linked (_store_file), with the
    file's SHA-256: a file under the reserved name with that checksum is this snapshot's,
    complete (the link is made from a fsynced file), and is recorded instead of capturing
    again and writing a second file.
    """
    from archive.storage import archive_storage, sha256_of

    if not (snapshot.file_name and snapshot.sha256):
        return False
    try:
        if not archive_storage().exists(snapshot.file_name):
            return False
        if sha256_of(snapshot.file_name) != snapshot.sha256:
            return False
    except OSError:
        return False  # unreadable: capture again (and the share check decides)
    with transaction.atomic():
        if not Snapshot.objects.filter(
            pk=snapshot.pk, status__in=IN_PROGRESS, file_name=snapshot.file_name
        ).update(
            status=Snapshot.Status.STORED,
            stored_at=timezone.now(),
            updated_at=timezone.now(),
            last_error="",
        ):
            return False
        snapshot.refresh_from_db()
        AuditEvent.record(
            actor=None,
            action="archive.snapshot_stored",
            target=snapshot,
            details={
                "file": snapshot.file_name,
                "sha256": snapshot.sha256,
                "method": snapshot.method,
                "adopted": True,
            },
        )
    return True


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
    from archive.storage import convention_name
    from archive.tasks import index_archived_text
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
    name = _store_file(
        snapshot,
        folder=account.department.office.name,
        filename=convention_name(
            platform=account.platform.name,
            department=account.department.name,
            day=timezone.localtime(page.captured_at).date(),
            context=snapshot.context_label,
        ),
        data=data,
        validation=validation,
    )
    _fault_point("bookkeeping")
    stamping = timestamps.is_enabled()
    with transaction.atomic():
        stored = Snapshot.objects.filter(
            pk=snapshot.pk, status__in=IN_PROGRESS, file_name=name
        ).update(
            status=Snapshot.Status.STORED,
            file_name=name,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            stored_at=timezone.now(),
            updated_at=timezone.now(),
            last_error="",
            timestamp_status=Snapshot.TimestampStatus.PENDING if stamping else "",
            **validation,
        )
        if not stored:
            return _taken_over(snapshot, name)
        snapshot.refresh_from_db()
        AuditEvent.record(
            actor=None,
            action="archive.snapshot_stored",
            target=snapshot,
            details={"file": name, "sha256": snapshot.sha256, "method": page.method},
        )
        if stamping:
            _queue_timestamp(snapshot)
        outbox.publish_on_commit(index_archived_text, snapshot.pk)  # archive.search
    return Outcome(snapshot)


class _TakenOver(Exception):
    """Another worker took the snapshot over (this one was silent too long) and finished it."""


def _store_file(
    snapshot: Snapshot, *, folder: str, filename: str, data: bytes, validation: dict[str, Any]
) -> str:
    """Store the snapshot's file exactly once under the convention's name; return the name.

    ARC-3 "filnamn" and issue 9: the name is reserved on the row (unique among the rows,
    with the file's SHA-256 and validation) before the file is linked to it. A worker
    killed after the link leaves a name the next attempt recognises as its own and adopts
    (_adopt_stored_file) instead of writing "… (2).pdf"; one killed while writing leaves a
    temporary file named after the snapshot, which the next attempt removes.
    """
    import hashlib

    from archive import storage as files

    fields = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), **validation}
    tmp = files.write_temp(folder, data, tag=_temp_tag(snapshot))
    _fault_point("written")
    try:
        for name in files.candidate_names(folder, filename):
            if files.archive_storage().exists(name) or not _reserve_name(snapshot, name, fields):
                continue  # another snapshot's file, or its reserved name
            if files.link_final(tmp, name, data):
                _fault_point("linked")
                return name
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    raise FileExistsError(filename)  # pragma: no cover - candidate_names raises first


def _reserve_name(snapshot: Snapshot, name: str, fields: dict[str, Any]) -> bool:
    """Reserve `name` for the snapshot's file; False if another snapshot holds it."""
    try:
        with transaction.atomic():
            reserved = Snapshot.objects.filter(pk=snapshot.pk, status__in=IN_PROGRESS).update(
                file_name=name, updated_at=timezone.now(), **fields
            )
    except IntegrityError:
        return False  # snapshot_one_row_per_file
    if not reserved:
        raise _TakenOver
    return True


def _taken_over(snapshot: Snapshot, name: str) -> Outcome:
    """Another worker finished the snapshot while this one was silent: keep its result.

    When it recorded another file, the one this worker linked is recorded nowhere and is
    removed (it is this worker's own, never an archived file).
    """
    from archive.storage import archive_storage

    snapshot.refresh_from_db()
    if snapshot.file_name != name:
        archive_storage().delete(name)
    return Outcome(snapshot)


def _temp_tag(snapshot: Snapshot) -> str:
    return f"snapshot-{snapshot.pk}"


def _remove_leftovers(snapshot: Snapshot) -> None:
    """Remove the temporary files an earlier, killed attempt for this snapshot left."""
    from archive.storage import remove_temp_files

    # The share may be away: then the store refuses, and a later attempt cleans up.
    with contextlib.suppress(OSError):
        remove_temp_files(snapshot.account.department.office.name, _temp_tag(snapshot))


def _fault_point(point: str) -> None:
    """Kill this worker at `point` when ARCHIVE_FAULT_KILL_AT names it (the fault tests).

    The points of the store path where a crash used to lose or duplicate a file:
    "written" (temporary file written), "linked" (final name linked, folder not synced),
    "bookkeeping" (file stored, row not yet STORED). Read nowhere else.
    """
    if os.environ.get("ARCHIVE_FAULT_KILL_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


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
    """Check every stored file and the archive's folder; record and report what is wrong.

    Issue 5 "Storage, naming, fixity" and issue 9 "Every change is detected": a stored
    file must be there with the SHA-256 recorded for it; that checksum must be the one the
    audit trail's "archive.snapshot_stored" event and the file's trusted timestamp carry
    (else the file was replaced together with its checksum); every file in the folder must
    belong to a snapshot (else it is stray, or a temporary file an interrupted store left).

    The reading happens outside any transaction. The bookkeeping is batched
    (ARCHIVE_VERIFY_BATCH_SIZE snapshots: one SELECT, one query for their audit events and
    one UPDATE per batch), so a large archive costs file reads, not round trips. With
    `alert`, the communications office and the archivists are told by e-mail when
    something is wrong. `check`: a run already claimed (claim_fixity_run); otherwise a new
    one is recorded.
    """
    from django.conf import settings
    from django.db.models import Case, Value, When

    from archive.storage import archive_storage

    if check is None:
        check = FixityCheck.objects.create(triggered_by=triggered_by)
    storage = archive_storage()
    # The folder is listed before the records are read: a file a worker records meanwhile
    # is then young, and young files are left for the next run (_unrecorded_files).
    on_disk = _archive_files(storage)
    check_tokens = bool(settings.TSA_CA_FILE)
    batch_size = max(1, int(settings.ARCHIVE_VERIFY_BATCH_SIZE))
    problems: list[dict[str, Any]] = []
    count = 0
    last_pk = 0
    while True:
        batch = list(Snapshot.objects.stored().filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        originals = stored_checksums([snapshot.pk for snapshot in batch])
        bad: list[int] = []
        for snapshot in batch:
            found = _check_stored_file(
                snapshot, storage, original=originals.get(snapshot.pk), check_token=check_tokens
            )
            if found:
                bad.append(snapshot.pk)
                problems.extend(found)
        count += len(batch)
        # One UPDATE for the whole batch, the damaged ones flagged in the same statement.
        Snapshot.objects.filter(pk__in=[snapshot.pk for snapshot in batch]).update(
            verified_at=timezone.now(),
            fixity_ok=Case(When(pk__in=bad, then=Value(False)), default=Value(True))
            if bad
            else Value(True),
        )
        if len(batch) < batch_size:
            break
    problems.extend(_unrecorded_files(on_disk))
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


def stored_checksums(snapshot_ids: list[int]) -> dict[int, str]:
    """Return the SHA-256 the audit trail recorded when each snapshot was stored.

    The "archive.snapshot_stored" event is written in the transaction that stored the file
    (render_and_store); the first one counts. One query for the whole list.
    """
    from django.contrib.contenttypes.models import ContentType

    events = (
        AuditEvent.objects.filter(
            action="archive.snapshot_stored",
            target_type=ContentType.objects.get_for_model(Snapshot),
            target_id__in=[str(pk) for pk in snapshot_ids],
        )
        .order_by("created_at", "pk")
        .values_list("target_id", "details")
    )
    found: dict[int, str] = {}
    for target_id, details in events:
        pk = int(target_id)
        if pk not in found and isinstance(details, dict):
            found[pk] = str(details.get("sha256") or "")
    return found


def _problem(
    snapshot: Snapshot | None,
    file_name: str,
    problem: str,
    *,
    expected: str = "",
    found: str = "",
    detail: str = "",
) -> dict[str, Any]:
    return {
        "snapshot": snapshot.pk if snapshot is not None else None,
        "file": file_name,
        "problem": problem,
        "expected": expected,
        "found": found,
        "detail": detail,
    }


def _check_stored_file(
    snapshot: Snapshot, storage: Any, *, original: str | None, check_token: bool
) -> list[dict[str, Any]]:
    """Return the problems of one stored snapshot's file, its checksum and its token."""
    from archive.storage import sha256_of

    problem = FixityCheck.Problem
    name = snapshot.file_name
    found: list[dict[str, Any]] = []
    replaced_by: str | None = None  # the original SHA-256, once the evidence shows one
    try:
        digest = sha256_of(name) if storage.exists(name) else None
    except OSError:
        digest = None
    if digest is None:
        found.append(_problem(snapshot, name, problem.MISSING, expected=snapshot.sha256))
    elif digest != snapshot.sha256:
        found.append(
            _problem(snapshot, name, problem.CHANGED, expected=snapshot.sha256, found=digest)
        )
    if original is None:
        found.append(_problem(snapshot, name, problem.EVENT_MISSING, expected=snapshot.sha256))
    elif original != snapshot.sha256:
        replaced_by = original
    if check_token and (
        snapshot.timestamp_token is not None
        or snapshot.timestamp_status == Snapshot.TimestampStatus.STAMPED
    ):
        token_problem = _check_token(snapshot)
        if token_problem is not None and token_problem[0] == "imprint":
            replaced_by = replaced_by or token_problem[1]
        elif token_problem is not None:
            found.append(
                _problem(
                    snapshot,
                    name,
                    problem.TIMESTAMP_INVALID,
                    expected=snapshot.sha256,
                    detail=token_problem[1],
                )
            )
    if replaced_by is not None:
        found.append(
            _problem(
                snapshot,
                name,
                problem.CHECKSUM_REPLACED,
                expected=replaced_by,
                found=snapshot.sha256,
            )
        )
    return found


def _check_token(snapshot: Snapshot) -> tuple[str, str] | None:
    """Check a stored file's timestamp token against its recorded SHA-256 and the CA.

    None when it verifies; ("imprint", <sha256>) when it is a genuine token for another
    digest (the file and its checksum were replaced after it was stamped, or the token
    was taken from another file); ("invalid", <why>) otherwise.
    """
    if snapshot.timestamp_token is None:
        return ("invalid", _("Filen är tidsstämplad men tidsstämpeln saknas."))
    token = bytes(snapshot.timestamp_token)
    try:
        timestamps.verify_timestamp(token, snapshot.sha256)
        return None
    except (timestamps.TimestampInvalid, ValueError) as exc:
        why = str(exc)
    try:
        imprint = timestamps.message_imprint(token)
        timestamps.verify_timestamp(token, imprint)
    except (timestamps.TimestampInvalid, ValueError):
        return ("invalid", why)
    return ("imprint", imprint.hex())


def _archive_files(storage: Any) -> list[tuple[str, dt.datetime]]:
    """Return every file in the archive storage with its modification time."""
    files: list[tuple[str, dt.datetime]] = []
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            subfolders, names = storage.listdir(folder)
        except FileNotFoundError:
            continue  # gone meanwhile, or the share is not there: its files show as missing
        for sub in subfolders:
            folders.append(f"{folder}/{sub}" if folder else sub)
        for file_name in names:
            path = f"{folder}/{file_name}" if folder else file_name
            try:
                files.append((path, storage.get_modified_time(path)))
            except FileNotFoundError:
                continue
    return files


def _unrecorded_files(files: list[tuple[str, dt.datetime]]) -> list[dict[str, Any]]:
    """Return the files no snapshot records: stray files and leftover temporary files.

    A file younger than the task's hard time limit may be one a worker is still writing
    or recording (archive.storage.save_new writes ".tmp-*" first, then the row follows):
    it is left for the next run, since no task runs longer than that limit.
    """
    from django.conf import settings

    known = set(Snapshot.objects.exclude(file_name="").values_list("file_name", flat=True))
    settled = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_HARD_TIME_LIMIT)
    found = []
    for name, modified in sorted(files):
        if name in known or modified > settled:
            continue
        leftover = name.rsplit("/", 1)[-1].startswith(".tmp-")
        kind = FixityCheck.Problem.LEFTOVER if leftover else FixityCheck.Problem.STRAY
        found.append(_problem(None, name, kind))
    return found


# --- trusted timestamps (RFC 3161) -------------------------------------------------------------

# The worker retries an unreachable TSA this many times, ARCHIVE_RETRY_BACKOFF × 2^(n−1)
# seconds apart (about an hour in all with the default 60 s); after that the hourly sweep
# (queue_missing_timestamps) tries again, once an hour, for as long as the TSA is away.
TIMESTAMP_RETRIES = 6
# A pending timestamp not tried for this long lost its message or its worker: the sweep
# queues it again. Longer than the longest wait between the worker's own retries.
TIMESTAMP_SWEEP_AFTER = dt.timedelta(hours=1)
# Files queued per sweep, the oldest first: an archive that turns timestamping on does not
# send the TSA its whole history at once.
TIMESTAMP_SWEEP_LIMIT = 1000


def _queue_timestamp(snapshot: Snapshot) -> None:
    """Ask a worker for the file's timestamp once the storing transaction commits.

    Through the outbox: a broker that refuses the message must not fail a stored
    snapshot; the row stays PENDING and the hourly sweep (queue_missing_timestamps) sends
    it again.
    """
    from archive.tasks import timestamp_snapshot as task

    outbox.publish_on_commit(task, snapshot.pk)


def _due_for_timestamp() -> Q:
    return Q(status=Snapshot.Status.STORED) & Q(
        timestamp_status__in=["", Snapshot.TimestampStatus.PENDING]
    )


def timestamp_snapshot(snapshot_id: int) -> Outcome:
    """Get a trusted timestamp for a stored file's SHA-256 from the TSA; safe to call twice.

    Issue 9 "Trusted timestamps": the token proves the file existed with this checksum at
    the TSA's time. Only the bytes the archive holds, matching the recorded checksum and
    the audit trail's, are stamped: a file replaced before its token came gets none (and
    is flagged). The TSA is asked outside any transaction; the token is saved with a
    conditional UPDATE, so a second delivery or a second worker saves nothing more.
    Unreachable TSA: `retry_in` seconds (TIMESTAMP_RETRIES times). Invalid token or a
    refusal: INVALID, shown on the snapshot's page, not retried.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from archive.storage import sha256_of

    if not timestamps.is_enabled():
        return Outcome(None)
    due = _due_for_timestamp()
    now = timezone.now()
    if not Snapshot.objects.filter(due, pk=snapshot_id).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING,
        timestamp_attempts=F("timestamp_attempts") + 1,
        timestamp_tried_at=now,
    ):
        return Outcome(None)  # stamped or refused already, or not stored
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    try:
        digest = sha256_of(snapshot.file_name)
    except OSError as exc:
        # The share may be away for a while; verify_archive reports a file really gone.
        return _timestamp_later(snapshot, _("Filen kunde inte läsas: %(error)s") % {"error": exc})
    original = stored_checksums([snapshot.pk]).get(snapshot.pk, snapshot.sha256)
    if digest != snapshot.sha256 or original != snapshot.sha256:
        with transaction.atomic():
            Snapshot.objects.filter(due, pk=snapshot.pk).update(
                timestamp_status=Snapshot.TimestampStatus.INVALID,
                timestamp_error=_(
                    "Ingen tidsstämpel begärd: filen stämmer inte med sin registrerade "
                    "kontrollsumma."
                ),
                fixity_ok=False,
                verified_at=now,
            )
            AuditEvent.record(
                actor=None,
                action="archive.timestamp_failed",
                target=snapshot,
                details={"expected": original, "recorded": snapshot.sha256, "found": digest},
            )
        return Outcome(_reloaded(snapshot))
    try:
        stamp = timestamps.request_timestamp(snapshot.sha256)
    except timestamps.TimestampingDisabled:
        return Outcome(None)
    except (timestamps.TSAUnavailable, ImproperlyConfigured) as exc:
        # A misconfigured CA file or address is fixed by the operator; then it works.
        return _timestamp_later(snapshot, str(exc))
    except timestamps.TimestampInvalid as exc:
        with transaction.atomic():
            Snapshot.objects.filter(due, pk=snapshot.pk).update(
                timestamp_status=Snapshot.TimestampStatus.INVALID,
                timestamp_error=str(exc)[:2000],
            )
            AuditEvent.record(
                actor=None,
                action="archive.timestamp_failed",
                target=snapshot,
                details={"sha256": snapshot.sha256, "error": str(exc)[:500]},
            )
        log.warning("Timestamp for snapshot %s refused: %s", snapshot.pk, exc)
        return Outcome(_reloaded(snapshot))
    with transaction.atomic():
        saved = Snapshot.objects.filter(due, pk=snapshot.pk).update(
            timestamp_status=Snapshot.TimestampStatus.STAMPED,
            timestamp_token=stamp.token,
            timestamp_at=stamp.gen_time,
            timestamp_tsa=settings.TSA_URL[:500],
            timestamp_error="",
        )
        if saved:
            AuditEvent.record(
                actor=None,
                action="archive.timestamped",
                target=snapshot,
                details={
                    "sha256": snapshot.sha256,
                    "tsa": settings.TSA_URL,
                    "time": stamp.gen_time.isoformat(),
                    "serial": str(stamp.serial),
                },
            )
    return Outcome(_reloaded(snapshot))


def _timestamp_later(snapshot: Snapshot, error: str) -> Outcome:
    from django.conf import settings

    Snapshot.objects.filter(_due_for_timestamp(), pk=snapshot.pk).update(
        timestamp_error=error[:2000]
    )
    attempts = snapshot.timestamp_attempts
    retry_in = (
        settings.ARCHIVE_RETRY_BACKOFF * 2 ** (attempts - 1)
        if attempts <= TIMESTAMP_RETRIES
        else None
    )
    return Outcome(_reloaded(snapshot), retry_in=retry_in)


def _reloaded(snapshot: Snapshot) -> Snapshot:
    snapshot.refresh_from_db()
    return snapshot


def queue_missing_timestamps() -> int:
    """Queue a timestamp for each stored file without one; return how many were sent.

    Hourly (archive.tasks.timestamp_sweep): files stored before timestamping was turned on,
    and pending ones whose message, worker or retries were lost (not tried for
    TIMESTAMP_SWEEP_AFTER). Nothing with TSA_URL empty.
    """
    from archive.tasks import timestamp_snapshot as task

    if not timestamps.is_enabled():
        return 0
    stale = timezone.now() - TIMESTAMP_SWEEP_AFTER
    pending = Snapshot.TimestampStatus.PENDING
    due = (
        Snapshot.objects.filter(_due_for_timestamp())
        .filter(
            Q(timestamp_status="")
            | Q(timestamp_status=pending, timestamp_tried_at__lt=stale)
            | Q(timestamp_status=pending, timestamp_tried_at__isnull=True, stored_at__lt=stale)
        )
        .order_by("stored_at", "pk")
    )
    ids = list(due.values_list("pk", flat=True)[:TIMESTAMP_SWEEP_LIMIT])
    Snapshot.objects.filter(pk__in=ids, timestamp_status="").update(timestamp_status=pending)
    return sum(1 for pk in ids if outbox.publish(task, pk))


# --- downloads ---------------------------------------------------------------------------------


class DamagedFile(Exception):
    """A stored file is missing or its bytes no longer match the recorded SHA-256."""

    def __init__(self, snapshot: Snapshot, problem: str, found: str = "") -> None:
        self.snapshot = snapshot
        self.problem = problem
        self.found = found
        super().__init__(f"{snapshot.file_name}: {problem}")


def checked_file(snapshot: Snapshot) -> IO[bytes]:
    """Return a stored file's bytes, checked against the recorded SHA-256, ready to send.

    Issue 9: a download never serves a file whose bytes no longer match; the copy that
    was hashed is the one sent (nykvarn_sm.lib.fixity). DamagedFile when it is missing
    or changed.
    """
    from archive.storage import open_file
    from nykvarn_sm.lib.fixity import hashed_copy

    try:
        with open_file(snapshot.file_name) as source:
            copy, found = hashed_copy(source)
    except OSError:
        raise DamagedFile(snapshot, FixityCheck.Problem.MISSING) from None
    if found != snapshot.sha256:
        copy.close()
        raise DamagedFile(snapshot, FixityCheck.Problem.CHANGED, found)
    return copy


@transaction.atomic
def refuse_download(*, damage: DamagedFile, by: User) -> None:
    """Record a refused download: the fixity flag on the snapshot and an audit event."""
    snapshot = damage.snapshot
    Snapshot.objects.filter(pk=snapshot.pk).update(fixity_ok=False, verified_at=timezone.now())
    AuditEvent.record(
        actor=by,
        action="archive.download_refused",
        target=snapshot,
        details={
            "file": snapshot.file_name,
            "problem": damage.problem,
            "expected": snapshot.sha256,
            "found": damage.found,
        },
    )

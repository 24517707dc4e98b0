"""The archive's pages for archivists and department managers (ARC-5), and the request
form on an account's page. Each view: permission first, then the form, then one service
call, then a redirect."""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions as perms
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Department
from archive import gallring, services
from archive import search as archive_search
from archive.forms import (
    ArchiveSearchForm,
    DisposeForm,
    HoldForm,
    ReleaseHoldForm,
    RequestSnapshotForm,
    SnapshotFilterForm,
    ThinningForm,
    UploadForm,
)
from archive.models import (
    Disposal,
    FixityCheck,
    GallringDecision,
    LegalHold,
    Snapshot,
    missing_periodic_extracts,
)
from archive.storage import archive_storage, clean_part, iter_chunks
from nykvarn_sm.lib import timestamps
from nykvarn_sm.lib.querystring import id_param
from registry.models import SocialAccount

PAGE_SIZE = 100
GAPS_PAGE_SIZE = 50


def _snapshot(request: HttpRequest, pk: int, action: str) -> Snapshot:
    snapshot = get_object_or_404(
        Snapshot.objects.select_related("account__platform", "account__department", "requested_by"),
        pk=pk,
    )
    perms.require(request.user, action, snapshot, view_action="archive.view_snapshot")
    return snapshot


@never_cache
@login_required
@require_GET
def snapshot_list(request: HttpRequest) -> HttpResponse:
    """Snapshots filtered by office, department, account, period and status (ARC-5)."""
    perms.require(request.user, "archive.browse")
    scope = perms.archive_scope(request.user)
    form = SnapshotFilterForm(request.GET or None, scope=scope)
    snapshots = form.filter(
        Snapshot.objects.visible_to(request.user)
        .select_related("account__platform", "account__department", "requested_by")
        .with_sources_flag()
    )
    rows = list(snapshots[:PAGE_SIZE])
    return render(
        request,
        "archive/snapshot_list.html",
        {
            "form": form,
            "snapshots": rows,
            "truncated": len(rows) == PAGE_SIZE,
            "office_periods": _office_periods(request.user, scope),
            "any_running": any(s.in_progress and not s.awaiting_upload for s in rows),
            "last_check": FixityCheck.objects.first(),
            "missing_count": _missing(request).count(),
            "can_dispose": perms.can(request.user, "archive.dispose"),
        },
    )


def _office_periods(user: Any, scope: frozenset[int] | None) -> list[dict[str, Any]]:
    """Return the offices and periods that have stored files, newest period first, with
    the number of files: the office ZIP is offered only where it holds something (ARC-2).

    Two queries whatever the number of offices: the tree is walked in Python.
    """
    office_kinds = {Department.Kind.KONTOR, Department.Kind.AVDELNING}
    office_by_id: dict[int, Department] = {}
    parent_of: dict[int, int | None] = {}
    for department in Department.objects.only("pk", "name", "kind", "parent_id"):
        parent_of[department.pk] = department.parent_id
        if department.kind in office_kinds and (scope is None or department.pk in scope):
            office_by_id[department.pk] = department
    counts: dict[tuple[str, int], int] = {}
    stored = (
        Snapshot.objects.visible_to(user)
        .stored()
        .order_by()  # the default ordering would split the groups
        .values_list("account__department_id", "period")
        .annotate(files=Count("pk"))
    )
    for department_id, period, files in stored:
        # The ZIP of an office holds its own files and those of everything below it.
        node: int | None = department_id
        seen: set[int] = set()
        while node is not None and node not in seen:
            seen.add(node)
            if node in office_by_id:
                counts[(period, node)] = counts.get((period, node), 0) + files
            node = parent_of.get(node)
    periods = sorted({period for period, _office in counts}, reverse=True)[:12]
    return [
        {"office": office_by_id[office_id], "period": period, "files": counts[(period, office_id)]}
        for period in periods
        for office_id in sorted(office_by_id, key=lambda pk: office_by_id[pk].name)
        if (period, office_id) in counts
    ]


def _missing(request: HttpRequest) -> Any:
    """The passed periods without a stored periodic extract, in the user's scope (ARC-1)."""
    accounts = SocialAccount.objects.all()
    scope = perms.archive_scope(request.user)
    if scope is not None:
        accounts = accounts.filter(department_id__in=scope)
    return missing_periodic_extracts(accounts)


@never_cache
@login_required
@require_GET
def missing_list(request: HttpRequest) -> HttpResponse:
    """ "Saknade periodiska uttag": periods that passed without a stored periodic extract of
    an account active during them (ARC-1 "minst två gånger per år"), newest first."""
    perms.require(request.user, "archive.browse")
    page = Paginator(_missing(request), GAPS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "archive/missing_list.html", {"page": page})


@never_cache
@login_required
@require_GET
def snapshot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = _snapshot(request, pk, "archive.view_snapshot")
    return render(
        request,
        "archive/snapshot_detail.html",
        {
            "snapshot": snapshot,
            # Not refreshed every 5 s like work in progress: someone is to upload here.
            "awaiting_upload": snapshot.awaiting_upload,
            "can_retry": perms.can(request.user, "archive.retry", snapshot),
            "can_upload": perms.can(request.user, "archive.request_snapshot", snapshot.account),
            "upload_form": UploadForm(),
            "timestamps_enabled": timestamps.is_enabled(),
        },
    )


@never_cache
@login_required
@require_GET
def download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """ARC-5: the PDF/A under the convention's name, åäö intact (RFC 6266 filename*).

    Only bytes that match the recorded SHA-256 are sent (issue 9): a missing or changed
    file is refused with a page saying what to do, an audit event and the fixity flag.
    """
    snapshot = _snapshot(request, pk, "archive.download")
    if snapshot.status != Snapshot.Status.STORED:
        raise Http404
    try:
        checked = services.checked_file(snapshot)
    except services.DamagedFile as damage:
        services.refuse_download(damage=damage, by=request.user)
        return render(
            request,
            "archive/download_refused.html",
            {"snapshot": snapshot, "problem": damage.problem},
            status=409,
        )
    response = FileResponse(
        checked,
        as_attachment=True,
        filename=snapshot.download_name,
        content_type="application/pdf",
    )
    response["X-Checksum-SHA256"] = snapshot.sha256
    return response


@never_cache
@login_required
@require_GET
def office_zip(request: HttpRequest) -> HttpResponseBase:
    """An office's stored files for a period as one ZIP, with a SHA-256 manifest (ARC-2).

    The manifest is in sha256sum's format, so `sha256sum -c manifest-sha256.txt` checks the
    unpacked files; it carries the checksums recorded when each file was stored.
    """
    perms.require(request.user, "archive.browse")
    office_id = id_param(request.GET.get("office"))
    if office_id is None:
        raise Http404
    office = get_object_or_404(Department, pk=office_id)
    if not perms.can(request.user, "archive.download_office", office):
        raise Http404
    period = (request.GET.get("period") or "").strip()
    if not period or len(period) > Snapshot._meta.get_field("period").max_length:  # type: ignore[operator]
        raise Http404
    snapshots = list(
        Snapshot.objects.stored()
        .filter(account__department_id__in=Department.descendant_ids({office.pk}), period=period)
        .order_by("file_name")
    )
    query = urlencode({"office": office.pk, "period": period})
    if not snapshots:
        # An empty ZIP would pass for a complete delivery of a period with no files (ARC-2).
        messages.info(
            request,
            _("Inga lagrade uttag för kontoret och perioden %(period)s.") % {"period": period},
        )
        return redirect(f"{reverse('archive:list')}?{query}")
    storage = archive_storage()
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    lines = []
    problems: list[str] = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for snapshot in snapshots:
            if not storage.exists(snapshot.file_name):
                problems.append(_("%(name)s (saknas)") % {"name": snapshot.file_name})
                continue
            digest = hashlib.sha256()
            with archive.open(snapshot.download_name, "w", force_zip64=True) as entry:
                for chunk in iter_chunks(snapshot.file_name):
                    digest.update(chunk)
                    entry.write(chunk)
            # The file is read once: what goes in the ZIP is what was checked here.
            if digest.hexdigest() != snapshot.sha256:
                problems.append(_("%(name)s (ändrad)") % {"name": snapshot.file_name})
                continue
            lines.append(f"{snapshot.sha256}  {snapshot.download_name}\n")
        archive.writestr("manifest-sha256.txt", "".join(lines).encode("utf-8"))
    if problems:
        # Refuse the whole ZIP rather than ship part of it: an office's delivery for a
        # period that silently lacks a file looks complete to whoever receives it, and a
        # changed file must never travel with a manifest that vouches for it. The files
        # are named so that the archivist can restore them (ARC-2; issue 5 "fixity").
        spool.close()
        messages.error(
            request,
            _(
                "ZIP-filen skapades inte: %(count)d filer stämmer inte med sina registrerade "
                "kontrollsummor: %(files)s. Kör kontrollen av kontrollsummor "
                "(python manage.py verify_archive) och återställ filerna från säkerhetskopian "
                "innan perioden laddas ner."
            )
            % {"count": len(problems), "files": "; ".join(problems)},
        )
        return redirect(f"{reverse('archive:list')}?{query}")
    spool.seek(0)
    name = f"{clean_part(office.name)} {period}.zip"
    return FileResponse(spool, as_attachment=True, filename=name, content_type="application/zip")


@login_required
@require_POST
def retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    snapshot = _snapshot(request, pk, "archive.retry")
    if services.retry_snapshot(snapshot=snapshot, by=request.user):
        _queued(request, snapshot, _("Uttaget är köat igen."))
    else:
        messages.info(request, _("Uttaget har inte misslyckats; det finns inget att göra om."))
    return redirect(snapshot)


@login_required
@require_POST
def upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Screenshots or a PDF print for a waiting or failed snapshot (login walls)."""
    # 404 for whoever may not see the snapshot (a manager of another office learns nothing),
    # 403 for whoever sees it but may not add to it (ARC-5).
    snapshot = _snapshot(request, pk, "archive.view_snapshot")
    perms.require(request.user, "archive.request_snapshot", snapshot.account)
    if snapshot.status not in (Snapshot.Status.QUEUED, Snapshot.Status.FAILED):
        messages.info(request, _("Uttaget är redan lagrat eller under arbete."))
        return redirect(snapshot)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("files", []):
            messages.error(request, str(error))
        return redirect(snapshot)
    services.add_uploads(snapshot=snapshot, uploads=form.cleaned_data["files"], by=request.user)
    _queued(request, snapshot, _("Filerna är uppladdade och uttaget är köat."))
    return redirect(snapshot)


@login_required
@require_POST
def request_snapshot(request: AuthenticatedHttpRequest, account_pk: int) -> HttpResponse:
    """ARC-1 "före större förändringar": ask for a snapshot from the account's page."""
    account = get_object_or_404(SocialAccount.objects.select_related("platform"), pk=account_pk)
    perms.require(
        request.user, "archive.request_snapshot", account, view_action="registry.view_account"
    )
    form = RequestSnapshotForm(request.POST, request.FILES, account=account)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(account.get_absolute_url())
    try:
        snapshot = services.request_snapshot(
            account=account,
            context=form.cleaned_data["context"],
            note=form.cleaned_data["note"],
            uploads=form.cleaned_data["files"],
            by=request.user,
        )
    except services.PeriodicExtractExists as exists:
        messages.info(request, str(exists))
        return redirect(exists.snapshot)
    _queued(request, snapshot, _("Arkivuttaget är beställt. Det syns i listan när det är klart."))
    return redirect(snapshot)


def _queued(request: HttpRequest, snapshot: Snapshot, done: str) -> None:
    """Say that the work is queued, or, when the broker did not take it, that it is saved
    and starts by itself once the queue is back (issue 9; archive.services._queue)."""
    snapshot.refresh_from_db()
    if snapshot.waiting_for_broker:
        messages.warning(
            request,
            _(
                "Beställningen är sparad, men arbetskön svarar inte just nu. Uttaget startar av "
                "sig självt inom några minuter när kön är tillbaka; du behöver inte göra om det."
            ),
        )
    else:
        messages.success(request, done)


# --- gallring, holds and disposal (ARC-4, the guideline's "Gallra") -------------------------


def _account(request: HttpRequest, account_pk: int, action: str) -> SocialAccount:
    account = get_object_or_404(
        SocialAccount.objects.select_related("platform", "department"), pk=account_pk
    )
    perms.require(request.user, action, account, view_action="archive.view_gallring")
    return account


def _render_gallring(
    request: HttpRequest,
    account: SocialAccount,
    *,
    thinning_form: ThinningForm | None = None,
    hold_form: HoldForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_thin = perms.can(user, "archive.record_thinning", account)
    can_hold = perms.can(user, "archive.place_hold", account)
    latest = (
        Snapshot.objects.stored()
        .filter(account=account, validation_passed=True)
        .exclude(fixity_ok=False)
        .order_by("-captured_at")
        .first()
    )
    return render(
        request,
        "archive/account_gallring.html",
        {
            "account": account,
            "latest": latest,
            **gallring.summary(account),
            "thinning_form": thinning_form or (ThinningForm() if can_thin else None),
            "hold_form": hold_form or (HoldForm(account=account) if can_hold else None),
            "can_release": perms.can(user, "archive.release_hold", None),
            "release_form": ReleaseHoldForm(),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def account_gallring(request: HttpRequest, account_pk: int) -> HttpResponse:
    """An account's thinnings on the platform, its holds and its disposed files (ARC-4)."""
    account = _account(request, account_pk, "archive.view_gallring")
    return _render_gallring(request, account)


@login_required
@require_POST
def record_thinning(request: AuthenticatedHttpRequest, account_pk: int) -> HttpResponse:
    """ARC-4: record that a period's content was thinned on the platform, only after it was
    archived ("efter det att du utfört arkivering")."""
    account = _account(request, account_pk, "archive.record_thinning")
    form = ThinningForm(request.POST)
    if not form.is_valid():
        return _render_gallring(request, account, thinning_form=form, status=400)
    data = form.cleaned_data
    try:
        gallring.record_thinning(
            account=account,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            decision=data["decision"],
            thinned_on=data["thinned_on"],
            note=data["note"],
            by=request.user,
        )
    except gallring.GallringRefused as refused:
        form.add_error(None, str(refused))
        return _render_gallring(request, account, thinning_form=form, status=409)
    messages.success(request, _("Gallringen är registrerad."))
    return redirect("archive:account_gallring", account.pk)


@login_required
@require_POST
def place_hold(request: AuthenticatedHttpRequest, account_pk: int) -> HttpResponse:
    """Put a hold (gallringsstopp) on the account, a period of it or some of its records."""
    account = _account(request, account_pk, "archive.place_hold")
    form = HoldForm(request.POST, account=account)
    if not form.is_valid():
        return _render_gallring(request, account, hold_form=form, status=400)
    data = form.cleaned_data
    gallring.place_hold(
        account=account,
        scope=data["scope"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        snapshots=list(data["snapshots"]),
        reason=data["reason"],
        reference=data["reference"],
        note=data["note"],
        by=request.user,
    )
    messages.success(request, _("Gallringsstoppet gäller från nu."))
    return redirect("archive:account_gallring", account.pk)


@login_required
@require_POST
def release_hold(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(LegalHold.objects.select_related("account"), pk=pk)
    if not perms.can(request.user, "archive.view_gallring", hold.account):
        raise Http404
    perms.require(request.user, "archive.release_hold", hold)
    form = ReleaseHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Skriv varför stoppet hävs."))
    elif gallring.release_hold(hold=hold, note=form.cleaned_data["note"], by=request.user):
        messages.success(request, _("Gallringsstoppet är hävt."))
    else:
        messages.info(request, _("Gallringsstoppet var redan hävt."))
    return redirect("archive:account_gallring", hold.account_id)


@never_cache
@login_required
@require_GET
def gallring_overview(request: HttpRequest) -> HttpResponse:
    """The archivist's page: decisions, holds in force, files due for disposal, disposals."""
    perms.require(request.user, "archive.dispose")
    return render(
        request,
        "archive/gallring.html",
        {
            "decisions": list(GallringDecision.objects.all()),
            "holds": list(
                LegalHold.objects.active().select_related(
                    "account__platform", "account__department", "placed_by"
                )
            ),
            "due": gallring.due_for_disposal(),
            "disposals": list(
                Disposal.objects.select_related(
                    "decision", "disposed_by", "snapshot__account__platform"
                )[:50]
            ),
        },
    )


@login_required
@require_POST
def dispose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Dispose of a stored file under a decision whose time has passed (ARC-4)."""
    snapshot = _snapshot(request, pk, "archive.dispose")
    form = DisposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Välj ett gällande gallringsbeslut för arkiverade filer."))
        return redirect("archive:gallring")
    try:
        gallring.dispose_snapshot(
            snapshot=snapshot, decision=form.cleaned_data["decision"], by=request.user
        )
    except gallring.GallringRefused as refused:
        messages.error(request, str(refused))
        return redirect("archive:gallring")
    messages.success(request, _("Filen %(name)s är gallrad.") % {"name": snapshot.download_name})
    return redirect(snapshot)


# --- search over archived text ---------------------------------------------------------------

SEARCH_PAGE_SIZE = 20


@never_cache
@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Search the text of the stored files (pages and OCR) the user may see in the archive."""
    perms.require(request.user, "archive.search")
    form = ArchiveSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(archive_search.search(request.user, query), SEARCH_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "archive/search.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "hits": archive_search.hits(list(page.object_list), query),
        },
    )


# --- delivery packages for the e-archive (issue 10, FGS Paketstruktur 2.0) -------------------


def _package(request: HttpRequest, pk: int) -> Any:
    from archive.models import DeliveryPackage

    package = get_object_or_404(
        DeliveryPackage.objects.select_related("office", "account__platform", "requested_by"),
        pk=pk,
    )
    # Outside the user's part of the archive: 404, as for snapshots (ARC-5).
    if not perms.can(request.user, "archive.view_package", package):
        raise Http404
    return package


@never_cache
@login_required
@require_GET
def package_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Delivery packages, newest first, and the form that asks for one."""
    from archive.forms import PackageForm

    perms.require(request.user, "archive.build_package")
    return _package_page(request, PackageForm(), gaps=[])


@login_required
@require_POST
def package_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for a package. A period with failed or missing snapshots is named and asked
    about before anything is queued; the archivist confirms with the checkbox (issue 10)."""
    from archive import packages
    from archive.forms import PackageForm

    perms.require(request.user, "archive.build_package")
    form = PackageForm(request.POST)
    if not form.is_valid():
        return _package_page(request, form, gaps=[], status=400)
    data = form.cleaned_data
    try:
        package = packages.request_package(
            office=data["office"],
            period=data["period"] or "",
            account=data["account"],
            confirmed=data["confirm_gaps"],
            by=request.user,
        )
    except packages.GapsNotConfirmed as unconfirmed:
        return _package_page(request, form, gaps=unconfirmed.gaps, status=409)
    _package_queued(request, package, _("Paketet är beställt och byggs nu."))
    return redirect(package)


def _package_queued(request: HttpRequest, package: Any, done: str) -> None:
    """Say that the package is queued, or, when the broker did not take it, that it is saved
    and built by itself once the queue is back (issue 9; archive.packages._queue)."""
    package.refresh_from_db()
    if package.waiting_for_broker:
        messages.warning(
            request,
            _(
                "Beställningen är sparad, men arbetskön svarar inte just nu. Paketet byggs av "
                "sig självt inom några minuter när kön är tillbaka; du behöver inte beställa "
                "det igen."
            ),
        )
    else:
        messages.success(request, done)


def _package_page(
    request: HttpRequest, form: Any, *, gaps: list[dict[str, str]], status: int = 200
) -> HttpResponse:
    from archive.models import DeliveryPackage

    rows = list(
        DeliveryPackage.objects.select_related("office", "account__platform", "requested_by")[
            :PAGE_SIZE
        ]
    )
    return render(
        request,
        "archive/package_list.html",
        {
            "form": form,
            "gaps": gaps,
            "packages": rows,
            "any_running": any(p.in_progress for p in rows),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    package = _package(request, pk)
    return render(request, "archive/package_detail.html", {"package": package})


@never_cache
@login_required
@require_GET
def package_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The package's ZIP, sent only when it matches its recorded SHA-256.

    The file is read once, into a copy hashed as it is read, and that copy is what is sent
    (nykvarn_sm.lib.fixity): a file changed after the check is never the one served.
    """
    from accounts.models import AuditEvent
    from archive import storage
    from archive.models import DeliveryPackage
    from nykvarn_sm.lib.fixity import hashed_copy

    package = _package(request, pk)
    if package.status != DeliveryPackage.Status.READY:
        raise Http404
    problem = ""
    copy = None
    try:
        with storage.open_file(package.file_name) as source:
            copy, found = hashed_copy(source)
    except OSError:
        problem = _("Paketets fil saknas i arkivet.")
    else:
        if found != package.sha256:
            copy.close()
            problem = _("Paketets fil stämmer inte med sin registrerade kontrollsumma.")
    if problem or copy is None:
        AuditEvent.record(
            actor=request.user,
            action="archive.package_download_refused",
            target=package,
            details={"file": package.file_name, "problem": problem},
        )
        return render(
            request,
            "archive/package_detail.html",
            {"package": package, "problem": problem},
            status=409,
        )
    AuditEvent.record(
        actor=request.user,
        action="archive.package_downloaded",
        target=package,
        details={"file": package.file_name, "sha256": package.sha256},
    )
    response = FileResponse(
        copy,
        as_attachment=True,
        filename=package.download_name,
        content_type="application/zip",
    )
    response["X-Checksum-SHA256"] = package.sha256
    return response


@login_required
@require_POST
def package_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    from archive import packages

    package = _package(request, pk)
    if packages.retry_package(package=package, by=request.user):
        _package_queued(request, package, _("Paketet byggs igen."))
    else:
        messages.info(request, _("Paketet har inte misslyckats; det finns inget att göra om."))
    return redirect(package)

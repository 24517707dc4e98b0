"""Pages for the removal log, the hand-off list, incoming items, reports and search.

Every view asks accounts.permissions first (404 outside the user's scope, 403 inside it
when the action is not theirs), then the form, then one service call, then redirects.
Confidential content is shown only where `perms.may_read_content` says so. Every response
is `never_cache` (`Cache-Control: private, no-store`): pages, downloads and exports show
removed and often confidential content (MOD-3), which no browser or proxy cache should keep.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions as perms
from accounts.http import AuthenticatedHttpRequest
from moderation import export, reports, services
from moderation.charts import bar_chart
from moderation.forms import (
    AcknowledgeForm,
    CloseIncomingForm,
    CorrectionForm,
    IncomingForm,
    PeriodExportForm,
    RegistrationForm,
    RemovalForm,
)
from moderation.models import (
    Evidence,
    IncomingItem,
    IncomingItemQuerySet,
    RemovalReason,
    RemovedPost,
    RemovedPostQuerySet,
)
from moderation.search import INCOMING_FIELDS, REMOVAL_FIELDS, search
from nykvarn_sm.lib.querystring import id_param
from nykvarn_sm.lib.spreadsheet import safe_cell
from nykvarn_sm.lib.uploads import IMAGE_AND_PDF
from registry.models import SocialAccount

PAGE_SIZE = 50


def _mark(objs: Any, user: Any) -> Any:
    for obj in objs:
        obj.readable = perms.may_read_content(user, obj)
    return objs


def _removals(user: Any) -> RemovedPostQuerySet:
    # with_line_confidentiality: whether a record is restricted is decided per line of
    # corrections (MOD-3), in the same query as the rows.
    return (
        RemovedPost.objects.visible_to(user)
        .with_line_confidentiality()
        .select_related(
            "account__platform",
            "account__department",
            "reason",
            "removed_by",
            "registration",
            "original__registration",
            "corrects",
        )
    )


def _incoming(user: Any) -> IncomingItemQuerySet:
    return IncomingItem.objects.visible_to(user).select_related(
        "account__platform", "account__department", "handler"
    )


def _open_accounts(user: Any) -> QuerySet[SocialAccount]:
    return SocialAccount.objects.visible_to(user).exclude(state=SocialAccount.State.CLOSED)


def _get_removal(request: HttpRequest, pk: int) -> RemovedPost:
    record = get_object_or_404(_removals(request.user), pk=pk)
    perms.require(request.user, "moderation.view", record.account)
    record.readable = perms.may_read_content(request.user, record)
    return record


def _year(value: str | None) -> int | None:
    """A report year 1900–9999, or None (anything else would not filter a date)."""
    try:
        year = int(value) if value else None
    except ValueError:
        return None
    return year if year is not None and 1900 <= year <= 9999 else None


# --- the removal log ----------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def removal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    perms.require(request.user, "moderation.view")
    qs = _removals(request.user)
    account_id = id_param(request.GET.get("account"))
    reason_id = id_param(request.GET.get("reason"))
    query = request.GET.get("q", "").strip()
    if account_id:
        qs = qs.filter(account_id=account_id)
    if reason_id:
        qs = qs.filter(reason_id=reason_id)
    if request.GET.get("all") != "1":
        qs = qs.current()
    if query:
        qs = search(qs, query, request.user, REMOVAL_FIELDS)
    if request.GET.get("format") == "csv":
        return _csv_response(export.records_csv(qs, request.user), "borttagna-inlagg.csv")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _mark(page.object_list, request.user)
    return render(
        request,
        "moderation/removal_list.html",
        {
            "page": page,
            "accounts": _open_accounts(request.user).select_related("platform"),
            "reasons": RemovalReason.objects.all(),
            "account_id": account_id,
            "reason_id": reason_id,
            "q": query,
            "show_all": request.GET.get("all") == "1",
            "can_log": perms.can(request.user, "moderation.log_removal"),
            "querystring": request.GET.urlencode(),
        },
    )


def _removal_initial_from(item: IncomingItem, user: Any) -> dict[str, Any]:
    """The removal form prefilled from an incoming item. For a confidential item the link,
    the sender and the text are left out unless the user may read them (MOD-3): a link
    to the post shows its content as well as the text would."""
    kinds: dict[str, str] = {IncomingItem.Kind.COMMENT: RemovedPost.Kind.COMMENT}
    readable = perms.may_read_content(user, item)
    return {
        "account": item.account_id,
        "kind": kinds.get(item.kind, RemovedPost.Kind.COMMENT),
        "post_url": item.url if readable else "",
        "sender_name": item.sender_name if readable else "",
        "posted_at": timezone.localtime(item.received_at).strftime("%Y-%m-%dT%H:%M"),
        "content": item.text if readable else "",
        "context": _("Inkommet ärende: %(kind)s på %(account)s")
        % {"kind": item.get_kind_display(), "account": item.account},
        "confidential": item.confidential,
    }


@never_cache
@login_required
def removal_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Log a removal; with ?incoming=<id>, prefilled from an incoming item (Bilaga 4)."""
    perms.require(request.user, "moderation.log_removal")
    item = None
    incoming_id = id_param(request.GET.get("incoming") or request.POST.get("incoming"))
    if incoming_id:
        item = get_object_or_404(_incoming(request.user), pk=incoming_id)
        # MOD-3, MOD-6: unpublishing an item closes it, and its record must hold what the
        # item says; a confidential item is for the readers of its content only.
        perms.require(request.user, "moderation.handle_item", item)
        if not item.is_open:
            messages.error(request, _("Ärendet är redan avslutat."))
            return redirect(item)
    accounts = _open_accounts(request.user)
    if request.method == "POST":
        form = RemovalForm(request.POST, request.FILES, accounts=accounts, incoming=item)
        if form.is_valid():
            data = form.cleaned_data
            account = data["account"]
            perms.require(request.user, "moderation.log_removal", account)
            if item is not None and item.account_id != account.pk:
                form.add_error("account", _("Ska vara samma konto som det inkomna ärendet."))
            else:
                try:
                    record = services.log_removal(
                        by=request.user,
                        account=account,
                        reason=data["reason"],
                        kind=data["kind"],
                        posted_at=data["posted_at"],
                        removed_at=data["removed_at"],
                        motivation=data["motivation"],
                        registration_decision=data["registration_decision"],
                        content=data["content"],
                        context=data["context"],
                        post_url=data["post_url"],
                        platform_post_id=data["platform_post_id"],
                        sender_name=data["sender_name"],
                        sender_profile_url=data["sender_profile_url"],
                        sender_informed=data["sender_informed"],
                        confidential=data["confidential"],
                        evidence=data["evidence"],
                        incoming=item,
                    )
                except services.AlreadyClosed:
                    form.add_error(
                        None,
                        _(
                            "Någon annan avslutade ärendet nyss, så inlägget loggades inte. "
                            "Ladda om ärendet och se vad som gjordes."
                        ),
                    )
                    return render(
                        request,
                        "moderation/removal_form.html",
                        {"form": form, "item": item},
                        status=409,
                    )
                messages.success(request, _("Det borttagna inlägget är loggat."))
                return redirect(record)
    else:
        initial: dict[str, Any] = {}
        if item is not None:
            initial = _removal_initial_from(item, request.user)
        elif id_param(request.GET.get("account")):
            initial = {"account": id_param(request.GET.get("account"))}
        form = RemovalForm(initial=initial, accounts=accounts, incoming=item)
    return render(request, "moderation/removal_form.html", {"form": form, "item": item})


@never_cache
@login_required
@require_GET
def removal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _removal_page(request, pk)


def _removal_page(
    request: AuthenticatedHttpRequest,
    pk: int,
    *,
    registration_form: RegistrationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a record's page; a registration form sent back with errors is shown again."""
    record = _get_removal(request, pk)
    correction = RemovedPost.objects.filter(corrects=record).only("pk", "position").first()
    evidence = list(record.evidence.all()) if record.readable else []
    registration = record.current_registration
    return render(
        request,
        "moderation/removal_detail.html",
        {
            "record": record,
            "correction": correction,
            "evidence": evidence,
            "registration": registration,
            "can_register": record.needs_registration
            and registration is None
            and perms.can(request.user, "moderation.register", record),
            "can_correct": correction is None
            and record.readable
            and perms.can(request.user, "moderation.log_removal", record.account),
            "registration_form": registration_form or RegistrationForm(),
        },
        status=status,
    )


@never_cache
@login_required
def removal_correct(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Append a correction; the record itself never changes (MOD-1)."""
    record = _get_removal(request, pk)
    perms.require(request.user, "moderation.log_removal", record.account)
    if not record.readable:
        raise PermissionDenied
    corrected = RemovedPost.objects.filter(corrects=record).exists()
    if corrected and request.method != "POST":
        messages.error(request, _("Posten är redan rättad: rätta den senaste versionen."))
        return redirect(record)
    if request.method == "POST":
        form = CorrectionForm(request.POST, request.FILES)
        if corrected:
            # Someone else's correction was saved while this form was open.
            return _corrected_elsewhere(request, form, record)
        if form.is_valid():
            data = dict(form.cleaned_data)
            note = data.pop("correction_note")
            files = data.pop("evidence")
            try:
                new = services.correct_removal(
                    by=request.user,
                    record=record,
                    correction_note=note,
                    changes=data,
                    evidence=files,
                )
            except services.AlreadyCorrected:
                # ... or between the check above and the locked append.
                return _corrected_elsewhere(request, form, record)
            messages.success(request, _("Rättelsen är loggad som en ny post."))
            return redirect(new)
    else:
        initial = {name: getattr(record, name) for name in services.CORRECTABLE_FIELDS}
        initial["reason"] = record.reason_id
        initial["confidential"] = record.line_confidential
        for name in ("posted_at", "removed_at"):
            initial[name] = timezone.localtime(initial[name]).strftime("%Y-%m-%dT%H:%M")
        form = CorrectionForm(initial=initial)
    return render(request, "moderation/removal_form.html", {"form": form, "record": record})


def _corrected_elsewhere(
    request: HttpRequest, form: CorrectionForm, record: RemovedPost
) -> HttpResponse:
    """Show the correction form again, as typed, saying that someone else was first."""
    form.add_error(
        None,
        _(
            "Någon annan rättade posten nyss, så din rättelse sparades inte. Ladda om "
            "sidan och rätta den senaste versionen; det du skrev står kvar nedan."
        ),
    )
    return render(
        request, "moderation/removal_form.html", {"form": form, "record": record}, status=409
    )


@never_cache
@login_required
@require_POST
def removal_register(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Enter the diarienummer: the hand-off to the records system is done (MOD-3)."""
    record = _get_removal(request, pk)
    perms.require(request.user, "moderation.register", record)
    if not record.needs_registration or record.current_registration is not None:
        messages.error(request, _("Posten väntar inte på diarieföring."))
        return redirect(record)
    form = RegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ange diarienummer och datum."))
        return _removal_page(request, pk, registration_form=form, status=400)
    try:
        services.register_removal(by=request.user, record=record, **form.cleaned_data)
    except services.AlreadyRegistered:
        messages.error(
            request,
            _("Någon annan registrerade diarienumret nyss. Sidan visar det som sparades."),
        )
        return redirect(record)
    messages.success(request, _("Diarienumret är registrerat."))
    return redirect(record)


@never_cache
@login_required
@require_GET
def evidence_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """Serve an evidence file, only to those who may read the record's content, and only
    while its bytes match its recorded SHA-256 (MOD-1); a changed or missing file gets a
    page saying so (409) and an audit event instead."""
    evidence = get_object_or_404(Evidence.objects.select_related("removed_post"), pk=pk)
    record = evidence.removed_post
    perms.require(request.user, "moderation.view", record.account, view_action="moderation.view")
    perms.require(request.user, "moderation.view_confidential", record)
    try:
        copy = services.open_evidence(evidence=evidence, by=request.user)
    except services.EvidenceDamaged as exc:
        return render(
            request,
            "moderation/evidence_damaged.html",
            {"evidence": evidence, "record": record, "problem": str(exc)},
            status=409,
        )
    response = FileResponse(
        copy,
        as_attachment=True,
        filename=evidence.original_name,
        # Only a type the server sniffed itself; rows from before that check may hold the
        # browser's claim (e.g. text/html), which is never echoed back.
        content_type=(
            evidence.content_type
            if evidence.content_type in IMAGE_AND_PDF
            else "application/octet-stream"
        ),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Checksum-SHA256"] = evidence.sha256
    return response


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_GET
def removal_export_one(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """One record for filing, as PDF/A or CSV."""
    if fmt not in ("pdf", "csv"):
        raise Http404
    record = _get_removal(request, pk)
    name = f"borttaget-inlagg-{record.position}"
    if fmt == "csv":
        return _csv_response(export.records_csv([record], request.user), f"{name}.csv")
    title = _("Borttaget inlägg nr %(n)s, %(account)s") % {
        "n": record.position,
        "account": record.account,
    }
    return _pdf_response(export.records_pdf([record], request.user, title=title), f"{name}.pdf")


@never_cache
@login_required
@require_GET
def removal_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An account's records for a period, as PDF/A or CSV."""
    perms.require(request.user, "moderation.view")
    accounts = SocialAccount.objects.visible_to(request.user)
    form = PeriodExportForm(request.GET or None, accounts=accounts)
    if form.is_valid():
        data = form.cleaned_data
        account = data["account"]
        perms.require(request.user, "moderation.view", account)
        records = (
            _removals(request.user)
            .filter(
                account=account,
                removed_at__date__gte=data["start"],
                removed_at__date__lte=data["end"],
            )
            .order_by("position")
        )
        name = f"{account.platform.name} {account.name} {data['start']}–{data['end']}"
        slug = f"borttagna-{account.pk}-{data['start']}-{data['end']}"
        if data["format"] == "csv":
            return _csv_response(export.records_csv(records, request.user), f"{slug}.csv")
        # Rendering a PDF/A takes time and memory per record: one request never renders
        # more than the cap (MODERATION_EXPORT_PDF_MAX_RECORDS); counted before loading.
        limit = export.pdf_max_records()
        count = records.count()
        if count <= limit:
            title = _("Borttagna inlägg: %(name)s") % {"name": name}
            pdf = export.records_pdf(list(records), request.user, title=title)
            return _pdf_response(pdf, f"{slug}.pdf")
        form.add_error(
            None,
            _(
                "Perioden %(start)s–%(end)s har %(count)s poster; högst %(limit)s kan tas ut "
                "som PDF/A åt gången. Välj en kortare period (till exempel en månad i taget) "
                "eller ladda ner CSV."
            )
            % {"start": data["start"], "end": data["end"], "count": count, "limit": limit},
        )
        return render(request, "moderation/export_form.html", {"form": form}, status=400)
    return render(request, "moderation/export_form.html", {"form": form})


@never_cache
@login_required
@require_GET
def handoff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Confidential and other records still waiting for a diarienummer (MOD-3)."""
    perms.require(request.user, "moderation.view_handoffs")
    cal = services.calendar()
    today = timezone.localdate()
    records = list(_removals(request.user).pending_registration().order_by("removed_at"))
    from django.conf import settings

    limit = settings.MODERATION_REGISTRATION_ESCALATE_WORKDAYS
    for record in _mark(records, request.user):
        record.waited = cal.working_days_between(timezone.localdate(record.removed_at), today)
        record.escalated = record.waited >= limit
    return render(request, "moderation/handoff_list.html", {"records": records, "limit": limit})


# --- incoming items -----------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def incoming_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    perms.require(request.user, "moderation.view")
    qs = _incoming(request.user)
    state = request.GET.get("state", "open")
    now = timezone.now()
    if state == "open":
        qs = qs.open()
    elif state == "overdue":
        qs = qs.overdue(now)
    elif state == "closed":
        qs = qs.exclude(outcome=IncomingItem.Outcome.OPEN)
    account_id = id_param(request.GET.get("account"))
    if account_id:
        qs = qs.filter(account_id=account_id)
    kind = request.GET.get("kind", "")
    if kind in IncomingItem.Kind.values:
        qs = qs.filter(kind=kind)
    query = request.GET.get("q", "").strip()
    if query:
        qs = search(qs, query, request.user, INCOMING_FIELDS)
    page = Paginator(
        qs.order_by("due_at" if state != "closed" else "-received_at"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for item in _mark(page.object_list, request.user):
        item.overdue = item.is_overdue(now)
    return render(
        request,
        "moderation/incoming_list.html",
        {
            "page": page,
            "state": state,
            "account_id": account_id,
            "kind": kind,
            "q": query,
            "accounts": _open_accounts(request.user).select_related("platform"),
            "kinds": IncomingItem.Kind.choices,
            "can_log": perms.can(request.user, "moderation.handle_incoming"),
        },
    )


@never_cache
@login_required
def incoming_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    perms.require(request.user, "moderation.handle_incoming")
    accounts = _open_accounts(request.user)
    if request.method == "POST":
        form = IncomingForm(request.POST, accounts=accounts)
        if form.is_valid():
            data = form.cleaned_data
            perms.require(request.user, "moderation.handle_incoming", data["account"])
            item = services.log_incoming(by=request.user, **data)
            messages.success(request, _("Ärendet är loggat."))
            return redirect(item)
    else:
        form = IncomingForm(accounts=accounts)
    return render(
        request,
        "moderation/incoming_form.html",
        {"form": form, "rule": services.response_rule()},
    )


def _get_item(request: HttpRequest, pk: int) -> IncomingItem:
    item = get_object_or_404(_incoming(request.user), pk=pk)
    perms.require(request.user, "moderation.view", item.account)
    item.readable = perms.may_read_content(request.user, item)
    return item


def _signature_initial(user: Any) -> dict[str, str]:
    department = user.departments.first()
    office = department.office.name if department else ""
    return {
        "signed_name": user.full_name,
        "signed_title": user.title,
        "signed_office": office,
    }


def _render_item(
    request: HttpRequest,
    item: IncomingItem,
    *,
    close_form: Any = None,
    ack_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "moderation/incoming_detail.html",
        {
            "item": item,
            "overdue": item.is_overdue(),
            "can_handle": item.is_open and perms.can(request.user, "moderation.handle_item", item),
            # Unpublishing closes the item and logs what it says: the same rule as handling.
            "can_unpublish": item.is_open
            and perms.can(request.user, "moderation.handle_item", item),
            "close_form": close_form or CloseIncomingForm(initial=_signature_initial(request.user)),
            "ack_form": ack_form or AcknowledgeForm(),
            "removals": _mark(list(item.removals.with_line_confidentiality()), request.user),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def incoming_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_item(request, _get_item(request, pk))


@never_cache
@login_required
@require_POST
def incoming_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _get_item(request, pk)
    perms.require(request.user, "moderation.handle_item", item)
    form = AcknowledgeForm(request.POST)
    if not item.is_open:
        raise Http404
    if not form.is_valid():
        return _render_item(request, item, ack_form=form, status=400)
    services.acknowledge_incoming(by=request.user, item=item, **form.cleaned_data)
    messages.success(request, _("Beskedet är registrerat."))
    return redirect(item)


@never_cache
@login_required
@require_POST
def incoming_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _get_item(request, pk)
    perms.require(request.user, "moderation.handle_item", item)
    if not item.is_open:
        messages.error(request, _("Ärendet är redan avslutat."))
        return redirect(item)
    form = CloseIncomingForm(request.POST)
    if not form.is_valid():
        return _render_item(request, item, close_form=form, status=400)
    try:
        services.close_incoming(by=request.user, item=item, **form.cleaned_data)
    except services.AlreadyClosed:
        messages.error(
            request, _("Någon annan avslutade ärendet nyss. Sidan visar det som sparades.")
        )
        return redirect(item)
    messages.success(request, _("Ärendet är avslutat."))
    return redirect(item)


# --- reports and search -------------------------------------------------------------------


def _report_querysets(request: HttpRequest) -> tuple[Any, Any, int | None]:
    year = _year(request.GET.get("year"))
    removals = RemovedPost.objects.visible_to(request.user).current()
    items = IncomingItem.objects.visible_to(request.user)
    if year:
        removals = removals.filter(removed_at__year=year)
        items = items.filter(received_at__year=year)
    return removals, items, year


@never_cache
@login_required
@require_GET
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    perms.require(request.user, "moderation.view_reports")
    removals, items, year = _report_querysets(request)
    by_reason = reports.removals_by_reason(removals)
    by_department = reports.removals_by_department(removals)
    responses = reports.response_by_department(items)
    if request.GET.get("format") == "csv":
        return _csv_response(_report_csv(removals, responses), "moderering-rapport.csv")
    return render(
        request,
        "moderation/report.html",
        {
            "year": year,
            "by_reason_month": reports.removals_by_reason_month(removals),
            "by_account": reports.removals_by_account(removals),
            "by_reason": by_reason,
            "by_department": by_department,
            "responses": responses,
            "chart_reason": bar_chart(_("Borttagna inlägg per skäl"), by_reason),
            "chart_department": bar_chart(_("Borttagna inlägg per verksamhet"), by_department),
            "rule": services.response_rule(),
            "chart_within": bar_chart(
                _("Andel frågor besvarade %(rule)s, per verksamhet")
                % {"rule": services.response_rule()},
                [(r.department, r.share_within) for r in responses],
                unit=" %",
            ),
            "querystring": request.GET.urlencode(),
        },
    )


def _report_csv(removals: Any, responses: list[reports.DepartmentResponse]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Borttagna inlägg per skäl och månad")])
    writer.writerow([_("Månad"), _("Skäl"), _("Antal")])
    for row in reports.removals_by_reason_month(removals):
        writer.writerow([row["month"], safe_cell(row["reason"]), row["count"]])
    writer.writerow([])
    writer.writerow([_("Borttagna inlägg per konto")])
    writer.writerow([_("Konto"), _("Verksamhet"), _("Antal")])
    for row in reports.removals_by_account(removals):
        writer.writerow([safe_cell(row["account"]), safe_cell(row["department"]), row["count"]])
    writer.writerow([])
    writer.writerow([_("Svarstider för frågor per verksamhet")])
    writer.writerow(
        [
            _("Verksamhet"),
            _("Frågor"),
            _("Besvarade"),
            _("Inom regeln"),
            _("Obesvarade efter svarstiden"),
            _("Andel inom regeln (%)"),
            _("Median svarstid (timmar)"),
        ]
    )
    for r in responses:
        writer.writerow(
            [
                safe_cell(r.department),
                r.items,
                r.answered,
                r.within_rule,
                r.overdue,
                f"{r.share_within:.1f}",
                f"{r.median_hours:.1f}" if r.median_hours is not None else "",
            ]
        )
    return "\ufeff" + buffer.getvalue()


@never_cache
@login_required
@require_GET
def search_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    perms.require(request.user, "moderation.view")
    query = request.GET.get("q", "").strip()
    removals: list[RemovedPost] = []
    items: list[IncomingItem] = []
    if query:
        removals = _mark(
            list(search(_removals(request.user), query, request.user, REMOVAL_FIELDS)[:PAGE_SIZE]),
            request.user,
        )
        items = _mark(
            list(search(_incoming(request.user), query, request.user, INCOMING_FIELDS)[:PAGE_SIZE]),
            request.user,
        )
    return render(
        request, "moderation/search.html", {"q": query, "removals": removals, "items": items}
    )

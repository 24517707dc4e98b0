"""Pages of the register: requests, approvals, people, activity, and the public channel list.

Every view checks permission first (accounts.permissions: 404 outside the user's scope,
403 inside it), then validates a form, then calls one registry.services function, then
redirects. Lists load their rows in a constant number of queries.
"""

from __future__ import annotations

from typing import Any

from csp.constants import SELF
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions as perms
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AuditEvent
from registry import export, forms, services
from registry.health import account_health, with_health_data
from registry.models import (
    ActivityEntry,
    Assignment,
    CredentialHolder,
    SocialAccount,
    Substitute,
    TransitionRefused,
)
from registry.urls_normalise import InvalidAccountURL, is_same_or_below, prefixes

VIEW = "registry.view_account"


def _account(request: HttpRequest, pk: int, action: str = VIEW) -> SocialAccount:
    """Load an account and check the action; 404 if the user may not even see it."""
    account = get_object_or_404(
        SocialAccount.objects.select_related("platform", "department", "owner", "created_by"),
        pk=pk,
    )
    perms.require(request.user, action, account, view_action=VIEW)
    return account


def _refused(
    request: AuthenticatedHttpRequest, account: SocialAccount, error: Exception, **bound: Any
) -> HttpResponse:
    """Say why a transition was refused; a form the user typed into is shown again as typed."""
    messages.error(request, str(getattr(error, "message", error)))
    if bound:
        return _detail(request, account.pk, status=400, **bound)
    return redirect(account)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# --- the register -------------------------------------------------------------------------


def _list_queryset(user: Any) -> Any:
    return with_health_data(SocialAccount.objects.visible_to(user))


@login_required
@require_GET
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The register of the accounts the user may see, with their health (REG-1)."""
    perms.require(request.user, "registry.view_register")
    filters = forms.RegisterFilterForm(request.GET or None)
    accounts = list(filters.apply(_list_queryset(request.user)))
    _with_waiting_on(accounts)
    today = timezone.localdate()
    rows = [(a, account_health(a, today)) for a in accounts]
    return render(
        request,
        "registry/account_list.html",
        {
            "rows": rows,
            "filters": filters,
            "can_create": perms.can(request.user, "registry.create_account", None),
            "can_export": perms.can(request.user, "registry.export_register"),
        },
    )


@login_required
@require_GET
def waiting(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Requests waiting for this user: approvals, activations, drafts sent back."""
    perms.require(request.user, "registry.view_register")
    return render(request, "registry/waiting.html", waiting_for(request.user))


def _with_waiting_on(accounts: list[SocialAccount]) -> list[SocialAccount]:
    """Set `waiting_on` on each account: whose step it waits for (constant queries)."""
    names = services.waiting_on(accounts)
    for account in accounts:
        account.waiting_on = names.get(account.pk, [])  # type: ignore[attr-defined]
    return accounts


def waiting_for(user: Any) -> dict[str, list[SocialAccount]]:
    """Return what waits for the user, and for whom the rest waits (also the home panel).

    The steps are the ones accounts.permissions lets this user take; the first step of a
    decision is never followed by the second by the same person (REG-3, REG-9).
    """
    base = SocialAccount.objects.visible_to(user).select_related("platform", "department", "owner")
    S = SocialAccount.State
    pending = list(base.filter(state__in=[S.SUBMITTED, S.MANAGER_APPROVED, S.CLOSING]))
    to_approve = [
        a
        for a in pending
        if a.state == S.SUBMITTED and perms.can(user, "registry.manager_approve", a)
    ]
    to_activate = [
        a
        for a in pending
        if a.state == S.MANAGER_APPROVED
        and perms.can(user, "registry.activate", a)
        and a.manager_approved_by_id != user.pk
    ]
    closing = [
        a
        for a in pending
        if a.state == S.CLOSING
        and perms.can(user, "registry.close", a)
        and a.closing_started_by_id != user.pk
    ]
    mine = {a.pk for a in [*to_approve, *to_activate, *closing]}
    # Requests in the user's scope that wait for someone else, with that someone's name.
    others = [a for a in pending if a.pk not in mine and a.state != S.CLOSING]
    drafts = list(base.filter(state=S.DRAFT).filter(Q(created_by=user) | Q(owner=user)))
    _with_waiting_on([*to_approve, *to_activate, *closing, *others])
    return {
        "to_approve": to_approve,
        "to_activate": to_activate,
        "drafts": drafts,
        "closing": closing,
        "others": others,
    }


@login_required
def account_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Draft a request for a new account with the Bilaga 2 checklist (REG-2)."""
    perms.require(request.user, "registry.create_account", None)
    form = forms.RequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        account = services.create_request(
            by=request.user, fields=form.service_fields(), deputies=form.cleaned_data["deputies"]
        )
        messages.success(request, _("Utkastet är sparat. Skicka in det när checklistan är klar."))
        return redirect(account)
    return render(request, "registry/account_form.html", {"form": form, "account": None})


@login_required
def account_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a draft request (REG-2)."""
    account = _account(request, pk, "registry.edit_account")
    if account.state != SocialAccount.State.DRAFT and request.method != "POST":
        messages.error(request, _("Bara ett utkast kan ändras."))
        return redirect(account)
    # A request submitted while someone was editing it: the service refuses the change, and
    # what they typed is shown again with the reason rather than lost.
    form = forms.RequestForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_request(
                account=account,
                by=request.user,
                fields=form.service_fields(),
                deputies=form.cleaned_data["deputies"],
            )
        except TransitionRefused as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect(account)
    return render(
        request,
        "registry/account_form.html",
        {"form": form, "account": account},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def account_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _account(request, pk)
    return _detail(request, pk)


def _detail(
    request: AuthenticatedHttpRequest, pk: int, *, status: int = 200, **bound: Any
) -> HttpResponse:
    """Render the account page; `bound` replaces a blank form with one the user sent back
    with errors, so that what they typed is shown again beside the messages."""
    account = _account(request, pk)
    account = (
        with_health_data(SocialAccount.objects.filter(pk=account.pk))
        .select_related("created_by", "manager_approved_by", "activated_by", "terms_reviewed_by")
        .prefetch_related(
            Prefetch(
                "substitutes", queryset=Substitute.objects.select_related("user", "stands_in_for")
            ),
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("user", "granted_by")
            ),
            "follower_notices",
        )
        .get()
    )
    user = request.user
    can = {
        name: perms.can(user, action, account)
        for name, action in [
            ("edit", "registry.edit_account"),
            ("submit", "registry.submit"),
            ("approve", "registry.manager_approve"),
            ("reject", "registry.reject"),
            ("activate", "registry.activate"),
            ("start_closing", "registry.start_closing"),
            ("close", "registry.close"),
            ("people", "registry.manage_people"),
            ("activity", "registry.record_activity"),
            ("notice", "registry.record_notice"),
        ]
    }
    allowed = set(account.available_transitions())
    # REG-3, REG-9: the one who took a decision's first step doesn't take its second.
    took_first_step = {
        "activate": account.manager_approved_by_id == user.pk,
        "close": account.closing_started_by_id == user.pk,
    }
    S = SocialAccount.State
    return render(
        request,
        "registry/account_detail.html",
        {
            "account": account,
            "can": can,
            "allowed": allowed,
            "took_first_step": took_first_step,
            "waiting_on": services.waiting_on([account])[account.pk],
            # REG-4, REG-5: asked for on the people page, shown before the final step.
            "activation_problems": (
                account.activation_problems()
                if account.state in (S.DRAFT, S.SUBMITTED, S.MANAGER_APPROVED)
                else []
            ),
            "health": account_health(account),
            "missing": account.checklist_missing() if account.state == account.State.DRAFT else [],
            "activity": ActivityEntry.objects.filter(account=account).select_related("entered_by")[
                :12
            ],
            "events": AuditEvent.for_object(account)[:30],
            "substitutes_now": account.current_substitutes(),
            "approve_form": forms.ApproveForm(),
            "reject_form": forms.RejectForm(),
            "activate_form": forms.ActivateForm(
                initial={"channel_strategy": account.channel_strategy}
            ),
            "closing_form": forms.StartClosingForm(),
            "notice_form": forms.FollowerNoticeForm(),
            "activity_form": forms.ActivityForm(),
            "target_form": forms.TargetForm(instance=account),
            "closing_problems": (
                account.closing_problems() if account.state == account.State.CLOSING else []
            ),
            "central_accounts": SocialAccount.objects.filter(
                state=SocialAccount.State.ACTIVE, is_central=True
            ),
            **bound,
        },
        status=status,
    )


# --- transitions (POST only) --------------------------------------------------------------


@login_required
@require_POST
def submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.submit")
    try:
        services.submit(account=account, by=request.user)
    except TransitionRefused as error:
        return _refused(request, account, error)
    messages.success(request, _("Begäran är inskickad till verksamhetschefen."))
    return redirect(account)


@login_required
@require_POST
def approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.manager_approve")
    form = forms.ApproveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(request, account.pk, status=400, approve_form=form)
    try:
        services.approve(account=account, by=request.user, comment=form.cleaned_data["comment"])
    except TransitionRefused as error:
        return _refused(request, account, error, approve_form=form)
    messages.success(request, _("Kontot är godkänt och skickat till kommunikationsavdelningen."))
    return redirect(account)


@login_required
@require_POST
def reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.reject")
    form = forms.RejectForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(request, account.pk, status=400, reject_form=form)
    try:
        services.reject(account=account, by=request.user, reason=form.cleaned_data["reason"])
    except TransitionRefused as error:
        return _refused(request, account, error, reject_form=form)
    messages.success(request, _("Begäran är skickad tillbaka som utkast."))
    return redirect(account)


@login_required
@require_POST
def activate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.activate")
    form = forms.ActivateForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(request, account.pk, status=400, activate_form=form)
    try:
        services.activate(
            account=account, by=request.user, channel_strategy=form.cleaned_data["channel_strategy"]
        )
    except TransitionRefused as error:
        return _refused(request, account, error, activate_form=form)
    messages.success(request, _("Kontot är aktivt och finns i listan över officiella kanaler."))
    return redirect(account)


@login_required
@require_POST
def start_closing(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.start_closing")
    form = forms.StartClosingForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(request, account.pk, status=400, closing_form=form)
    try:
        services.start_closing(account=account, by=request.user, **form.cleaned_data)
    except TransitionRefused as error:
        return _refused(request, account, error, closing_form=form)
    messages.success(request, _("Avslutet är påbörjat. Informera följarna minst två gånger."))
    return redirect(account)


@login_required
@require_POST
def notice_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.record_notice")
    form = forms.FollowerNoticeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(request, account.pk, status=400, notice_form=form)
    try:
        services.record_follower_notice(
            account=account,
            by=request.user,
            published_on=form.cleaned_data["published_on"],
            text=form.cleaned_data["text"],
        )
    except TransitionRefused as error:
        return _refused(request, account, error, notice_form=form)
    messages.success(request, _("Meddelandet till följarna är registrerat."))
    return redirect(account)


@login_required
@require_POST
def close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.close")
    try:
        services.close(account=account, by=request.user)
    except TransitionRefused as error:
        return _refused(request, account, error)
    messages.success(request, _("Kontot är avslutat och borttaget från listan över kanaler."))
    return redirect(account)


# --- people (REG-4, REG-5) ----------------------------------------------------------------


def _assignable_accounts(user: Any) -> Any:
    """Accounts an assignment may cover: open ones of the departments the user manages."""
    accounts = SocialAccount.objects.exclude(state=SocialAccount.State.CLOSED).select_related(
        "platform"
    )
    if perms.is_organisation_wide(user):
        return accounts
    if not perms.has_role(user, perms.C.MANAGER):
        return accounts.none()
    return accounts.filter(department_id__in=user.department_ids)


def _people_context(account: SocialAccount, user: Any, **forms_: Any) -> dict[str, Any]:
    context = {
        "account": account,
        "people_form": forms.PeopleForm(
            initial={"owner": account.owner, "deputies": list(account.deputies.all())}
        ),
        "substitute_form": forms.SubstituteForm(account=account),
        "holder_form": forms.CredentialHolderForm(),
        "location_form": forms.CredentialsLocationForm(
            initial={"location": account.credentials_location}
        ),
        "assignment_form": forms.AssignmentForm(
            accounts=_assignable_accounts(user), initial={"accounts": [account]}
        ),
        "substitutes": account.substitutes.select_related("user", "stands_in_for"),
        "holders": account.credential_holders.select_related("user"),
        "assignments": account.assignments.select_related("user", "granted_by", "revoked_by"),
        "deputies": account.deputies.all(),
        "today": timezone.localdate(),
        # REG-4, REG-5: what activation needs of this page, asked for where it is set.
        "activation_problems": account.activation_problems(),
    }
    context.update(forms_)
    return context


@login_required
def people(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The account's people: owner, deputies, substitutes, editors, credential holders."""
    account = _account(request, pk, "registry.manage_people")
    return render(request, "registry/people.html", _people_context(account, request.user))


def _people_post(
    request: AuthenticatedHttpRequest,
    pk: int,
    form_class: Any,
    context_name: str,
    action: Any,
    success: str,
    **form_kwargs: Any,
) -> HttpResponse:
    account = _account(request, pk, "registry.manage_people")
    if form_class is forms.SubstituteForm:
        form_kwargs["account"] = account
    if form_class is forms.AssignmentForm:
        form_kwargs["accounts"] = _assignable_accounts(request.user)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            action(account, form.cleaned_data)
        except TransitionRefused as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, success)
            return redirect("registry:people", pk=account.pk)
    return render(
        request,
        "registry/people.html",
        _people_context(account, request.user, **{context_name: form}),
        status=400,
    )


@login_required
@require_POST
def people_set(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _people_post(
        request,
        pk,
        forms.PeopleForm,
        "people_form",
        lambda account, data: services.set_owner_and_deputies(
            account=account, by=request.user, owner=data["owner"], deputies=data["deputies"]
        ),
        _("Ansvariga är ändrade."),
    )


@login_required
@require_POST
def substitute_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _people_post(
        request,
        pk,
        forms.SubstituteForm,
        "substitute_form",
        lambda account, data: services.add_substitute(account=account, by=request.user, **data),
        _("Ersättaren är tillagd."),
    )


@login_required
@require_POST
def holder_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _people_post(
        request,
        pk,
        forms.CredentialHolderForm,
        "holder_form",
        lambda account, data: services.add_credential_holder(
            account=account, by=request.user, user=data["user"]
        ),
        _("Personen är registrerad som innehavare av inloggningsuppgifterna."),
    )


@login_required
@require_POST
def location_set(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _people_post(
        request,
        pk,
        forms.CredentialsLocationForm,
        "location_form",
        lambda account, data: services.set_credentials_location(
            account=account, by=request.user, location=data["location"]
        ),
        _("Förvaringsplatsen är sparad."),
    )


@login_required
@require_POST
def assignment_grant(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _people_post(
        request,
        pk,
        forms.AssignmentForm,
        "assignment_form",
        lambda account, data: services.grant_assignment(by=request.user, **data),
        _("Uppdraget är registrerat."),
    )


@login_required
@require_POST
def substitute_remove(request: AuthenticatedHttpRequest, pk: int, item: int) -> HttpResponse:
    account = _account(request, pk, "registry.manage_people")
    substitute = get_object_or_404(Substitute, pk=item, account=account)
    services.remove_substitute(substitute=substitute, by=request.user)
    messages.success(request, _("Ersättaren är borttagen."))
    return redirect("registry:people", pk=account.pk)


@login_required
@require_POST
def holder_remove(request: AuthenticatedHttpRequest, pk: int, item: int) -> HttpResponse:
    account = _account(request, pk, "registry.manage_people")
    holder = get_object_or_404(CredentialHolder, pk=item, account=account)
    try:
        services.remove_credential_holder(holder=holder, by=request.user)
    except TransitionRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Personen har inte längre inloggningsuppgifterna."))
    return redirect("registry:people", pk=account.pk)


@login_required
@require_POST
def assignment_revoke(request: AuthenticatedHttpRequest, pk: int, item: int) -> HttpResponse:
    account = _account(request, pk, "registry.manage_people")
    assignment = get_object_or_404(Assignment, pk=item, accounts=account)
    try:
        services.revoke_assignment(assignment=assignment, by=request.user)
    except TransitionRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Uppdraget är återkallat."))
    return redirect("registry:people", pk=account.pk)


# --- activity (REG-6) ---------------------------------------------------------------------


@login_required
@require_POST
def activity_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The quick weekly entry: how many posts this account published one week."""
    account = _account(request, pk, "registry.record_activity")
    form = forms.ActivityForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(request, account.pk, status=400, activity_form=form)
    try:
        services.record_activity(
            account=account,
            by=request.user,
            week_start=form.cleaned_data["week"],
            posts=form.cleaned_data["posts"],
        )
    except TransitionRefused as error:
        return _refused(request, account, error, activity_form=form)
    messages.success(request, _("Veckans aktivitet är registrerad."))
    return redirect(account)


@login_required
@require_POST
def target_set(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.record_activity")
    form = forms.TargetForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(request, account.pk, status=400, target_form=form)
    services.set_posting_target(account=account, by=request.user, **form.cleaned_data)
    messages.success(request, _("Målet och årsplanen är sparade."))
    return redirect(account)


@login_required
def activity_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "registry.record_activity")
    form = forms.ActivityImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.import_activity(
                account=account, by=request.user, rows=form.cleaned_data["file"]
            )
        except TransitionRefused as error:
            form.add_error("file", error.message)
        else:
            messages.success(request, _("%(n)s veckor är importerade.") % {"n": count})
            return redirect(account)
    return render(request, "registry/activity_import.html", {"form": form, "account": account})


# --- health and export --------------------------------------------------------------------


@login_required
@require_GET
def health(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Active accounts with health issues, worst first (the dashboard)."""
    perms.require(request.user, "registry.view_register")
    today = timezone.localdate()
    accounts = with_health_data(
        SocialAccount.objects.visible_to(request.user).filter(state=SocialAccount.State.ACTIVE)
    )
    rows = [(a, issues) for a in accounts if (issues := account_health(a, today))]
    rows.sort(key=lambda r: (-sum(i.severity == "bad" for i in r[1]), -len(r[1]), str(r[0])))
    return render(request, "registry/health.html", {"rows": rows})


@login_required
@require_GET
def export_register(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The register as CSV or XLSX: the GDPR record of channels (REG-1)."""
    perms.require(request.user, "registry.export_register")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    accounts = export.register_queryset()
    AuditEvent.record(actor=request.user, action="registry.exported", details={"format": fmt})
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(
            export.as_xlsx(accounts),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(export.as_csv(accounts), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kontoregister-{stamp}.{fmt}"'
    return response


# --- public pages, no login (REG-7) -------------------------------------------------------


def _public_accounts() -> Any:
    return (
        SocialAccount.objects.public()
        .select_related("platform", "department")
        .order_by("department__name", "platform__position", "name")
    )


def public_entry(account: SocialAccount) -> dict[str, Any]:
    """The public facts about an account; no employee's personal data (REG-7)."""
    closing = account.state == SocialAccount.State.CLOSING
    return {
        "id": account.pk,
        "platform": account.platform.name,
        "name": account.name,
        "url": account.url,
        "department": account.department.name,
        "active_since": (
            timezone.localdate(account.activated_at).isoformat() if account.activated_at else None
        ),
        # REG-9: official until closed; followers and the web site see the planned date.
        "closing": closing,
        "closing_planned_on": (
            account.closing_planned_on.isoformat()
            if closing and account.closing_planned_on
            else None
        ),
    }


def _public_json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    # The municipality's web site reads the list from its own pages.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Every official account, grouped by department ("Koppling till nykvarn.se")."""
    groups: dict[str, list[SocialAccount]] = {}
    for account in _public_accounts():
        groups.setdefault(account.department.name, []).append(account)
    if not request.GET.get("embed"):
        return render(request, "registry/public_list.html", {"groups": groups})
    response = render(request, "registry/public_embed.html", {"groups": groups})
    # Only the embed view may be framed, and only by the organisation's own site; every
    # other page keeps the global frame-ancestors 'none' (django-csp 4 per-response replace).
    response._csp_replace = {  # type: ignore[attr-defined]
        "frame-ancestors": [SELF, *settings.EMBED_ALLOWED_ORIGINS]
    }
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


@require_GET
def public_json(request: HttpRequest) -> JsonResponse:
    return _public_json(
        {
            "organisation": settings.ORGANISATION_NAME,
            "website": settings.ORGANISATION_WEBSITE,
            "accounts": [public_entry(a) for a in _public_accounts()],
        }
    )


def find_official(url: str) -> SocialAccount | None:
    """Return the official account (active, or closing) the address belongs to, or None.

    Matches the account's own page or a page below it, never a lookalike name.
    """
    try:
        key = services.normalised(url)
    except InvalidAccountURL:
        return None
    candidates = _public_accounts().filter(normalized_url__in=prefixes(key))
    matches = [a for a in candidates if is_same_or_below(key, a.normalized_url)]
    return max(matches, key=lambda a: len(a.normalized_url), default=None)


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """ "Is this account really the municipality's?" for anyone, as a page."""
    form = forms.VerifyForm(request.GET or None)
    checked = form.is_valid()  # an address that can't be one shows as a form error
    account = find_official(form.cleaned_data["url"]) if checked else None
    return render(
        request, "registry/verify.html", {"form": form, "checked": checked, "account": account}
    )


@require_GET
def verify_json(request: HttpRequest) -> JsonResponse:
    url = request.GET.get("url", "")
    if not url.strip():
        return _public_json({"official": False, "account": None})
    form = forms.VerifyForm({"url": url})
    if not form.is_valid():
        # Not an address at all (or too long): say so, rather than "not official".
        response = _public_json(
            {
                "error": "invalid_url",
                "message": " ".join(str(e) for e in form.errors["url"]),
                "official": False,
                "account": None,
            }
        )
        response.status_code = 400
        return response
    account = find_official(form.cleaned_data["url"])
    return _public_json(
        {"official": account is not None, "account": public_entry(account) if account else None}
    )

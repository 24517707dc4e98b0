"""The communications office's admin for the register (REG-1).

Design: the admin changes nothing by itself. Every change goes through registry.services,
which checks the rules and writes the audit event in the same transaction:

- The state is read-only; the transitions are admin actions calling the same services as
  the browser views (permission, audit event, e-mail).
- People (owner, deputies, substitutes, credential holders, where the credentials are kept)
  and assignments (uppdrag) are shown read-only, with a link to the account's people page
  in the browser, whose forms call the people services. Those services hold the rules an
  admin form can't: "en ställföreträdande måste alltid finnas" (REG-4), at least two
  credential holders (REG-5), an uppdrag granted by the acting user (REG-4). Rebuilding
  those forms here would be a second copy of the rules; a link is one click.
- The department is read-only once submitted: the approval was that department's manager's.
- What remains editable is routed by state: a draft's fields (checklist included) through
  services.update_request; afterwards the checklist is decided and read-only, and only the
  correctable fields (name, address, platform, central account, channel strategy) go through
  services.correct_account and the posting target through services.set_posting_target.
  A closed account is read-only.
- Platform configuration changes (domains decide what is "official") are audited here.
- Requests are created in the browser form, which carries the checklist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin import AuditedAdminMixin, ListEditableLabelsMixin, ReadOnlyAdminMixin
from accounts.http import AuthenticatedHttpRequest
from nykvarn_sm.lib import formfields
from registry import services
from registry.forms import (
    AccountURLMixin,
    ActivateForm,
    DoneDateField,
    HttpsURLField,
    RejectForm,
    StartClosingForm,
)
from registry.models import (
    CHECKLIST_FIELDS,
    ActivityEntry,
    Assignment,
    CredentialHolder,
    FollowerNotice,
    Platform,
    SocialAccount,
    Substitute,
    TransitionRefused,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class BoundedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, which looks up the submitted id to show it again; an
    id the form refused as beyond the database's integer is not looked up (a 500 on
    SQLite and PostgreSQL alike)."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        try:
            formfields.check_ids(value)
        except ValidationError:
            value = []
        return super().optgroups(name, value, attr)


def _people_link(account: SocialAccount) -> str:
    return format_html(
        '<a href="{}">{}</a>',
        reverse("registry:people", args=[account.pk]),
        _("Ändra ansvariga, ersättare, behörigheter och uppdrag på kontots personsida"),
    )


@admin.register(Platform)
class PlatformAdmin(ListEditableLabelsMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Configuration; a platform's domains decide which addresses are official (REG-7)."""

    list_display = ["name", "slug", "login_wall", "position"]
    list_editable = ["position"]
    search_fields = ["name", "domains"]
    prepopulated_fields = {"slug": ["name"]}

    def audit_details(self, obj: Any) -> dict[str, Any]:
        return {"domains": obj.domains}


class SubstituteInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown only: services.add_substitute / remove_substitute on the people page (REG-4)."""

    model = Substitute
    fk_name = "account"
    extra = 0
    fields = ["user", "stands_in_for", "starts_on", "ends_on"]
    verbose_name_plural = _("ersättare (ändras på kontots personsida)")


class CredentialHolderInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown only: at least two must remain (REG-5), which the services check."""

    model = CredentialHolder
    extra = 0
    fields = ["user"]
    verbose_name_plural = _("har inloggningsuppgifterna (ändras på kontots personsida)")


class AssignmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Assignment.accounts.through
    extra = 0
    verbose_name = _("uppdrag")
    verbose_name_plural = _("uppdrag (ändras under Uppdrag)")
    # The through table's columns are named in English ("assignment"): show the uppdrag
    # under a Swedish heading instead.
    fields = readonly_fields = ("shown_assignment",)

    @admin.display(description=_("uppdrag"))
    def shown_assignment(self, obj: Any) -> str:
        return str(obj.assignment)


class FollowerNoticeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FollowerNotice
    extra = 0
    fields = ["published_on", "text", "recorded_by"]


ALWAYS_READ_ONLY = (
    "state",
    "people_page",
    "owner",
    "deputy_names",
    "credentials_location",
    "submitted_at",
    "manager_approved_by",
    "manager_approved_at",
    "rejection_reason",
    "activated_by",
    "activated_at",
    "closing_planned_on",
    "closing_reason",
    "closing_started_at",
    "closed_at",
    "created_by",
    "created_at",
)


class SocialAccountAdminForm(AccountURLMixin, forms.ModelForm):
    """Normalise the address and refuse a second registration, as the browser form does."""

    class Meta:
        model = SocialAccount
        fields = ["platform", "url"]  # the admin adds the rest from its fieldsets
        # The same bounded fields as the browser's request form: a form error, not a 500,
        # for year 1, year 99999 or an id beyond the database's integer.
        field_classes = {
            "url": HttpsURLField,
            "platform": formfields.ModelChoiceField,
            "department": formfields.ModelChoiceField,
            "terms_reviewed_by": formfields.ModelChoiceField,
            "terms_reviewed_on": DoneDateField,
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.clean_account_url()
        return self.cleaned_data


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[SocialAccount],
    done: StrOrPromise,
    call: Any,
) -> list[SocialAccount]:
    """Call the service for each account; say why each refused one was. Return those."""
    ok, refused = 0, []
    for account in queryset:
        try:
            call(account)
        except (TransitionRefused, PermissionDenied) as error:
            # The services' refusals are Swedish sentences (registry.services._refusal).
            modeladmin.message_user(request, f"{account}: {error}", messages.ERROR)
            refused.append(account)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)
    return refused


def _with_form(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[SocialAccount],
    form_class: type[forms.Form],
    title: StrOrPromise,
    action: str,
    done: StrOrPromise,
    call: Any,
) -> HttpResponse | None:
    """An action that asks for input on an intermediate page first (reason, date, strategy).

    A refused account comes back on the same page with what was typed, beside the reason.
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
    else:
        form = form_class(initial=_initial(form_class, queryset))
    if "apply" in request.POST and form.is_valid():
        refused = _run(modeladmin, request, queryset, done, lambda a: call(a, form.cleaned_data))
        if not refused:
            return None
        queryset = queryset.filter(pk__in=[a.pk for a in refused])
    return TemplateResponse(
        request,
        "admin/registry/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "accounts": queryset,
            "action": action,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


def _initial(form_class: type[forms.Form], queryset: QuerySet[SocialAccount]) -> dict[str, Any]:
    """Start from the stored channel strategy when one account is activated."""
    if form_class is ActivateForm and queryset.count() == 1:
        account = queryset.get()
        return {"channel_strategy": account.channel_strategy}
    return {}


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    form = SocialAccountAdminForm
    list_display = [
        "name",
        "platform",
        "department",
        "state",
        "owner",
        "is_central",
        "activated_at",
    ]
    list_filter = ["state", "platform", "department", "is_central"]
    search_fields = ["name", "url", "owner__full_name", "department__name"]
    list_select_related = ["platform", "department", "owner"]
    autocomplete_fields = ["terms_reviewed_by", "department"]
    inlines = [SubstituteInline, CredentialHolderInline, AssignmentInline, FollowerNoticeInline]
    actions = ["approve_as_manager", "reject", "activate", "start_closing", "close"]
    fieldsets = (
        (None, {"fields": ("platform", "name", "url", "department", "state", "is_central")}),
        (
            _("Ansvariga (REG-4, REG-5)"),
            {"fields": ("people_page", "owner", "deputy_names", "credentials_location")},
        ),
        (_("Checklista, Bilaga 2"), {"classes": ("collapse",), "fields": tuple(CHECKLIST_FIELDS)}),
        (_("Periodicitet (REG-6)"), {"fields": ("posts_per_week", "annual_plan")}),
        (
            _("Beslut"),
            {
                "fields": (
                    "channel_strategy",
                    "created_by",
                    "created_at",
                    "submitted_at",
                    "manager_approved_by",
                    "manager_approved_at",
                    "rejection_reason",
                    "activated_by",
                    "activated_at",
                )
            },
        ),
        (
            _("Avslut (REG-9)"),
            {"fields": ("closing_planned_on", "closing_reason", "closing_started_at", "closed_at")},
        ),
    )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in self.autocomplete_fields:
            kwargs.setdefault(
                "widget",
                BoundedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Set by transitions, or people changed only through the people services (REG-4, REG-5).
        fields = [*ALWAYS_READ_ONLY]
        if obj is not None and obj.state != SocialAccount.State.DRAFT:
            # Submitted: the manager approved these answers and this department (REG-2, REG-3).
            fields += ["department", *CHECKLIST_FIELDS]
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[SocialAccount]:
        return super().get_queryset(request).prefetch_related("deputies")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A closed account is the record of what was (REG-9); nothing about it changes.
        if obj is not None and obj.state == SocialAccount.State.CLOSED:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("Personer"))
    def people_page(self, obj: SocialAccount) -> str:
        return _people_link(obj)

    @admin.display(description=_("Ställföreträdande"))
    def deputy_names(self, obj: SocialAccount) -> str:
        return ", ".join(str(d) for d in obj.deputies.all()) or "–"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A request is made in the browser form, which carries the Bilaga 2 checklist.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Closed, never deleted: the register is the record of processing (REG-1).
        return False

    def save_model(self, request: HttpRequest, obj: SocialAccount, form: Any, change: bool) -> None:
        """Route the form's changes to the service for the account's state (see module doc).

        Django calls this inside the change view's transaction; each service writes its
        audit event there too. `obj` carries the form's values; the services get the stored
        account and the changed fields only.
        """
        by = cast("AuthenticatedHttpRequest", request).user  # the admin requires a User
        account = SocialAccount.objects.select_for_update().get(pk=obj.pk)
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changed:
            return
        if account.state == SocialAccount.State.DRAFT:
            services.update_request(
                account=account, by=by, fields=changed, deputies=account.deputies.all()
            )
            return
        target = {k: changed.pop(k) for k in ("posts_per_week", "annual_plan") if k in changed}
        if changed:
            services.correct_account(account=account, by=by, fields=changed)
        if target:
            services.set_posting_target(
                account=account,
                by=by,
                posts_per_week=target.get("posts_per_week", account.posts_per_week),
                annual_plan=target.get("annual_plan", account.annual_plan),
            )

    @admin.action(description=_("Godkänn som verksamhetschef"))
    def approve_as_manager(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[SocialAccount]
    ) -> None:
        _run(
            self,
            request,
            queryset,
            _("%(n)s konton godkända."),
            lambda a: services.approve(account=a, by=request.user),
        )

    @admin.action(description=_("Förankra och aktivera (kräver kanalstrategi) …"))
    def activate(self, request: AuthenticatedHttpRequest, queryset: QuerySet[SocialAccount]) -> Any:
        return _with_form(
            self,
            request,
            queryset,
            ActivateForm,
            _("Förankra och aktivera"),
            "activate",
            _("%(n)s konton aktiverade."),
            lambda a, d: services.activate(account=a, by=request.user, **d),
        )

    @admin.action(description=_("Skicka tillbaka som utkast …"))
    def reject(self, request: AuthenticatedHttpRequest, queryset: QuerySet[SocialAccount]) -> Any:
        return _with_form(
            self,
            request,
            queryset,
            RejectForm,
            _("Skicka tillbaka som utkast"),
            "reject",
            _("%(n)s begäranden skickade tillbaka."),
            lambda a, d: services.reject(account=a, by=request.user, **d),
        )

    @admin.action(description=_("Påbörja avslut …"))
    def start_closing(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[SocialAccount]
    ) -> Any:
        return _with_form(
            self,
            request,
            queryset,
            StartClosingForm,
            _("Påbörja avslut"),
            "start_closing",
            _("Avslut påbörjat för %(n)s konton."),
            lambda a, d: services.start_closing(account=a, by=request.user, **d),
        )

    @admin.action(description=_("Avsluta och ta bort från listan över kanaler"))
    def close(self, request: AuthenticatedHttpRequest, queryset: QuerySet[SocialAccount]) -> None:
        _run(
            self,
            request,
            queryset,
            _("%(n)s konton avslutade."),
            lambda a: services.close(account=a, by=request.user),
        )


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Assignments (uppdrag) are listed, searched and revoked here, never written here.

    An uppdrag records who granted it (REG-4); services.grant_assignment always takes the
    acting user, so a form with a free granted_by field can't exist. They are granted on
    an account's people page in the browser (linked from each row), for one or several
    accounts, and revoked here with the action, which calls the service.
    """

    list_display = ["user", "granted_by", "granted_on", "revoked_at", "people_pages"]
    list_filter = ["granted_on", "revoked_at", "accounts__department"]
    search_fields = ["user__full_name", "user__email", "note"]
    list_select_related = ["user", "granted_by"]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return super().get_queryset(request).prefetch_related("accounts")

    @admin.display(description=_("Konton (personsida)"))
    def people_pages(self, obj: Assignment) -> str:
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("registry:people", args=[a.pk]), a.name) for a in obj.accounts.all()),
        )

    @admin.action(description=_("Återkalla uppdrag"))
    def revoke(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Assignment]) -> None:
        ok = 0
        for assignment in queryset:
            try:
                services.revoke_assignment(assignment=assignment, by=request.user)
            except (TransitionRefused, PermissionDenied) as error:
                self.message_user(request, f"{assignment}: {error}", messages.ERROR)
            else:
                ok += 1
        if ok:
            self.message_user(request, _("%(n)s uppdrag återkallade.") % {"n": ok})


@admin.register(ActivityEntry)
class ActivityEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Entered in the browser or imported through the services, with who did it (REG-6)."""

    list_display = ["account", "week_start", "posts", "entered_by", "entered_at"]
    list_filter = ["account__platform", "account__department"]
    search_fields = ["account__name"]
    list_select_related = ["account", "account__platform", "entered_by"]
    date_hierarchy = "week_start"

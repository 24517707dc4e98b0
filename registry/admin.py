"""The communications office's admin for the register (REG-1).

The state is never edited here: it is read-only, and the transitions are admin actions
that call the same registry.services functions as the browser views (permission, audit
event, e-mail). Requests are created in the browser form, which carries the checklist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin
from accounts.http import AuthenticatedHttpRequest
from registry import services
from registry.forms import AccountURLMixin, HttpsURLField
from registry.models import (
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


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "login_wall", "position"]
    list_editable = ["position"]
    search_fields = ["name", "domains"]
    prepopulated_fields = {"slug": ["name"]}


class SubstituteInline(admin.TabularInline):
    model = Substitute
    fk_name = "account"
    extra = 0
    autocomplete_fields = ["user", "stands_in_for"]


class CredentialHolderInline(admin.TabularInline):
    model = CredentialHolder
    extra = 0
    autocomplete_fields = ["user"]


class AssignmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Assignment.accounts.through
    extra = 0
    verbose_name = _("uppdrag")
    verbose_name_plural = _("uppdrag (ändras under Uppdrag)")


class FollowerNoticeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FollowerNotice
    extra = 0
    fields = ["published_on", "text", "recorded_by"]


class SocialAccountAdminForm(AccountURLMixin, forms.ModelForm):
    """Normalise the address and refuse a second registration, as the browser form does."""

    class Meta:
        model = SocialAccount
        fields = ["platform", "url"]  # the admin adds the rest from its fieldsets
        field_classes = {"url": HttpsURLField}

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.clean_account_url()
        return self.cleaned_data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Skäl"), widget=forms.Textarea(attrs={"rows": 3}))


class ClosingForm(forms.Form):
    planned_on = forms.DateField(
        label=_("Planerat avslut"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Skäl till avslut"), widget=forms.Textarea(attrs={"rows": 3}))


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[SocialAccount],
    done: StrOrPromise,
    call: Any,
) -> None:
    ok = 0
    for account in queryset:
        try:
            call(account)
        except (TransitionRefused, PermissionDenied) as error:
            modeladmin.message_user(request, f"{account}: {error}", messages.ERROR)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)


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
    """An action that asks for input on an intermediate page first (reason, date)."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        _run(modeladmin, request, queryset, done, lambda a: call(a, form.cleaned_data))
        return None
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
    autocomplete_fields = ["owner", "deputies", "terms_reviewed_by", "department"]
    readonly_fields = [
        "state",
        "submitted_at",
        "manager_approved_by",
        "manager_approved_at",
        "rejection_reason",
        "activated_by",
        "activated_at",
        "closing_started_at",
        "closed_at",
        "created_by",
        "created_at",
    ]
    inlines = [SubstituteInline, CredentialHolderInline, AssignmentInline, FollowerNoticeInline]
    actions = ["approve_as_manager", "reject", "activate", "start_closing", "close"]
    fieldsets = (
        (None, {"fields": ("platform", "name", "url", "department", "state", "is_central")}),
        (_("Ansvariga (REG-4, REG-5)"), {"fields": ("owner", "deputies", "credentials_location")}),
        (
            _("Checklista, Bilaga 2"),
            {
                "classes": ("collapse",),
                "fields": (
                    "purpose",
                    "goals",
                    "message",
                    "target_group",
                    "channel_motivation",
                    "is_organisation_page",
                    "terms_reviewed_by",
                    "terms_reviewed_on",
                    "it_needs",
                    "resources",
                    "monitoring",
                    "sender",
                    "risks",
                    "records_routines",
                    "crisis_use",
                    "marketing",
                    "neutrality_confirmed",
                    "info_prohibited_content",
                    "info_violation_handling",
                    "info_authority_identity",
                    "info_purpose",
                    "info_public_record",
                ),
            },
        ),
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A request is made in the browser form, which carries the Bilaga 2 checklist.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Closed, never deleted: the register is the record of processing (REG-1).
        return False

    def save_model(self, request: HttpRequest, obj: SocialAccount, form: Any, change: bool) -> None:
        obj.normalized_url = services.normalised(obj.url)
        super().save_model(request, obj, form, change)

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

    @admin.action(description=_("Förankra och aktivera (kräver kanalstrategi)"))
    def activate(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[SocialAccount]
    ) -> None:
        _run(
            self,
            request,
            queryset,
            _("%(n)s konton aktiverade."),
            lambda a: services.activate(
                account=a, by=request.user, channel_strategy=a.channel_strategy
            ),
        )

    @admin.action(description=_("Skicka tillbaka som utkast …"))
    def reject(self, request: AuthenticatedHttpRequest, queryset: QuerySet[SocialAccount]) -> Any:
        return _with_form(
            self,
            request,
            queryset,
            ReasonForm,
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
            ClosingForm,
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
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "granted_by", "granted_on", "revoked_at"]
    list_filter = ["granted_on", "revoked_at", "accounts__department"]
    search_fields = ["user__full_name", "user__email", "note"]
    list_select_related = ["user", "granted_by"]
    autocomplete_fields = ["user", "granted_by", "accounts"]
    readonly_fields = ["revoked_at", "revoked_by"]
    actions = ["revoke"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted

    @admin.action(description=_("Återkalla uppdrag"))
    def revoke(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Assignment]) -> None:
        for assignment in queryset:
            try:
                services.revoke_assignment(assignment=assignment, by=request.user)
            except (TransitionRefused, PermissionDenied) as error:
                self.message_user(request, f"{assignment}: {error}", messages.ERROR)


@admin.register(ActivityEntry)
class ActivityEntryAdmin(admin.ModelAdmin):
    list_display = ["account", "week_start", "posts", "entered_by", "entered_at"]
    list_filter = ["account__platform", "account__department"]
    search_fields = ["account__name"]
    list_select_related = ["account", "account__platform", "entered_by"]
    date_hierarchy = "week_start"
    readonly_fields = ["entered_by", "entered_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entered in the browser or imported, with the person who did it

"""The admin for people, roles, departments and the (read-only) audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Department, OutgoingMail, Role, User

admin.site.site_header = _("Sociala medier – administration")
admin.site.site_title = _("Sociala medier")


class ReadOnlyAdminMixin:
    """Records that must never change: the admin shows them and offers nothing else."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdminMixin:
    """Write an AuditEvent for every add, change and delete made in the admin.

    Django calls these hooks inside the change view's transaction, after the object and its
    many-to-many fields are saved, so the event lands in the same transaction as the change
    (issue 2, "every change of importance writes an event").
    """

    def _audit(self, request: HttpRequest, obj: Any, verb: str, message: Any) -> None:
        opts = obj._meta
        details: dict[str, Any] = {"change": message if isinstance(message, str) else ""}
        details.update(self.audit_details(obj))
        AuditEvent.record(
            actor=request.user,  # type: ignore[arg-type]  # the admin requires a staff User
            action=f"{opts.app_label}.{opts.model_name}_{verb}",
            target=obj,
            details=details,
        )

    def audit_details(self, obj: Any) -> dict[str, Any]:
        return {}

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        self._audit(request, obj, "added", entry.get_change_message())
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        self._audit(request, obj, "changed", entry.get_change_message())
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "deleted", "")
        return super().log_deletions(request, queryset)  # type: ignore[misc]


class ListEditableLabelsMixin:
    """Name each field of a list_editable column after its column and row.

    Django's changelist shows those fields without a label: a screen reader hears "edit
    text" forty times (WCAG 2.1 1.3.1 and 4.1.2; issue 12). Each one is named like
    "Ordning, Facebook".
    """

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        form_class = super().get_changelist_form(request, **kwargs)  # type: ignore[misc]

        class LabelledChangelistForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    if not field.widget.is_hidden:
                        field.widget.attrs["aria-label"] = (
                            f"{capfirst(field.label)}, {self.instance}"
                        )

        return LabelledChangelistForm


@admin.register(Department)
class DepartmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Role)
class RoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The roles are fixed by the data migration; they are assigned on each user."""

    list_display = ["__str__", "code"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "title", "is_active", "last_login"]
    list_filter = ["is_active", "roles", "departments"]
    search_fields = ["full_name", "email"]
    filter_horizontal = ["departments", "roles"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "title", "phone")}),
        (_("Organisation och roller"), {"fields": ("departments", "roles", "is_active")}),
        (_("Tider"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )

    def audit_details(self, obj: Any) -> dict[str, Any]:
        """Who may do what is the point of the audit: record the roles and departments."""
        return {
            "roles": sorted(obj.roles.values_list("code", flat=True)),
            "departments": sorted(obj.departments.values_list("name", flat=True)),
            "is_active": obj.is_active,
        }

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            fieldsets = (*fieldsets, (_("Superanvändare"), {"fields": ("is_superuser",)}))
        return fieldsets


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor", "action_label", "target_repr", "ip_address"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_repr", "actor__full_name", "actor__email"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("händelse"), ordering="action")
    def action_label(self, obj: AuditEvent) -> str:
        return obj.action_label

    fields = [
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "ip_address",
        "details",
    ]


OUTGOING_MAIL_FIELDS = (
    "created_at",
    "recipient",
    "subject",
    "body",
    "status_label",
    "attempts",
    "last_error",
    "not_before",
    "sent_at",
)


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the product has sent or is still trying to send, for the communications office
    to see whether a notice went out and why one is waiting."""

    list_display = ["created_at", "recipient", "subject", "status_label", "attempts", "sent_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "subject"]
    date_hierarchy = "created_at"
    fields = OUTGOING_MAIL_FIELDS
    readonly_fields = OUTGOING_MAIL_FIELDS

    @admin.display(description=_("status"))
    def status_label(self, obj: OutgoingMail) -> str:
        label = str(OutgoingMail.Status(obj.status).label)
        return f"{label}: {obj.last_error}" if obj.status == obj.Status.RETRYING else label

"""The admin: reasons and closed days are configuration; the log is read-only and hides
confidential content exactly as the pages do (accounts.permissions.may_read_content)."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import permissions as perms
from accounts.admin import ListEditableLabelsMixin, ReadOnlyAdminMixin
from moderation.models import (
    ChainAnchor,
    ClosedDay,
    Evidence,
    IncomingItem,
    LogCheck,
    Registration,
    RemovalReason,
    RemovedPost,
)
from nykvarn_sm.lib import formfields

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RESTRICTED = _("Sekretess – innehållet visas bara för dem som behöver det")


@admin.register(RemovalReason)
class RemovalReasonAdmin(ListEditableLabelsMixin, admin.ModelAdmin):
    """MOD-2: the reasons are configuration. Used reasons can't be deleted (PROTECT)."""

    list_display = [
        "label",
        "code",
        "legal_reference",
        "preserve_content",
        "confidential_by_default",
        "active",
        "position",
    ]
    list_editable = ["active", "position"]
    list_filter = ["active", "preserve_content", "confidential_by_default"]
    search_fields = ["label", "code", "legal_reference"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A used reason's wording is fixed (Bilaga 1; on PostgreSQL a trigger refuses the
        change too): a new wording is a new reason, and the old one is set not in use."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk and RemovedPost.objects.filter(reason=obj).exists():
            fields += ["code", "label", "legal_reference"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and RemovedPost.objects.filter(reason=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    """The organisation's own closed days, beyond public holidays (moderation.workdays)."""

    list_display = ["date", "description"]
    search_fields = ["description"]
    date_hierarchy = "date"
    # A typed year 1 or 99999 is refused like everywhere else (nykvarn_sm.lib.formfields).
    formfield_overrides = {models.DateField: {"form_class": formfields.DateField}}


# The display methods below need the request's user; a ModelAdmin instance is shared by
# every thread, so the user is kept in a context variable (per thread), not on `self`.
_admin_user: contextvars.ContextVar[Any] = contextvars.ContextVar("moderation_admin_user")


class MaskedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Show a restricted field only to a confidential reader of the row."""

    def _masked(self, obj: Any, value: StrOrPromise) -> Any:
        if perms.may_read_content(_admin_user.get(None), obj):
            return value
        return format_html("<em>{}</em>", RESTRICTED)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        _admin_user.set(request.user)
        return super().get_readonly_fields(request, obj)


class EvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Evidence
    fields = ("original_name", "size", "sha256", "uploaded_at")
    readonly_fields = fields
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Even the names of screenshots can reveal content.
        return obj is None or perms.may_read_content(request.user, obj)


class LineConfidentialFilter(admin.SimpleListFilter):
    """Sekretess as the pages decide it: per line of corrections (MOD-3)."""

    title = _("sekretess")
    parameter_name = "sekretess"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("ja")), ("0", _("nej"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("0", "1"):
            return queryset.filter(_line_confidential=self.value() == "1")
        return queryset


@admin.register(RemovedPost)
class RemovedPostAdmin(MaskedAdmin):
    list_display = [
        "position",
        "removed_at",
        "account",
        "kind",
        "reason",
        "shown_confidential",
        "registration_decision",
        "removed_by",
    ]
    list_filter = [
        "reason",
        LineConfidentialFilter,
        "kind",
        "registration_decision",
        "account__department",
    ]
    # No content field here: a search must not reveal what a restricted record says.
    search_fields = [
        "account__name",
        "removed_by__full_name",
        "registration__diarienummer",
        "record_hash",
    ]
    list_select_related = ["account__platform", "reason", "removed_by"]
    date_hierarchy = "removed_at"
    inlines = [EvidenceInline]
    fields = (
        "position",
        "account",
        "kind",
        "reason",
        "shown_confidential",
        "posted_at",
        "removed_at",
        "removed_by",
        "shown_sender",
        "shown_post_url",
        "shown_context",
        "shown_content",
        "shown_motivation",
        "sender_informed",
        "registration_decision",
        "corrects",
        "shown_correction_note",
        "source_incoming",
        "previous_hash",
        "record_hash",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[RemovedPost]:
        # Confidentiality is decided per line of corrections (MOD-3): one EXISTS in the
        # changelist's query, no query per row.
        return super().get_queryset(request).with_line_confidentiality()  # type: ignore[attr-defined]

    @admin.display(description=_("sekretess"), boolean=True, ordering="_line_confidential")
    def shown_confidential(self, obj: RemovedPost) -> bool:
        return obj.line_confidential

    @admin.display(description=_("avsändare"))
    def shown_sender(self, obj: RemovedPost) -> Any:
        return self._masked(obj, f"{obj.sender_name} {obj.sender_profile_url}")

    @admin.display(description=_("vad som rättas"))
    def shown_correction_note(self, obj: RemovedPost) -> Any:
        # The note says what was wrong, often in the content's own words (MOD-3).
        return self._masked(obj, obj.correction_note) if obj.correction_note else ""

    @admin.display(description=_("adress till inlägget"))
    def shown_post_url(self, obj: RemovedPost) -> Any:
        return self._masked(obj, obj.post_url)

    @admin.display(description=_("sammanhang"))
    def shown_context(self, obj: RemovedPost) -> Any:
        return self._masked(obj, obj.context)

    @admin.display(description=_("innehåll"))
    def shown_content(self, obj: RemovedPost) -> Any:
        value = obj.content if obj.content_preserved else _("(behöver inte bevaras)")
        return self._masked(obj, value)

    @admin.display(description=_("motivering"))
    def shown_motivation(self, obj: RemovedPost) -> Any:
        return self._masked(obj, obj.motivation)


@admin.register(IncomingItem)
class IncomingItemAdmin(MaskedAdmin):
    """Incoming items change only through their pages (the Bilaga 4 outcomes)."""

    list_display = [
        "received_at",
        "account",
        "kind",
        "outcome",
        "due_at",
        "handler",
        "confidential",
    ]
    list_filter = ["outcome", "kind", "confidential", "account__department"]
    search_fields = ["account__name", "diarienummer"]
    list_select_related = ["account__platform", "handler"]
    date_hierarchy = "received_at"
    fields = (
        "account",
        "received_at",
        "kind",
        "confidential",
        "shown_text",
        "shown_sender",
        "handler",
        "due_at",
        "first_response_at",
        "promised_answer",
        "outcome",
        "shown_reply",
        "signed_name",
        "signed_title",
        "signed_office",
        "forwarded_to",
        "registration_decision",
        "diarienummer",
        "closed_at",
        "closed_by",
        "reminder_level",
        "last_reminded_at",
    )
    readonly_fields = fields

    @admin.display(description=_("text"))
    def shown_text(self, obj: IncomingItem) -> Any:
        return self._masked(obj, obj.text)

    @admin.display(description=_("avsändare"))
    def shown_sender(self, obj: IncomingItem) -> Any:
        return self._masked(obj, f"{obj.sender_name} {obj.url}")

    @admin.display(description=_("svar"))
    def shown_reply(self, obj: IncomingItem) -> Any:
        return self._masked(obj, obj.reply)


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["diarienummer", "registered_on", "registered_by", "removed_post"]
    search_fields = ["diarienummer"]
    list_select_related = ["registered_by", "removed_post"]
    date_hierarchy = "registered_on"


@admin.register(ChainAnchor)
class ChainAnchorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The daily anchors of the chains (read-only): what was sent to the archivists."""

    list_display = [
        "anchored_on",
        "chain",
        "position",
        "head_hash",
        "timestamped_at",
        "mailed_at",
        "timestamp_error",
    ]
    list_select_related = ["chain"]
    date_hierarchy = "anchored_on"
    exclude = ["token"]


@admin.register(LogCheck)
class LogCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["checked_on", "ok", "checked", "evidence_checked", "message"]
    list_filter = ["ok"]
    search_fields = ["message"]

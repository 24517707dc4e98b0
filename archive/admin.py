"""The archive in the admin: read-only (files are never changed or deleted by hand)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import AuditedAdminMixin, ReadOnlyAdminMixin
from archive.models import (
    Disposal,
    FixityCheck,
    GallringDecision,
    LegalHold,
    PlatformThinning,
    Snapshot,
    SnapshotSource,
)


class SnapshotSourceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SnapshotSource
    fields = ["original_name", "content_type", "file"]
    extra = 0


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "account",
        "period",
        "context",
        "status",
        "attempts",
        "method",
        "validation_passed",
        "stored_at",
        "file_name",
    ]
    list_filter = [
        "status",
        "context",
        "period",
        "method",
        "validation_passed",
        "account__platform",
        "fixity_ok",
    ]
    search_fields = ["account__name", "account__department__name", "file_name", "sha256"]
    list_select_related = ["account__platform", "account__department"]
    date_hierarchy = "created_at"
    inlines = [SnapshotSourceInline]


@admin.register(FixityCheck)
class FixityCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "files_checked", "triggered_by"]
    list_filter = ["triggered_by"]
    search_fields = ["triggered_by"]


# --- gallring (ARC-4, "Gallra") ----------------------------------------------------------------


@admin.register(GallringDecision)
class GallringDecisionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Gallring decisions are configuration: the communications office enters them from the
    municipality's document management plan, and every addition and change is audited.

    ARC-4 ("Gallra"): once a thinning or disposal was made under a decision, its terms are
    what that act was decided by, so they are shown read-only and only its revocation
    (revoked_on) remains; it is never deleted. The records keep a copy of the terms too.
    """

    list_display = [
        "diarienummer",
        "decided_on",
        "decided_by",
        "applies_to",
        "retention_months",
        "revoked_on",
    ]
    list_filter = ["applies_to"]
    search_fields = ["diarienummer", "description", "decided_by"]
    date_hierarchy = "decided_on"

    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.is_used():
            return [*GallringDecision.TERMS, "created_at"]
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_used():
            return False
        return super().has_delete_permission(request, obj)

    def audit_details(self, obj: Any) -> dict[str, Any]:
        return {
            **obj.terms(),
            "revoked_on": obj.revoked_on.isoformat() if obj.revoked_on else None,
        }


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Holds are placed and released on the account's gallring page (audited)."""

    list_display = ["account", "scope", "reason", "reference", "placed_at", "released_at"]
    list_filter = ["scope", "reason", ("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "reference", "note"]
    list_select_related = ["account__platform"]


@admin.register(PlatformThinning)
class PlatformThinningAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["account", "starts_on", "ends_on", "decision", "thinned_on", "recorded_by"]
    list_filter = ["decision"]
    search_fields = ["account__name", "note"]
    list_select_related = ["account__platform", "decision", "recorded_by"]


@admin.register(Disposal)
class DisposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["file_name", "sha256", "size", "decision", "disposed_at", "disposed_by"]
    list_filter = ["decision"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["decision", "disposed_by"]

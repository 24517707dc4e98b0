"""The archive in the admin: read-only (files are never changed or deleted by hand)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin
from archive.models import FixityCheck, Snapshot, SnapshotSource


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

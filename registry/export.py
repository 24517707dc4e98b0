"""The register as a spreadsheet: the GDPR record of the channels used officially (REG-1).

"Inledning": the communications office keeps the list of the channels used officially,
as the data protection regulation requires. One row per account, every state, so the
record shows closed channels too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nykvarn_sm.lib.spreadsheet import safe_cell, xlsx_cell
from registry.models import Assignment, CredentialHolder, SocialAccount


def register_queryset() -> QuerySet[SocialAccount]:
    """Every account with what a row needs, in a constant number of queries."""
    return (
        SocialAccount.objects.select_related(
            "platform", "department", "department__parent", "owner", "activated_by"
        )
        .prefetch_related(
            "deputies",
            Prefetch(
                "credential_holders", queryset=CredentialHolder.objects.select_related("user")
            ),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(revoked_at__isnull=True).select_related("user"),
            ),
        )
        .order_by("department__name", "platform__position", "name")
    )


def _date(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value).date()
    return value.isoformat()


def _names(users: Iterable[Any]) -> str:
    return ", ".join(sorted(u.full_name for u in users))


def header() -> list[str]:
    return [
        _("Id"),
        _("Plattform"),
        _("Namn"),
        _("Adress"),
        _("Verksamhet"),
        _("Överordnad"),
        _("Status"),
        _("Operativt ansvarig"),
        _("E-post ansvarig"),
        _("Ställföreträdande"),
        _("Redaktörer med uppdrag"),
        _("Har inloggningsuppgifterna"),
        _("Var uppgifterna förvaras"),
        _("Syfte"),
        _("Målgrupp"),
        _("Risker och GDPR"),
        _("Diarieföring, gallring, arkivering"),
        _("Mål inlägg/vecka"),
        _("Aktiv sedan"),
        _("Planerat avslut"),
        _("Avslutat"),
    ]


def rows(accounts: Iterable[SocialAccount]) -> Iterable[list[Any]]:
    for a in accounts:
        yield [
            a.pk,
            a.platform.name,
            a.name,
            a.url,
            a.department.name,
            a.department.parent.name if a.department.parent else "",
            str(a.get_state_display()),
            a.owner.full_name,
            a.owner.email,
            _names(a.deputies.all()),
            _names(x.user for x in a.assignments.all()),
            _names(h.user for h in a.credential_holders.all()),
            a.credentials_location,
            a.purpose,
            a.target_group,
            a.risks,
            a.records_routines,
            a.posts_per_week,
            _date(a.activated_at),
            _date(a.closing_planned_on),
            _date(a.closed_at),
        ]


def as_csv(accounts: Iterable[SocialAccount]) -> bytes:
    """Return the register as CSV, semicolon-separated with a BOM, as Swedish Excel wants."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header())
    for row in rows(accounts):
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(accounts: Iterable[SocialAccount]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Kontoregister")
    sheet.append([xlsx_cell(sheet, v) for v in header()])
    for row in rows(accounts):
        sheet.append([xlsx_cell(sheet, v) for v in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

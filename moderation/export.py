"""Export of removal records for filing (MOD-3, "Diarieföring"): CSV and PDF/A.

Restricted content is left out exactly as on the pages: a confidential record whose
content the user may not read appears with its facts and the words "Sekretess" instead of
sender, context, content, motivation and evidence.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as perms
from moderation.models import RemovedPost
from nykvarn_sm.lib.pdfa import render_pdfa
from nykvarn_sm.lib.spreadsheet import safe_cell

RESTRICTED = "Sekretess"
DEFAULT_PDF_MAX_RECORDS = 500


def pdf_max_records() -> int:
    """MODERATION_EXPORT_PDF_MAX_RECORDS: the most records one PDF/A export renders."""
    return int(getattr(settings, "MODERATION_EXPORT_PDF_MAX_RECORDS", DEFAULT_PDF_MAX_RECORDS))


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def csv_rows(records: Iterable[RemovedPost], user: Any) -> Iterable[list[str]]:
    yield [
        _("Löpnummer"),
        _("Konto"),
        _("Verksamhet"),
        _("Typ"),
        _("Publicerat"),
        _("Borttaget"),
        _("Borttaget av"),
        _("Skäl"),
        _("Lagrum"),
        _("Sekretess"),
        _("Avsändare"),
        _("Avsändarens profil"),
        _("Adress"),
        _("Sammanhang"),
        _("Innehåll"),
        _("Motivering"),
        _("Avsändaren informerad"),
        _("Diarieföring"),
        _("Diarienummer"),
        _("Rättar löpnummer"),
        _("Kontrollsumma"),
    ]
    for r in records:
        readable = perms.may_read_content(user, r)
        registration = r.current_registration

        def restricted(value: str, readable: bool = readable) -> str:
            return value if readable else RESTRICTED

        yield [
            str(r.position),
            f"{r.account.platform.name} {r.account.name}",
            r.account.department.name,
            r.get_kind_display(),
            _local(r.posted_at),
            _local(r.removed_at),
            r.removed_by.full_name,
            r.stated_reason_label,
            r.stated_legal_reference,
            _("ja") if r.line_confidential else _("nej"),
            restricted(r.sender_name),
            restricted(r.sender_profile_url),
            restricted(r.post_url),
            restricted(r.context),
            restricted(r.content if r.content_preserved else _("(behöver inte bevaras)")),
            restricted(r.motivation),
            _("ja") if r.sender_informed else _("nej"),
            r.get_registration_decision_display(),
            registration.diarienummer if registration else "",
            str(r.corrects.position) if r.corrects_id and r.corrects else "",
            r.record_hash,
        ]


def records_csv(records: Iterable[RemovedPost], user: Any) -> str:
    """Return the records as CSV text (semicolon separated, as Swedish Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for row in csv_rows(records, user):
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def records_pdf(records: list[RemovedPost], user: Any, *, title: str) -> bytes:
    """Return the records as one PDF/A document (the shared writer, nykvarn_sm.lib.pdfa)."""
    for record in records:
        record.readable = perms.may_read_content(user, record)
    html = render_to_string(
        "moderation/pdf/records.html",
        {
            "records": records,
            "title": title,
            "organisation_name": settings.ORGANISATION_NAME,
            "exported_at": timezone.now(),
            "exported_by": user,
        },
    )
    return render_pdfa(
        html,
        title=title,
        author=settings.ORGANISATION_NAME,
        subject=_("Logg över borttagna inlägg"),
    )

"""Export for filing: one record or an account's records for a period, as PDF/A (the
shared writer) and CSV; restricted content left out for those who may not read it."""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.urls import reverse
from django.utils import timezone

from nykvarn_sm.lib.pdfa import validate_pdfa
from tests.moderation.conftest import SECRET, make_removal

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """Return the text of every page, as a reader's search would find it."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_one_record_as_valid_pdfa(client, secret_record, operator):
    client.force_login(operator)
    response = client.get(reverse("moderation:removal_export_one", args=[secret_record.pk, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.content
    result = validate_pdfa(data)
    assert result.passed, result.messages
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "pdfaid" in str(pdf.open_metadata())
    assert "19800101-1234" in pdf_text(data)


def test_pdf_hides_restricted_content_from_those_who_may_not_read_it(
    client, secret_record, administrator
):
    client.force_login(administrator)
    response = client.get(reverse("moderation:removal_export_one", args=[secret_record.pk, "pdf"]))
    text = pdf_text(response.content)
    assert "19800101" not in text and "diagnosen" not in text
    assert "Sekretess" in text


def test_account_period_export_pdf_and_csv(client, account_a, operator, administrator):
    first = make_removal(account_a, operator, content="Första kommentaren")
    make_removal(
        account_a, operator, code="sekretess", content=SECRET, registration_decision="confidential"
    )
    # The local day the records were removed on (an hour ago may be yesterday after midnight).
    day = timezone.localdate(first.removed_at).isoformat()
    query = {"account": account_a.pk, "start": day, "end": day}
    client.force_login(administrator)
    csv = client.get(reverse("moderation:removal_export"), {**query, "format": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert "Första kommentaren" in text and "19800101" not in text and "Sekretess" in text
    pdf = client.get(reverse("moderation:removal_export"), {**query, "format": "pdf"})
    assert validate_pdfa(pdf.content).passed
    assert "Första kommentaren" in pdf_text(pdf.content)


def test_export_of_an_account_outside_scope_is_refused(client, account_b, operator_b, operator):
    make_removal(account_b, operator_b)
    today = timezone.localdate().isoformat()
    client.force_login(operator)
    response = client.get(
        reverse("moderation:removal_export"),
        {"account": account_b.pk, "start": today, "end": today, "format": "csv"},
    )
    assert response.status_code == 200 and "account" in response.context["form"].errors

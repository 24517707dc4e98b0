"""Moderation pages, downloads and exports are never stored by a browser or a proxy
(`Cache-Control: private, no-store`), and the PDF export of a period is capped
(MODERATION_EXPORT_PDF_MAX_RECORDS) with a message saying how to narrow it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from moderation.models import Evidence
from tests.moderation.conftest import SECRET, make_incoming, make_removal

pytestmark = pytest.mark.django_db


def _assert_private(response, what) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, (what, response.get("Cache-Control"))


def test_every_moderation_page_and_download_is_private(client, account_a, operator):
    record = make_removal(
        account_a,
        operator,
        code="sekretess",
        content=SECRET,
        registration_decision="confidential",
        evidence=[SimpleUploadedFile("journal.png", b"\x89PNG\r\n\x1a\nbytes", "image/png")],
    )
    item = make_incoming(account_a, operator, text=SECRET, confidential=True)
    evidence = Evidence.objects.get(removed_post=record)
    today = timezone.localdate().isoformat()
    period = {"account": account_a.pk, "start": today, "end": today}
    client.force_login(operator)
    urls = [
        (reverse("moderation:removal_list"), {}),
        (reverse("moderation:removal_list"), {"format": "csv"}),
        (reverse("moderation:removal_create"), {}),
        (record.get_absolute_url(), {}),
        (reverse("moderation:removal_correct", args=[record.pk]), {}),
        (reverse("moderation:removal_export_one", args=[record.pk, "csv"]), {}),
        (reverse("moderation:removal_export_one", args=[record.pk, "pdf"]), {}),
        (reverse("moderation:removal_export"), {}),
        (reverse("moderation:removal_export"), {**period, "format": "csv"}),
        (reverse("moderation:removal_export"), {**period, "format": "pdf"}),
        (evidence.get_absolute_url(), {}),
        (reverse("moderation:handoffs"), {}),
        (reverse("moderation:incoming_list"), {}),
        (reverse("moderation:incoming_create"), {}),
        (item.get_absolute_url(), {}),
        (reverse("moderation:search"), {"q": "diagnosen"}),
    ]
    for url, query in urls:
        response = client.get(url, query)
        assert response.status_code == 200, url
        _assert_private(response, (url, query))
    refused = client.post(
        reverse("moderation:removal_register", args=[record.pk]), {"diarienummer": ""}
    )
    assert refused.status_code == 400
    _assert_private(refused, "register")


def test_report_is_private(client, communications_officer):
    client.force_login(communications_officer)
    for query in ({}, {"format": "csv"}):
        response = client.get(reverse("moderation:report"), query)
        assert response.status_code == 200
        _assert_private(response, query)


def test_the_pdf_export_of_a_period_is_capped(client, account_a, operator, settings):
    settings.MODERATION_EXPORT_PDF_MAX_RECORDS = 2
    records = [make_removal(account_a, operator, content=f"Kommentar {n}") for n in range(3)]
    # The local day the records were removed on (an hour ago may be yesterday after midnight).
    day = timezone.localdate(records[0].removed_at).isoformat()
    period = {"account": account_a.pk, "start": day, "end": day}
    client.force_login(operator)
    response = client.get(reverse("moderation:removal_export"), {**period, "format": "pdf"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert "3 poster" in errors[0] and "högst 2" in errors[0] and "kortare period" in errors[0]
    _assert_private(response, "capped")
    # CSV is not capped: it costs little to write.
    csv = client.get(reverse("moderation:removal_export"), {**period, "format": "csv"})
    assert csv.status_code == 200 and "Kommentar 2" in csv.content.decode("utf-8-sig")

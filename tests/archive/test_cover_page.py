"""The PDF/A's cover page and footers: the capture time in Swedish time and in UTC, and
"Sida X av Y" right on every page of a file made of several parts (ARC-1, ARC-3)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from archive import capture as capturing
from archive.models import Snapshot
from nykvarn_sm.lib import pdfa

pytestmark = pytest.mark.django_db


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _snapshot(account) -> Snapshot:
    return Snapshot.objects.create(
        account=account, period="2026-H1", context=Snapshot.Context.MANUAL, source_url=account.url
    )


def test_two_page_file_has_utc_time_and_a_right_footer_on_every_page(account_b):
    printed = pdfa.render_pdfa("<p>Utskrift av sidan</p>", title="t", author="a")
    capture = capturing.Capture(
        method="upload",
        # 13:05:09 in Stockholm in winter (UTC+1).
        captured_at=dt.datetime(2026, 1, 15, 12, 5, 9, tzinfo=dt.UTC),
        pdfs=[printed],
        raw_sha256="0" * 64,
    )
    data = capturing.build_pdf(_snapshot(account_b), capture)

    pages = _pages(data)
    assert len(pages) == 2
    assert "2026-01-15 13:05:09 svensk tid (2026-01-15 12:05:09 UTC)" in pages[0]
    assert "Sida 1 av 2" in pages[0] and "Sida 2 av 2" in pages[1]
    assert "Sida 1 av 1" not in "".join(pages)
    assert "Utskrift av sidan" in pages[1]
    result = pdfa.validate_pdfa(data)
    assert result.passed, result.messages
    assert "PDFBox Preflight" in result.validator


def test_summer_time_is_two_hours_from_utc(account_b):
    capture = capturing.Capture(
        method="upload",
        captured_at=dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC),
        pdfs=[pdfa.render_pdfa("<p>x</p>", title="t", author="a")],
    )
    text = _pages(capturing.build_pdf(_snapshot(account_b), capture))[0]
    assert "2026-07-02 00:30:00 svensk tid (2026-07-01 22:30:00 UTC)" in text


def test_fallback_page_is_numbered_with_the_cover(site_account, settings):
    long_page = "<h1>Sidan</h1>" + "".join(f"<p>Inlägg {n}</p>" for n in range(120))
    capture = capturing.Capture(
        method="fallback",
        captured_at=dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC),
        final_url=site_account.url,
        html=f"<!doctype html><html lang=sv><body>{long_page}</body></html>",
    )
    data = capturing.build_pdf(_snapshot(site_account), capture)
    pages = _pages(data)
    total = len(pages)
    assert total >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Sida {number} av {total}" in text
    assert pdfa.validate_pdfa(data).passed


def test_single_documents_keep_their_own_footer():
    """Moderation's export numbers its own pages; the shared writer adds nothing to it."""
    html = (
        "<style>@page { @bottom-right { content: counter(page) ' / ' counter(pages) } }</style>"
        + "<p style='page-break-after: always'>Ett</p><p>Två</p>"
    )
    pages = _pages(pdfa.render_pdfa(html, title="t", author="a"))
    assert ["1 / 2" in pages[0], "2 / 2" in pages[1]] == [True, True]
    assert "Sida" not in "".join(pages)

"""The archivist's work in a real browser (Debian's Chromium through Playwright), ARC-5:
the list filtered by office, a stored snapshot with its checksum, the download under the
convention's name with åäö intact; a manager of another department gets 404."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from archive import services
from archive.models import Snapshot
from tests.archive.helpers import stored_snapshot
from tests.conftest import browser_login

# The rows data migrations seed are restored by tests/conftest.py's _reference_data.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _screenshot_png() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 1400), "white")
    ImageDraw.Draw(image).rectangle((40, 40, 760, 200), fill=(11, 79, 108))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("skärmbild.png", buffer.getvalue(), content_type="image/png")


def logout(page):
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/konto/login/**")


def test_archivist_filters_opens_and_downloads_and_other_manager_gets_404(
    browser_page, account_a, account_b, archivist, operator, manager_b, tmp_path
):
    # Facebook is behind a login wall: the operator's uploaded screenshot, made into a
    # validated PDF/A by the same pipeline the worker runs (fast: no browser capture).
    snapshot = services.request_snapshot(
        account=account_a,
        context=Snapshot.Context.BEFORE_CHANGE,
        by=operator,
        uploads=[_screenshot_png()],
        queue=False,
    )
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    other = stored_snapshot(account_b)  # another office's: filtered away below
    expected_name = (
        f"Facebook Fritidsfabriken {timezone.localdate().isoformat()} inför förändring.pdf"
    )
    assert snapshot.download_name == expected_name

    page = browser_page
    browser_login(page, archivist)
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Arkiv").click()
    page.wait_for_url("**/arkiv/")
    table = page.get_by_role("table", name="Uttag, nyaste först")
    # The archivist sees the whole organisation until filtering.
    assert table.get_by_role("row").filter(has_text="Hemtjänsten").count() == 1

    filters = page.get_by_role("form", name="Filtrera uttag")
    filters.get_by_label("Kontor").select_option(label="Kultur och fritid")
    filters.get_by_role("button", name="Filtrera").click()
    page.wait_for_url(re.compile(r"/arkiv/\?.*office=\d+"))
    rows = table.get_by_role("row").filter(has_text="Fritidsfabriken")
    assert rows.count() == 1
    assert table.get_by_role("row").filter(has_text="Hemtjänsten").count() == 0
    assert other.sha256 not in page.content()

    rows.get_by_role("link", name="Facebook Fritidsfabriken", exact=True).click()
    page.wait_for_url(f"**{snapshot.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Arkivuttag: Facebook Fritidsfabriken"
    )
    # The checksum is shown, as recorded when the file was stored.
    page.get_by_text(snapshot.sha256, exact=True).wait_for()

    with page.expect_download() as download_info:
        page.get_by_role("link", name=expected_name).click()
    download = download_info.value
    assert download.suggested_filename == expected_name  # åäö intact (RFC 6266 filename*)
    saved = tmp_path / "download.pdf"
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-1.4")
    assert hashlib.sha256(data).hexdigest() == snapshot.sha256
    logout(page)

    # A department manager elsewhere (Vård och omsorg) may not even learn it exists.
    browser_login(page, manager_b)
    response = page.goto(snapshot.get_absolute_url())
    assert response is not None and response.status == 404
    response = page.goto(f"/arkiv/{snapshot.pk}/ladda-ner/")
    assert response is not None and response.status == 404
    # Their own office's snapshot is there for them.
    response = page.goto(other.get_absolute_url())
    assert response is not None and response.status == 200
    page.get_by_text(other.sha256, exact=True).wait_for()

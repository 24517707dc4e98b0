"""Cookie and consent dialogs removed before the screenshot, on pages nobody configured:
the consent managers' own containers (archive/consent_selectors.txt) and fixed overlays
that hold consent wording; the cover says what was removed (issue 10)."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import storages

from archive import capture as capturing
from archive import services
from archive.models import Snapshot
from tests.archive.conftest import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def _pixels(capture, colour) -> int:
    """Count the screenshot's pixels close to `colour` (RGB), over every strip."""
    from PIL import Image

    count = 0
    for strip in capture.images:
        image = Image.open(io.BytesIO(strip)).convert("RGB")
        count += sum(
            1
            for pixel in image.getdata()
            if all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))
        )
    return count


def test_unknown_consent_dialog_is_removed_and_named_on_the_cover(site_account):
    # The platform's own selector (#cookie-banner) does not match anything on this page.
    site_account.url = site_account.url.replace("index.html", "consent-unknown.html")
    site_account.save(update_fields=["url"])
    snapshot = services.request_snapshot(
        account=site_account, context=Snapshot.Context.MANUAL, by=None, queue=False
    )
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()

    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    assert snapshot.validation_passed is True
    with storages["archive"].open(snapshot.file_name, "rb") as handle:
        text = pdf_text(handle.read())
    assert "Vi och våra partner använder kakor" not in text
    assert "Acceptera alla" not in text
    assert "Läsecirkeln träffas på onsdagar." in text
    assert "Borttaget före bilden" in text
    assert "cookie-ruta (div.xq-privacy-layer" in text
    assert "div.xq-veil" in text  # its backdrop went with it


def test_unknown_consent_dialog_is_not_in_the_screenshot_and_scrolling_is_restored(test_site):
    page = capturing.capture_with_browser(f"{test_site}/consent-unknown.html", cookie_selectors=[])

    assert _pixels(page, (255, 0, 255)) == 0  # the dialog
    assert _pixels(page, (0, 255, 0)) == 0  # its full-screen veil
    # body {overflow: hidden} no longer stops the full page: all 1 400+ px are there.
    assert page.page_height > 1400
    assert "Sidans slut: bibliotekets öppettider" in page.text
    assert [r for r in page.removed if "xq-privacy-layer" in r]


def test_a_known_consent_manager_is_removed_by_its_container(test_site):
    page = capturing.capture_with_browser(
        f"{test_site}/consent-cookiebot.html", cookie_selectors=[]
    )

    assert _pixels(page, (255, 0, 255)) == 0
    assert "Denna webbplats använder cookies" not in page.text
    assert page.removed == ["cookie-ruta (#CybotCookiebotDialog)"]
    assert page.page_height > 1600


def test_a_fixed_header_without_consent_wording_stays(test_site):
    page = capturing.capture_with_browser(f"{test_site}/fixed-header.html", cookie_selectors=[])

    assert "Caféet i Nykvarn" in page.text
    assert page.removed == []


def test_a_bad_platform_selector_neither_fails_nor_stops_the_others(test_site):
    page = capturing.capture_with_browser(
        f"{test_site}/consent-cookiebot.html", cookie_selectors=["div[[[", "#nothing-here"]
    )

    assert page.removed == ["cookie-ruta (#CybotCookiebotDialog)"]


def test_the_shipped_list_names_the_common_consent_managers():
    selectors = capturing.consent_selectors()

    for container in (
        "#onetrust-consent-sdk",
        "#CybotCookiebotDialog",
        "#didomi-host",
        "#usercentrics-root",
        "#coiOverlay",
        "#cmpbox",
        "#iubenda-cs-banner",
    ):
        assert container in selectors
    # Comments and blank lines are not selectors.
    assert all(s.strip() == s and s and not s.startswith(("#!", "!", "//")) for s in selectors)
    assert len(selectors) == len(set(selectors))

"""The page image: colour emoji drawn, a long page cut into even A4 strips (never a last
page of a few pixels), a page cut at ARCHIVE_MAX_PAGE_HEIGHT says so on the cover."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import storages

from archive import capture as capturing
from archive import services
from archive.models import Snapshot
from tests.archive.conftest import pdf_text

pytestmark = pytest.mark.django_db


def _image(data: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(data))


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 220, 240)).save(out, format="PNG")
    return out.getvalue()


def test_strips_are_even_and_the_last_is_never_a_sliver():
    strip = int(1280 * capturing.A4_RATIO)  # 1 898 px: one A4 page of a 1 280 px screenshot

    heights = [_image(s).height for s in capturing._layout_strips(_png(1280, 3 * strip + 6))]

    assert sum(heights) == 3 * strip + 6
    assert len(heights) == 4
    assert max(heights) - min(heights) <= 1
    assert max(heights) <= strip


def test_a_page_that_fits_whole_strips_is_not_cut_differently():
    strip = int(1280 * capturing.A4_RATIO)

    heights = [_image(s).height for s in capturing._layout_strips(_png(1280, 2 * strip))]

    assert heights == [strip, strip]


@pytest.mark.browser
def test_a_tall_page_ends_with_a_full_page_not_a_few_pixels(test_site):
    page = capturing.capture_with_browser(f"{test_site}/tall.html", cookie_selectors=[])

    heights = [_image(s).height for s in page.images]
    assert page.page_height == 5700 and page.cut_at is None
    assert sum(heights) == 5700
    assert heights[-1] >= int(1280 * capturing.A4_RATIO) // 2


@pytest.mark.browser
def test_a_page_cut_at_the_height_limit_says_so_on_the_cover(site_account, settings):
    settings.ARCHIVE_MAX_PAGE_HEIGHT = 2500
    site_account.url = site_account.url.replace("index.html", "tall.html")
    site_account.save(update_fields=["url"])
    snapshot = services.request_snapshot(
        account=site_account, context=Snapshot.Context.MANUAL, by=None, queue=False
    )
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()

    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    with storages["archive"].open(snapshot.file_name, "rb") as handle:
        text = " ".join(pdf_text(handle.read()).split())
    assert "Sidan kapades vid 2500 bildpunkter" in text
    assert "hela sidan var 5700 bildpunkter hög" in text


@pytest.mark.browser
def test_a_page_within_the_limit_says_nothing_about_cutting(site_account):
    snapshot = services.request_snapshot(
        account=site_account, context=Snapshot.Context.MANUAL, by=None, queue=False
    )
    services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()

    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    with storages["archive"].open(snapshot.file_name, "rb") as handle:
        assert "kapades" not in pdf_text(handle.read())


@pytest.mark.browser
def test_colour_emoji_are_drawn_in_colour(test_site):
    """😀 is yellow and 🎉 multicoloured in Noto Color Emoji (Debian:
    fonts-noto-color-emoji); without a colour font Chromium draws them black or not at all."""
    page = capturing.capture_with_browser(f"{test_site}/emoji.html", cookie_selectors=[])

    image = _image(page.images[0]).convert("RGB")
    yellow = sum(1 for r, g, b in image.getdata() if r > 200 and g > 150 and b < 90)
    assert yellow > 2000


def test_emoji_in_the_text_stay_black_and_white_glyphs_pdfa_can_embed():
    """With a colour emoji font installed for the browser, Pango would draw 😀 and ❤️ in
    the PDF's text from its bitmaps (Type 3 glyphs with interpolated images, no PDF/A-1);
    pdfa.printable asks for text presentation, so DejaVu Sans draws them."""
    import pikepdf

    from nykvarn_sm.lib import pdfa

    data = pdfa.render_pdfa("<p>Sommarläger 😀 ❤️ ☀️ 🎉</p>", title="Emoji", author="Test")

    with pikepdf.open(io.BytesIO(data)) as pdf:
        fonts = [
            str(font.get("/BaseFont"))
            for page in pdf.pages
            for font in page.Resources.get("/Font", {}).values()
        ]
    assert fonts and not any("Emoji" in name for name in fonts), fonts
    result = pdfa.validate_pdfa(data)
    assert result.passed, result.messages
    assert "Sommarläger 😀 ❤" in pdf_text(data)

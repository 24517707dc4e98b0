"""Capturing the local test site end to end: browser, fallback, upload; naming; PDF/A."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuditEvent
from archive import services
from archive.models import Snapshot
from nykvarn_sm.lib import pdfa
from tests.archive.conftest import pdf_text

pytestmark = pytest.mark.django_db


def _run(account, *, context=Snapshot.Context.MANUAL, uploads=(), by=None):
    snapshot = services.request_snapshot(
        account=account, context=context, by=by, uploads=uploads, queue=False
    )
    outcome = services.process_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot, outcome


def _stored_bytes(snapshot) -> bytes:
    with storages["archive"].open(snapshot.file_name, "rb") as handle:
        return handle.read()


@pytest.mark.browser
def test_browser_capture_is_stored_as_valid_pdfa_with_layout_and_content(site_account, operator):
    snapshot, outcome = _run(site_account, context=Snapshot.Context.BEFORE_CHANGE, by=operator)

    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    assert snapshot.method == Snapshot.Method.BROWSER
    # ARC-2, ARC-3: <office>/<Platform> <Department> <YYYY-MM-DD> <context>.pdf
    today = timezone.localdate().isoformat()
    assert snapshot.file_name == (
        f"Kultur och fritid/Facebook Fritidsfabriken {today} inför förändring.pdf"
    )
    data = _stored_bytes(snapshot)
    assert hashlib.sha256(data).hexdigest() == snapshot.sha256
    assert snapshot.size == len(data)
    assert snapshot.validation_passed is True
    assert "PDFBox Preflight" in snapshot.validator
    assert pdfa.validate_pdfa(data).passed
    assert snapshot.http_status == 200
    assert snapshot.page_title == "Fritidsfabriken – Nykvarns kommun"
    assert len(snapshot.raw_sha256) == 64
    # Layout: a long page fills several A4 pages of screenshot after the cover.
    assert snapshot.page_count >= 3
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        images = [
            name for page in pdf.pages for name, x in page.get_images().items() if x.Width >= 1000
        ]
        assert images, "the screenshot of the page is in the PDF"
        assert pdf.docinfo["/Title"] == (f"Facebook Fritidsfabriken {today} inför förändring")
    text = pdf_text(data)
    # Content: Swedish letters intact, the post a script added after a delay, the whole
    # long page, emoji written as their names.
    assert "Välkommen till Fritidsfabrikens sida – åäö ÅÄÖ" in text
    assert "Nytt inlägg från skriptet" in text
    assert "Sidans slut: kontakta oss" in text
    # Emoji: drawn in black and white from DejaVu Sans / Noto Sans Symbols when they have
    # the glyph, otherwise written as their Unicode name (pdfa.printable).
    assert "😀" in text
    assert "[emoji: PARTY POPPER]" in text or "🎉" in text
    assert "https://www.nykvarn.se/fritid" in text
    # The cookie banner is hidden from the layout, so its text is not in the page's text.
    assert "Vi använder kakor" not in text
    assert "Rasmus Redaktör" in text  # who asked, on the cover
    assert AuditEvent.objects.filter(action="archive.snapshot_stored").count() == 1


def test_fallback_renders_html_without_scripts(site_account, settings):
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent/chromium"
    snapshot, _ = _run(site_account)

    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    assert snapshot.method == Snapshot.Method.FALLBACK
    data = _stored_bytes(snapshot)
    assert snapshot.validation_passed is True
    text = pdf_text(data)
    assert "HTML utan skript" in text
    assert "Sommarlovsaktiviteter" in text
    assert "Häng med på sommarläger på Högsjön!" in text
    assert "Nytt inlägg från skriptet" not in text  # no script ran


def test_upload_of_screenshots_and_pdf(account_b, tmp_path):
    from PIL import Image

    image = Image.new("RGBA", (800, 2400), (255, 255, 255, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    print_pdf = pdfa.render_pdfa(
        "<p>Utskrift av Instagram-sidan, Hemtjänsten Nykvarn</p>", title="t", author="a"
    )
    uploads = [
        SimpleUploadedFile("skärmbild.png", buffer.getvalue(), "image/png"),
        SimpleUploadedFile("utskrift.pdf", print_pdf, "application/pdf"),
    ]
    snapshot, _ = _run(account_b, uploads=uploads)

    assert snapshot.status == Snapshot.Status.STORED, snapshot.last_error
    assert snapshot.method == Snapshot.Method.UPLOAD
    assert snapshot.file_name.startswith("Vård och omsorg/Instagram Hemtjänsten ")
    text = pdf_text(_stored_bytes(snapshot))
    assert "uppladdade skärmbilder" in text
    assert "Utskrift av Instagram-sidan, Hemtjänsten Nykvarn" in text


def test_login_wall_without_upload_fails_visibly_without_retrying(account_b):
    snapshot, outcome = _run(account_b)

    assert snapshot.status == Snapshot.Status.FAILED
    assert "ladda upp" in snapshot.last_error
    assert outcome.retry_in is None
    assert snapshot.attempts == 1


def test_name_taken_gets_a_suffix_and_nothing_is_overwritten(site_account, settings):
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent/chromium"
    first, _ = _run(site_account)
    second, _ = _run(site_account)

    assert first.file_name != second.file_name
    assert second.file_name.endswith("manuellt (2).pdf")
    assert hashlib.sha256(_stored_bytes(first)).hexdigest() == first.sha256


def test_closing_snapshot_is_what_registry_asks_for(site_account, settings):
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent/chromium"
    assert services.has_stored_closing_snapshot(site_account) is False
    _run(site_account, context=Snapshot.Context.PERIODIC)
    assert services.has_stored_closing_snapshot(site_account) is False
    snapshot, _ = _run(site_account, context=Snapshot.Context.BEFORE_CLOSING)
    assert snapshot.status == Snapshot.Status.STORED
    assert services.has_stored_closing_snapshot(site_account) is True


@pytest.mark.browser
def test_browser_waits_for_what_a_script_fetches_during_the_settle_delay(test_site):
    """Network quiet is checked again after the settle delay: a feed that asks for more
    posts meanwhile is captured with them (late.html asks 650 ms after load, the answer
    takes 1.2 s; the settle delay here is 0.6 s)."""
    from archive import capture as capturing

    page = capturing.capture_with_browser(f"{test_site}/late.html", cookie_selectors=[])

    assert "Sent inlägg från flödet" in page.text


@pytest.mark.browser
def test_browser_requests_through_redirects_and_direct_to_refused_hosts_never_arrive(
    test_site, refused_server
):
    """Issue 5 "Fetching is safe": an allowed page whose iframe and image redirect to a
    refused address (127.0.0.2 is loopback and not listed in CAPTURE_ALLOWED_PRIVATE_HOSTS),
    and an image straight at it. Chromium goes through the guard proxy, which checks every
    hop, so the server there is never reached; the capture still succeeds without it."""
    from urllib.parse import quote

    from archive import capture as capturing

    target, hits = refused_server
    page = capturing.capture_with_browser(
        f"{test_site}/ssrf.html?target={quote(target, safe='')}", cookie_selectors=[]
    )

    assert hits == []
    assert "Sidan med inbäddningar" in page.text and "Slut på sidan" in page.text
    assert "INTERNT HEMLIGT" not in page.text
    assert page.http_status == 200


@pytest.mark.browser
def test_guard_proxy_refuses_refused_hosts_and_pins_the_checked_address(test_site, refused_server):
    """The proxy itself: plain HTTP and CONNECT to a refused host get 403 and never
    connect; an allowed host is forwarded."""
    import http.client

    from nykvarn_sm.lib.capture_proxy import GuardProxy

    target, hits = refused_server
    refused_host = target.removeprefix("http://")
    with GuardProxy() as proxy:
        port = int(proxy.url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", f"{target}/x")
        assert conn.getresponse().status == 403
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("CONNECT", refused_host)
        assert conn.getresponse().status == 403
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "http://169.254.169.254/latest/meta-data/")
        assert conn.getresponse().status == 403
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", f"{test_site}/index.html")
        response = conn.getresponse()
        assert response.status == 200
        assert "Fritidsfabriken" in response.read().decode()
        conn.close()
    assert hits == []
    assert len(proxy.refused) == 3


def test_uploaded_files_are_written_before_the_transaction(account_b, operator, monkeypatch):
    """No slow I/O inside a transaction: the files are on disk before the rows' transaction
    opens (request_snapshot and add_uploads), and the behaviour stays the same."""
    from django.db import connection

    from archive.models import SnapshotSource

    storage = SnapshotSource._meta.get_field("file").storage
    baseline = len(connection.atomic_blocks)  # the test's own transaction
    depths: list[int] = []
    from django.core.files.storage import FileSystemStorage

    original = FileSystemStorage._save

    def recording_save(self, name, content):
        depths.append(len(connection.atomic_blocks) - baseline)
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", recording_save)
    image = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (40, 30), "white").save(image, "PNG")
    snapshot = services.request_snapshot(
        account=account_b,
        context=Snapshot.Context.BEFORE_CHANGE,
        by=operator,
        uploads=[SimpleUploadedFile("ett.png", image.getvalue(), "image/png")],
        queue=False,
    )
    services.add_uploads(
        snapshot=snapshot,
        uploads=[SimpleUploadedFile("två.png", image.getvalue(), "image/png")],
        by=operator,
    )
    assert depths == [0, 0]
    sources = list(snapshot.sources.all())
    assert [s.original_name for s in sources] == ["ett.png", "två.png"]
    assert [s.position for s in sources] == [0, 1]
    assert all(storage.exists(s.file.name) for s in sources)
    assert sources[0].file.name.startswith("arkiv-underlag/")
    snapshot.refresh_from_db()
    assert snapshot.method == Snapshot.Method.UPLOAD and snapshot.status == Snapshot.Status.QUEUED

"""A local test site on 127.0.0.1 for the archive's captures (no network needed)."""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import threading
import time
from pathlib import Path

import pytest

# The local RFC 3161 time-stamping authority (tests/tsa.py) for the archive's timestamps.
from tests.lib.conftest import tsa, tsa_server  # noqa: F401

SITE = Path(__file__).parent / "site"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/redirect-to-metadata"):
            # A redirect into the cloud metadata address: must be refused on the next hop.
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        if self.path.startswith("/hop?to="):
            # An allowed address that redirects wherever it is told (Playwright's route
            # handler never saw such hops; the guard proxy does).
            from urllib.parse import unquote

            self.send_response(302)
            self.send_header("Location", unquote(self.path.partition("to=")[2]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/ssrf.html?target="):
            # A page on the allowed host whose frame and image go through /hop to `target`,
            # and one image straight at it.
            from urllib.parse import quote, unquote

            target = unquote(self.path.partition("target=")[2])
            body = (
                "<!doctype html><html lang=sv><head><meta charset=utf-8><title>SSRF</title>"
                "</head><body><h1>Sidan med inbäddningar</h1>"
                f'<iframe src="/hop?to={quote(target + "/frame", safe="")}"></iframe>'
                f'<img src="/hop?to={quote(target + "/image.png", safe="")}" alt="">'
                f'<img src="{target}/direct.png" alt="">'
                "<p>Slut på sidan</p></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/redirect-home"):
            self.send_response(302)
            self.send_header("Location", "/index.html")
            self.end_headers()
            return
        if self.path.startswith("/slow-post"):
            # A feed's next posts, answered slowly (late.html asks during the settle delay).
            time.sleep(int(self.path.partition("ms=")[2] or 1000) / 1000)
            body = "Sent inlägg från flödet".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/huge"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"x" * 300_000)
            return
        super().do_GET()


@pytest.fixture(autouse=True)
def _quiet_heartbeat(settings):
    """No heartbeat thread writes during a test's own transaction (it would wait for the
    test's row locks); tests of the heartbeat and the worker processes set their own."""
    settings.ARCHIVE_HEARTBEAT_INTERVAL = 3600


@pytest.fixture(scope="session")
def test_site_root(tmp_path_factory) -> Path:
    """The site's files, with a transparent PNG made here."""
    from PIL import Image, ImageDraw

    root = tmp_path_factory.mktemp("site")
    shutil.copytree(SITE, root, dirs_exist_ok=True)
    image = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 110, 110), fill=(11, 79, 108, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    (root / "transparent.png").write_bytes(buffer.getvalue())
    return root


@pytest.fixture(scope="session")
def test_site_server(test_site_root):
    handler = functools.partial(_QuietHandler, directory=str(test_site_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    """A server that must never be reached: it records every request it gets."""

    hits: list[str] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        body = b"INTERNT HEMLIGT"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def refused_server():
    """A server on 127.0.0.2 (loopback, not in CAPTURE_ALLOWED_PRIVATE_HOSTS); yields its
    address and the list of requests it received."""
    _RecordingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}", _RecordingHandler.hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def test_site(test_site_server, settings) -> str:
    """The test site's address, with 127.0.0.1 allowed for this test only, and nothing
    but the test site reachable for a capture."""
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.CAPTURE_ALLOWED_HOSTS = [test_site_server.removeprefix("http://")]
    settings.ARCHIVE_SETTLE_SECONDS = 0.6
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return test_site_server


@pytest.fixture
def site_account(account_a, test_site):
    """account_a, pointing at the test site; its platform reachable without login here."""
    account_a.url = f"{test_site}/index.html"
    account_a.save(update_fields=["url"])
    account_a.platform.login_wall = False
    account_a.platform.cookie_banner_selectors = "#cookie-banner"
    account_a.platform.save()
    return account_a


def pdf_text(data: bytes) -> str:
    """Return the text of a PDF, as a reader's search would find it."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)

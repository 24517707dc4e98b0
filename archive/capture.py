"""Capturing an account's page (layout and content) and making its PDF/A (ARC-1).

Three ways in, one way out:
- a real browser: Playwright driving Debian's Chromium (settings.ARCHIVE_CHROMIUM_PATH;
  never a downloaded browser; colour emoji from Debian's fonts-noto-color-emoji): wait
  for load, network quiet and a settle delay so that content added by scripts is there,
  remove cookie and consent dialogs, take a full-page screenshot (the layout) and the
  visible text with its links (the content);
- the fallback when no browser is installed: fetch the HTML through safe_fetch and render
  it with WeasyPrint, scripts removed;
- uploads, for pages behind a login wall: screenshots (PNG, JPEG) or a PDF print, given
  a text layer by OCR so that their words can be found.
Each becomes the same PDF/A: a cover page, the layout across as many A4 pages as it
needs, then the text. The cover says what was removed before the screenshot, where a
long page was cut, and whether an upload got its text layer. Nothing here runs inside a
database transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from nykvarn_sm.lib import pdfa, safe_fetch
from nykvarn_sm.lib.capture_proxy import GuardProxy

log = logging.getLogger(__name__)

# Chromium's own requests (updates, sync, metrics, crash reports, hints, translation, cast
# discovery, autofill, network time) are switched off as far as flags go
# (--disable-client-side-phishing-detection is gone from current Chromium). Debian's build
# still asks for update.googleapis.com and accounts.google.com: only the guard proxy's check
# (CAPTURE_ALLOWED_HOSTS, then safe_fetch) stops those, before they are even resolved.
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-pings",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,"
    "NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater,"
    "PrivacySandboxAttestationsComponent",
]
# The consent managers' containers, removed on every page; platforms add their own.
CONSENT_SELECTORS_FILE = Path(__file__).with_name("consent_selectors.txt")
# Removes, before the screenshot, what the selectors match and, on pages no selector
# knows, fixed or sticky boxes that hold consent wording (a topic word and an answer
# word, Swedish or English) and cover a large part of the viewport (a tenth of it, or
# its whole width: a bar across the foot of the page); once a dialog has gone, a fixed
# box without text over most of the viewport (its dimmed backdrop) goes too. Scrolling
# that the dialog locked (overflow hidden, a fixed body) is restored, so that the
# full-page screenshot has the whole page. Returns [kind, label] for what was visible.
REMOVE_CONSENT_JS = r"""
(selectors) => {
  const removed = [];
  const vw = window.innerWidth, vh = window.innerHeight;
  const topic = /cookie|kakor|samtycke|consent/i;
  const answer = /godkänn|acceptera|accept|tillåt|allow|neka|avböj|reject|decline|ok/i;
  const label = (el) => {
    if (el.id) return "#" + el.id;
    const classes = Array.from(el.classList).slice(0, 2).map((c) => "." + c).join("");
    return el.tagName.toLowerCase() + classes;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    return el.getClientRects().length > 0 && style.visibility !== "hidden"
      && style.display !== "none";
  };
  const share = (el) => {
    const r = el.getBoundingClientRect();
    const w = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0));
    const h = Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0));
    return {area: (w * h) / (vw * vh), width: w / vw};
  };
  const fixed = (el) => ["fixed", "sticky"].includes(getComputedStyle(el).position);
  const take = (el, kind) => {
    if (visible(el)) removed.push([kind, label(el)]);
    el.remove();
  };
  for (const selector of selectors) {
    let found = [];
    try { found = document.querySelectorAll(selector); } catch (e) { continue; }
    for (const el of found) if (el.isConnected) take(el, "selector");
  }
  for (const el of document.body ? document.body.querySelectorAll("*") : []) {
    if (!el.isConnected || !fixed(el) || !visible(el)) continue;
    const text = el.innerText || "";
    const s = share(el);
    if (topic.test(text) && answer.test(text) && (s.area >= 0.1 || s.width >= 0.9)) {
      take(el, "overlay");
    }
  }
  if (removed.length) {
    for (const el of document.body.querySelectorAll("*")) {
      if (el.isConnected && fixed(el) && visible(el) && !(el.innerText || "").trim()
          && !el.querySelector("img, video, canvas, svg, iframe") && share(el).area >= 0.5) {
        take(el, "backdrop");
      }
    }
  }
  for (const el of [document.documentElement, document.body]) {
    if (!el) continue;
    el.style.setProperty("overflow", "visible", "important");
    if (getComputedStyle(el).position === "fixed") {
      el.style.setProperty("position", "static", "important");
    }
  }
  return removed;
}
"""
REMOVED_LABELS = {
    "selector": "cookie-ruta ({})",
    "overlay": "cookie-ruta ({}, fast ruta med samtyckestext)",
    "backdrop": "bakgrund bakom cookie-rutan ({})",
}
# Pixels of screenshot per A4 page: 180 mm wide content, 267 mm high.
A4_RATIO = 267 / 180


class CaptureError(Exception):
    """The page could not be captured; worth trying again later."""


class PermanentCaptureError(CaptureError):
    """Trying again will not help (a refused address, no upload for a login wall)."""


@dataclass
class Capture:
    method: str
    captured_at: dt.datetime
    final_url: str = ""
    http_status: int | None = None
    title: str = ""
    images: list[bytes] = field(default_factory=list)  # layout, as JPEG/PNG
    text: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    html: str = ""  # fallback: the page itself, scripts removed
    pdfs: list[bytes] = field(default_factory=list)  # uploaded prints
    raw_sha256: str = ""
    removed: list[str] = field(default_factory=list)  # what went before the screenshot
    page_height: int = 0  # the page's full height in pixels (browser)
    cut_at: int | None = None  # where the screenshot stopped (ARCHIVE_MAX_PAGE_HEIGHT)


@functools.lru_cache(maxsize=1)
def consent_selectors() -> list[str]:
    """Return the consent managers' container selectors (archive/consent_selectors.txt)."""
    lines = CONSENT_SELECTORS_FILE.read_text("utf-8").splitlines()
    selectors = [line.strip() for line in lines]
    return list(dict.fromkeys(s for s in selectors if s and not s.startswith("!")))


# --- the browser -----------------------------------------------------------------------------


def browser_available() -> bool:
    if not Path(settings.ARCHIVE_CHROMIUM_PATH).exists():
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def capture_with_browser(url: str, *, cookie_selectors: list[str]) -> Capture:
    """Capture `url` in Chromium; every request the page makes is checked by safe_fetch
    in the guard proxy (nykvarn_sm.lib.capture_proxy)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    try:
        safe_fetch.check_url(url)
    except safe_fetch.UnsafeURLError as exc:
        raise PermanentCaptureError(str(exc)) from exc
    except safe_fetch.FetchError as exc:
        raise CaptureError(str(exc)) from exc

    timeout_ms = settings.ARCHIVE_NAVIGATION_TIMEOUT * 1000
    width = settings.ARCHIVE_VIEWPORT_WIDTH
    # Every request Chromium makes, each redirect hop included, goes through the guard
    # proxy, which checks it with safe_fetch and connects to the address it checked (issue
    # 5 "Fetching is safe"; Playwright's route handler misses redirect hops, issue 2617).
    # "<-loopback>": not even loopback bypasses the proxy.
    proxy = GuardProxy(lifetime=settings.ARCHIVE_NAVIGATION_TIMEOUT + 30)
    try:
        with proxy, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=settings.ARCHIVE_CHROMIUM_PATH,
                args=BROWSER_ARGS,
                proxy={"server": proxy.url, "bypass": "<-loopback>"},
            )
            try:
                context = browser.new_context(
                    viewport={"width": width, "height": 900},
                    locale="sv-SE",
                    timezone_id=settings.TIME_ZONE,
                    service_workers="block",
                    accept_downloads=False,
                    user_agent=None,
                )
                page = context.new_page()
                page.set_default_timeout(timeout_ms)
                network = _NetworkWatch(page)
                response = page.goto(url, wait_until="load", timeout=timeout_ms)
                # Network quiet: Playwright's "networkidle" is 500 ms without a request.
                # Pages that poll forever never go quiet: the settle delay still applies.
                quiet = True
                try:
                    page.wait_for_load_state("networkidle", timeout=min(timeout_ms, 10_000))
                except PlaywrightTimeout:
                    quiet = False
                page.wait_for_timeout(settings.ARCHIVE_SETTLE_SECONDS * 1000)
                if quiet:
                    # Scripts that fetched more during the settle delay (a feed loading
                    # its next posts) get the network quiet again before the screenshot.
                    network.wait_quiet(page, cap_seconds=min(timeout_ms / 1000, 10.0))
                selectors = list(dict.fromkeys([*consent_selectors(), *cookie_selectors]))
                removed = page.evaluate(REMOVE_CONSENT_JS, selectors)
                # A dialog added again by a script after the removal stays hidden. One
                # rule per selector: one invalid selector would void a whole list.
                page.add_style_tag(
                    content="".join(f"{s}{{display:none !important}}" for s in selectors)
                )
                height = int(
                    page.evaluate(
                        "Math.max(document.body ? document.body.scrollHeight : 0,"
                        " document.documentElement.scrollHeight)"
                    )
                )
                clip_height = max(1, min(height, settings.ARCHIVE_MAX_PAGE_HEIGHT))
                screenshot = page.screenshot(
                    full_page=True,
                    type="png",
                    animations="disabled",
                    clip={"x": 0, "y": 0, "width": width, "height": clip_height},
                )
                text = page.evaluate("document.body ? document.body.innerText : ''")
                links = page.evaluate(
                    "Array.from(document.querySelectorAll('a[href]')).map("
                    "a => [(a.innerText || a.title || '').trim(), a.href])"
                )
                title = page.title()
                final_url = page.url
                status = response.status if response is not None else None
            finally:
                browser.close()
    except PlaywrightTimeout as exc:
        raise CaptureError(f"Sidan laddades inte inom tidsgränsen: {exc}") from exc
    except PlaywrightError as exc:
        raise CaptureError(f"Webbläsaren kunde inte hämta sidan: {exc}") from exc
    if final_url != url:
        try:
            safe_fetch.check_url(final_url)
        except (safe_fetch.UnsafeURLError, safe_fetch.FetchError) as exc:
            raise PermanentCaptureError(f"Sidan ledde vidare till {final_url}: {exc}") from exc
    if proxy.refused:
        log.info("Refused %d requests while capturing %s", len(proxy.refused), url)
    return Capture(
        method="browser",
        captured_at=timezone.now(),
        final_url=final_url,
        http_status=status,
        title=title[:500],
        images=_layout_strips(screenshot),
        text=text,
        links=[(t[:200], h) for t, h in links if h.startswith(("http://", "https://"))][:500],
        raw_sha256=hashlib.sha256(screenshot).hexdigest(),
        removed=list(
            dict.fromkeys(REMOVED_LABELS[kind].format(name[:120]) for kind, name in removed)
        )[:20],
        page_height=height,
        cut_at=clip_height if clip_height < height else None,
    )


class _NetworkWatch:
    """Count the page's requests in flight, to tell whether it is quiet again."""

    QUIET_SECONDS = 0.5  # as Playwright's "networkidle"

    def __init__(self, page: Any) -> None:
        self.in_flight = 0
        self.last_activity = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, _request: Any) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def _ended(self, _request: Any) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_activity = time.monotonic()

    def wait_quiet(self, page: Any, *, cap_seconds: float) -> None:
        """Wait until no request has been in flight for QUIET_SECONDS (at most the cap).

        Returns at once when the page stayed quiet through the settle delay.
        """
        deadline = time.monotonic() + cap_seconds
        while time.monotonic() < deadline and (
            self.in_flight or time.monotonic() - self.last_activity < self.QUIET_SECONDS
        ):
            page.wait_for_timeout(100)


def _layout_strips(image_bytes: bytes) -> list[bytes]:
    """Cut a full-page screenshot into A4-high strips, flattened, as JPEG (no alpha).

    The strips are of even height (at most one A4 page each), so that a long page never
    ends with a page holding a few pixels of it.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(image_bytes))
    image.load()
    if image.mode != "RGB":
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat  # type: ignore[assignment]  # an opaque copy replaces the opened file
    count = max(1, math.ceil(image.height / int(image.width * A4_RATIO)))
    strips = []
    for n in range(count):
        box = (0, image.height * n // count, image.width, image.height * (n + 1) // count)
        out = io.BytesIO()
        image.crop(box).save(out, format="JPEG", quality=90, subsampling=0)
        strips.append(out.getvalue())
    return strips


# --- the fallback ------------------------------------------------------------------------------

_SCRIPTS = re.compile(
    r"<(script|iframe|object|embed|template)\b.*?</\1\s*>|<(script|iframe|embed|object)\b[^>]*/?>",
    re.S | re.I,
)
_EVENT_ATTRS = re.compile(r"\son[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_META_REFRESH = re.compile(r"<meta[^>]+http-equiv\s*=\s*[\"']?refresh[^>]*>", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")


def strip_scripts(html: str) -> str:
    """Remove scripts, frames, plug-ins, event handlers and refreshes from a page."""
    html = _SCRIPTS.sub("", html)
    html = _EVENT_ATTRS.sub("", html)
    html = _META_REFRESH.sub("", html)
    return re.sub(r"</?noscript[^>]*>", "", html, flags=re.I)


def capture_with_fallback(url: str) -> Capture:
    """Fetch the page's HTML (no scripts run) for WeasyPrint to render."""
    try:
        result = safe_fetch.fetch(url)
    except safe_fetch.UnsafeURLError as exc:
        raise PermanentCaptureError(str(exc)) from exc
    except safe_fetch.FetchError as exc:
        raise CaptureError(str(exc)) from exc
    html = strip_scripts(result.text())
    title_match = _TITLE.search(html)
    title = _TAGS.sub("", title_match.group(1)).strip() if title_match else ""
    return Capture(
        method="fallback",
        captured_at=timezone.now(),
        final_url=result.url,
        http_status=result.status,
        title=title[:500],
        html=html,
        raw_sha256=hashlib.sha256(result.body).hexdigest(),
    )


# --- uploads -----------------------------------------------------------------------------------


def capture_from_files(files: list[tuple[str, bytes]]) -> Capture:
    """Make a capture of uploaded screenshots (PNG, JPEG) and PDF prints, in order."""
    from PIL import Image, UnidentifiedImageError

    if not files:
        raise PermanentCaptureError(
            "Sidan kräver inloggning: ladda upp skärmbilder eller en PDF-utskrift."
        )
    digest = hashlib.sha256()
    images: list[bytes] = []
    pdfs: list[bytes] = []
    for name, data in files:
        digest.update(hashlib.sha256(data).digest())
        if data[:5] == b"%PDF-":
            pdfs.append(data)
            continue
        try:
            Image.open(io.BytesIO(data)).verify()
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise PermanentCaptureError(f"{name} är varken PNG, JPEG eller PDF.") from exc
        images.extend(_layout_strips(data))
    return Capture(
        method="upload",
        captured_at=timezone.now(),
        images=images,
        pdfs=pdfs,
        raw_sha256=digest.hexdigest(),
    )


# --- the PDF/A ---------------------------------------------------------------------------------


def capture_snapshot_page(snapshot: Any) -> Capture:
    """Capture the snapshot's page by the method its account needs."""
    sources = list(snapshot.sources.all())
    if sources or snapshot.method == "upload" or snapshot.account.platform.login_wall:
        files = []
        for source in sources:
            with source.file.open("rb") as handle:
                files.append((source.original_name, handle.read()))
        return capture_from_files(files)
    if browser_available():
        selectors = [
            s.strip()
            for s in snapshot.account.platform.cookie_banner_selectors.splitlines()
            if s.strip()
        ]
        return capture_with_browser(snapshot.source_url, cookie_selectors=selectors)
    return capture_with_fallback(snapshot.source_url)


def document_title(snapshot: Any, capture: Capture) -> str:
    """Return the file's name without ".pdf": the XMP title (ARC-3)."""
    from archive.storage import convention_name

    account = snapshot.account
    return convention_name(
        platform=account.platform.name,
        department=account.department.name,
        day=timezone.localtime(capture.captured_at).date(),
        context=snapshot.context_label,
    ).removesuffix(".pdf")


def build_pdf(snapshot: Any, capture: Capture) -> bytes:
    """Render the cover page, the layout and the text as one PDF/A.

    Uploads get a text layer by OCR, so that the words of a login-walled page can be
    found; when OCR is not installed or fails, the file is made without one and its
    cover says so.
    """
    if capture.method != "upload":
        return _assemble(snapshot, capture, text_layer="", ocr=False)
    reason = pdfa.ocr_unavailable_reason()
    if reason:
        return _assemble(
            snapshot, capture, text_layer=f"Inget textlager gjordes: {reason}.", ocr=False
        )
    made = (
        f"Sökbart textlager gjort med OCR ({pdfa.ocr_version()}, Tesseract, språk "
        f"{pdfa.OCR_LANGUAGES}); texten är maskinläst och kan innehålla fel."
    )
    try:
        return _assemble(snapshot, capture, text_layer=made, ocr=True)
    except pdfa.OCRError as exc:
        log.warning("No text layer for snapshot %s: %s", snapshot.pk, exc)
        return _assemble(snapshot, capture, text_layer=f"Inget textlager gjordes: {exc}", ocr=False)


def _assemble(snapshot: Any, capture: Capture, *, text_layer: str, ocr: bool) -> bytes:
    import base64

    account = snapshot.account
    title = document_title(snapshot, capture)
    method_label = {
        "browser": "webbläsare (Chromium via Playwright)",
        "fallback": "HTML utan skript, återgiven med WeasyPrint (ingen webbläsare installerad)",
        "upload": "uppladdade skärmbilder/PDF-utskrift (sidan kräver inloggning)",
    }[capture.method]
    requested_by = (
        f"{snapshot.requested_by} ({snapshot.requested_by.email})"
        if snapshot.requested_by
        else snapshot.requested_via or "systemet"
    )
    with translation.override("sv"):
        cover = render_to_string(
            "archive/pdf/snapshot.html",
            {
                "title": title,
                "organisation": settings.ORGANISATION_NAME,
                "account": account,
                "office": account.department.office,
                "snapshot": snapshot,
                "capture": capture,
                "captured_local": timezone.localtime(capture.captured_at),
                "captured_utc": capture.captured_at.astimezone(dt.UTC),
                "method_label": method_label,
                "requested_by": requested_by,
                "software": pdfa.software_version(),
                "variant": pdfa.variant().upper(),
                "text_layer": text_layer,
                "images": [
                    "data:image/jpeg;base64," + base64.b64encode(i).decode("ascii")
                    for i in capture.images
                ],
            },
        )
    parts: list[tuple[str, str | None]] = [(cover, None)]
    if capture.html:
        parts.append((capture.html, capture.final_url or snapshot.source_url))
    author = f"{settings.ORGANISATION_NAME}, {account.department.name}"
    return pdfa.render_pdfa_parts(
        parts,
        title=title,
        author=author,
        subject=f"{account.platform.name} {account.name} {account.url}",
        append_pdfs=capture.pdfs,
        ocr=ocr,
    )

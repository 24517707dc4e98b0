"""The one PDF/A writer and validator, shared by the archive and moderation's export.

ARC-1 ("Arkivering": the pages are kept as PDF/A). The default variant is PDF/A-1b, the
part Riksarkivet's RA-FS 2009:2 names; settings.ARCHIVE_PDFA_VARIANT = "2b" gives PDF/A-2b.

What PDF/A asks of the writer, and where it is done here:
- all fonts embedded: WeasyPrint embeds (subsets of) every font it uses. Characters that
  no font installed for the archive covers (most emoji: colour emoji fonts are bitmap or
  SVG fonts that PDF/A cannot embed cleanly) are written as their Unicode name in
  brackets, e.g. "[emoji: GRINNING FACE]", so that the text stays searchable and no
  glyph is missing (`printable`);
- no transparency: images with an alpha channel are flattened onto white by the URL
  fetcher (`flatten_image`), and a user style sheet turns off opacity, shadows and
  filters;
- images not interpolated: `image-rendering: crisp-edges`;
- XMP metadata with title, creator (organisation and department), dates and the PDF/A
  identification, written as XML elements: Apache PDFBox Preflight 2.0.27 does not read
  `pdfaid:part` written as attributes, which is how WeasyPrint writes it; the document
  information dictionary is made to agree with it, as PDF/A-1 requires.

`validate_pdfa` checks the structure with pikepdf always, and runs Apache PDFBox
Preflight (Debian: libpdfbox2-java) when Java and its jars are present.

Pages that are only pictures (uploaded screenshots) can be given an invisible text layer
by OCR (`add_text_layer`: Debian's ocrmypdf with Tesseract's Swedish data) before the
PDF/A step, so that their words can be found and the file is still finished here.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import logging
import os
import re
import shutil
import signal
import subprocess  # noqa: S404 - runs fixed command lines (java, ocrmypdf), never a shell
import tempfile
import unicodedata
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

log = logging.getLogger(__name__)

VARIANTS = {"1b": ("pdf/a-1b", 1, "B"), "2b": ("pdf/a-2b", 2, "B")}

# Fonts that embed cleanly (TrueType outlines, free licences): Debian's fonts-dejavu-core
# and fonts-noto-core. The first is the archive's own text font.
FONT_FILES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMath-Regular.ttf",
]
FONT_STACK = '"DejaVu Sans", "Noto Sans", "Noto Sans Symbols", "Noto Sans Symbols 2", sans-serif'

# Applied after the document's own styles: the rules PDF/A-1 cannot do without.
ARCHIVE_CSS = f"""
* {{ opacity: 1 !important; box-shadow: none !important; text-shadow: none !important;
     filter: none !important; }}
img, svg, canvas {{ image-rendering: crisp-edges; }}
body {{ font-family: {FONT_STACK}; }}
"""

PREFLIGHT_CLASS = "org.apache.pdfbox.preflight.Validator_A1b"
# One short-lived JVM per file: most of its time is start-up, not validation. The client
# compiler only (C2 never pays off in a run this short), the serial collector (no GC
# threads to start) and the JDK's class-data sharing archive roughly halve it (about
# 1.1 s -> 0.55 s for a snapshot here). None of them changes what Preflight checks.
PREFLIGHT_JVM_FLAGS = [
    "-Xmx512m",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xshare:auto",
    "-XX:-UsePerfData",
]
PREFLIGHT_JARS = [
    "preflight.jar",
    "pdfbox2.jar",
    "fontbox2.jar",
    "xmpbox.jar",
    "commons-logging.jar",
    "javax.activation.jar",
    "jaxb-api.jar",
]


def _setting(name: str, default: Any) -> Any:
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # Django not configured (a plain script)
        return default


def variant() -> str:
    """Return the configured variant, "1b" or "2b"."""
    value = str(_setting("ARCHIVE_PDFA_VARIANT", "1b")).lower().replace("pdf/a-", "")
    if value not in VARIANTS:
        raise ValueError(f"ARCHIVE_PDFA_VARIANT must be one of {sorted(VARIANTS)}, not {value!r}")
    return value


# --- fonts and text ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """Return the characters the archive's fonts can draw."""
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for path in FONT_FILES:
        if Path(path).exists():
            with TTFont(path, lazy=True) as font:
                points.update(font.getBestCmap() or {})
    return frozenset(points)


def _describe(char: str) -> str:
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    if unicodedata.category(char) == "So" or ord(char) >= 0x1F000:
        return f"[emoji: {name}]"
    return f"[{name}]"


def printable(text: str) -> str:
    """Return `text` with characters no archive font covers replaced by their names.

    Emoji sequences lose their joiners and variation selectors (invisible anyway) and
    each emoji becomes e.g. "[emoji: RED HEART]": readable and searchable in the PDF/A.

    A symbol an archive font draws is asked for in text presentation (U+FE0E): Pango
    otherwise prefers a colour emoji font for it (fonts-noto-color-emoji, installed for
    the capture browser), and its bitmap glyphs are no PDF/A-1 font.
    """
    covered = covered_codepoints()
    if not covered:
        return text
    out: list[str] = []
    for char in text:
        point = ord(char)
        if char in "\ufe0e\ufe0f":
            continue  # the presentation is chosen here
        if point in covered or char in "\n\r\t " or unicodedata.category(char) in ("Cc",):
            out.append(char)
            if point >= 0x2000 and unicodedata.category(char) == "So":
                out.append("\ufe0e")
        elif char == "\u200d" or 0x1F3FB <= point <= 0x1F3FF:
            continue  # joiners, variation selectors, skin tones: part of the emoji before
        elif unicodedata.category(char) in ("Mn", "Me", "Cf", "Zs", "Zl", "Zp"):
            out.append(char if unicodedata.category(char).startswith("Z") else "")
        else:
            out.append(_describe(char))
    return "".join(out)


_TAG_OR_TEXT = re.compile(
    r"(<!--.*?-->|<script\b.*?</script\s*>|<style\b.*?</style\s*>|<[^>]*>)", re.S | re.I
)


def printable_html(html: str) -> str:
    """Apply `printable` to the text between tags, leaving markup, styles and scripts."""
    parts = _TAG_OR_TEXT.split(html)
    return "".join(p if i % 2 else printable(p) for i, p in enumerate(parts))


# --- images --------------------------------------------------------------------------------


def flatten_image(data: bytes) -> tuple[bytes, str] | None:
    """Return (PNG or JPEG bytes, mime type) with any transparency flattened onto white.

    None when `data` is not an image Pillow can read, or has no transparency (use as is).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha and image.mode in ("RGB", "L") and image.format in ("PNG", "JPEG"):
        return None  # opaque already: no need to decode it here (the layout's strips)
    try:
        image.load()
    except (OSError, ValueError):
        return None
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    background.save(out, format="PNG", optimize=False)
    return out.getvalue(), "image/png"


def make_url_fetcher() -> Any:
    """Return a WeasyPrint URL fetcher that fetches only what safe_fetch allows.

    data: URLs are decoded here; http(s) goes through safe_fetch (every redirect checked);
    file:// and every other scheme are refused. Images are flattened (no alpha).
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from nykvarn_sm.lib import safe_fetch

    class SafeURLFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                header, _, payload = url[5:].partition(",")
                mime = header.split(";")[0] or "text/plain"
                body = (
                    base64.b64decode(payload)
                    if header.endswith(";base64")
                    else unquote_to_bytes(payload)
                )
                url_out = url
            elif scheme in ("http", "https"):
                result = safe_fetch.fetch(url, max_bytes=10 * 1024 * 1024, timeout=15)
                mime = result.content_type.split(";")[0].strip() or "application/octet-stream"
                body = result.body
                url_out = result.url
            else:
                raise ValueError(f"Refused URL scheme for the archive: {scheme}")
            if mime.startswith("image/") and mime != "image/svg+xml":
                flattened = flatten_image(body)
                if flattened is not None:
                    body, mime = flattened
            return URLFetcherResponse(url_out, body, {"Content-Type": mime})

    return SafeURLFetcher()


# --- writing -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def software_version() -> str:
    """Return "nykvarn-sm <version>" from pyproject.toml (the project is not installed)."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text("utf-8"))["project"]
        return f"{project['name']} {project['version']}"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "nykvarn-sm"


def _pdf_date(moment: dt.datetime) -> str:
    offset = moment.strftime("%z")  # +0100
    return f"D:{moment:%Y%m%d%H%M%S}{offset[:3]}'{offset[3:]}'"


def _xmp(
    *,
    title: str,
    author: str,
    subject: str,
    producer: str,
    creator_tool: str,
    moment: dt.datetime,
    part: int,
    conformance: str,
) -> bytes:
    stamp = moment.isoformat(timespec="seconds")
    e = escape
    description = (
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(subject)}</rdf:li>'
        f"</rdf:Alt></dc:description>"
        if subject
        else ""
    )
    xml = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>{part}</pdfaid:part>
   <pdfaid:conformance>{conformance}</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{e(author)}</rdf:li></rdf:Seq></dc:creator>
   {description}
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>
   <xmp:CreatorTool>{e(creator_tool)}</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{e(producer)}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return xml.encode("utf-8")


def _remove_transparency(pdf: Any) -> int:
    """Make every drawing operation opaque, as PDF/A-1 requires (ISO 19005-1, 6.4).

    Page styles may use translucent colours (rgba) that the user style sheet cannot
    override; they are drawn opaque instead. Returns how many objects were changed.
    """
    import pikepdf

    changed = 0
    seen: set[tuple[int, int]] = set()

    def visit(obj: Any) -> None:
        nonlocal changed
        if isinstance(obj, pikepdf.Array):
            for item in obj:
                visit(item)
            return
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            return
        if obj.is_indirect:
            if obj.objgen in seen:
                return
            seen.add(obj.objgen)
        for key in ("/ca", "/CA"):
            if key in obj and float(obj[key]) != 1.0:
                obj[key] = 1
                changed += 1
        if (
            "/SMask" in obj
            and obj.get("/Subtype") != pikepdf.Name.Image
            and obj.SMask != pikepdf.Name("/None")
        ):
            obj.SMask = pikepdf.Name("/None")
            changed += 1
        if "/BM" in obj and obj.BM not in (pikepdf.Name.Normal, pikepdf.Name.Compatible):
            obj.BM = pikepdf.Name.Normal
            changed += 1
        if obj.get("/Subtype") == pikepdf.Name.Image and "/SMask" in obj:
            del obj["/SMask"]
            changed += 1
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name.Transparency:
            del obj["/Group"]
            changed += 1
        for key in list(obj.keys()):
            if key not in ("/Parent", "/P", "/Dest", "/First", "/Last", "/Next", "/Prev"):
                visit(obj[key])

    for page in pdf.pages:
        visit(page.obj)
    return changed


def render_pdfa(
    html: str,
    *,
    title: str,
    author: str,
    subject: str = "",
    base_url: str | None = None,
) -> bytes:
    """Render `html` as PDF/A (the configured variant) and return the file's bytes.

    `title` becomes the XMP dc:title (the archive passes the file's name), `author` the
    dc:creator (organisation and department). Remote resources are fetched through
    safe_fetch only; file:// is refused.
    """
    return render_pdfa_parts(
        [(html, base_url)], title=title, author=author, subject=subject, footer=None
    )


#: The footer `render_pdfa_parts` writes on every page of a file made of several parts.
PAGE_FOOTER = "Sida {page} av {pages}"
# The band at the foot of each page the footer is drawn in: the archive's page margin.
FOOTER_BAND_PT = 15 * 72 / 25.4


def render_pdfa_parts(
    parts: list[tuple[str, str | None]],
    *,
    title: str,
    author: str,
    subject: str = "",
    append_pdfs: list[bytes] | None = None,
    footer: str | None = PAGE_FOOTER,
    ocr: bool = False,
) -> bytes:
    """Render several HTML documents (html, base_url) one after the other as one PDF/A.

    Each part keeps its own style sheets (the archive's cover, then a page rendered as
    it was fetched). `append_pdfs` are PDF files whose pages follow (uploaded prints);
    they are made opaque like the rest, and validation tells whether they conform.

    `footer` ("Sida {page} av {pages}") is written on every page of the finished file,
    with the title at the left: a part's own CSS page counters count only that part's
    pages, and appended prints have none, so the numbers are put on after assembly.
    None leaves the pages as the parts drew them.

    `ocr` gives pages without text (screenshots, scanned prints) a text layer before the
    footers are drawn (`add_text_layer`); it raises OCRError when that fails.
    """
    import weasyprint

    name, part, conformance = VARIANTS[variant()]
    fetcher = make_url_fetcher()
    archive_css = weasyprint.CSS(string=ARCHIVE_CSS)
    documents = [
        weasyprint.HTML(string=printable_html(html), base_url=base, url_fetcher=fetcher).render(
            stylesheets=[archive_css], pdf_variant=name
        )
        for html, base in parts
    ]
    pages = [page for document in documents for page in document.pages]
    raw = documents[0].copy(pages).write_pdf(pdf_variant=name, uncompressed_pdf=False)
    return _finish(
        raw,
        title=title,
        author=author,
        subject=subject,
        part=part,
        conformance=conformance,
        append_pdfs=append_pdfs or [],
        footer=footer,
        ocr=ocr,
    )


def _footer_stamps(widths: list[float], *, left: str, footer: str, pdf_variant: str) -> bytes:
    """Render one footer band per page (as wide as that page) as a PDF, in order."""
    import weasyprint

    names = {width: f"w{n}" for n, width in enumerate(dict.fromkeys(widths))}
    page_rules = "".join(
        f"@page {name} {{ size: {width:.2f}pt {FOOTER_BAND_PT:.2f}pt; margin: 0 15mm; }}"
        for width, name in names.items()
    )
    bands = "".join(
        f'<div class="band" style="page: {names[width]}">'
        f'<span class="left">{escape(printable(left))}</span>'
        f'<span class="right">{escape(footer.format(page=n, pages=len(widths)))}</span></div>'
        for n, width in enumerate(widths, start=1)
    )
    html = f"""<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><style>
{page_rules}
body {{ margin: 0; font-family: {FONT_STACK}; font-size: 8pt; color: #444; }}
.band {{ display: flex; justify-content: space-between; align-items: center;
  height: {FOOTER_BAND_PT:.2f}pt; break-after: page; white-space: nowrap; }}
.band:last-child {{ break-after: auto; }}
.left {{ overflow: hidden; text-overflow: ellipsis; margin-right: 6mm; }}
</style></head><body>{bands}</body></html>"""
    # Written as PDF/A too, so that its fonts carry what PDF/A asks of them (CIDSet).
    return weasyprint.HTML(string=html).write_pdf(  # type: ignore[no-any-return]
        stylesheets=[weasyprint.CSS(string=ARCHIVE_CSS)], pdf_variant=pdf_variant
    )


def _stamp_footers(pdf: Any, *, left: str, footer: str, part: int) -> None:
    """Draw "Sida X av Y" (and the title) in the bottom margin of every page of `pdf`."""
    import pikepdf

    boxes = [pikepdf.Rectangle(page.mediabox) for page in pdf.pages]
    variant_name = next(name for name, number, _c in VARIANTS.values() if number == part)
    stamps_data = _footer_stamps(
        [box.width for box in boxes], left=left, footer=footer, pdf_variant=variant_name
    )
    with pikepdf.open(io.BytesIO(stamps_data)) as stamps:
        for page, box, stamp in zip(pdf.pages, boxes, stamps.pages, strict=True):
            band = pikepdf.Rectangle(box.llx, box.lly, box.urx, box.lly + FOOTER_BAND_PT)
            page.add_overlay(pdf.copy_foreign(stamp.as_form_xobject()), band)


def _finish(
    raw: bytes,
    *,
    title: str,
    author: str,
    subject: str,
    part: int,
    conformance: str,
    append_pdfs: list[bytes],
    footer: str | None = None,
    ocr: bool = False,
) -> bytes:
    """Append pages, add a text layer, number them, remove transparency (PDF/A-1), write
    metadata."""
    import pikepdf
    import weasyprint

    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    producer = f"WeasyPrint {weasyprint.__version__}; pikepdf {pikepdf.__version__}"
    creator_tool = software_version()
    if append_pdfs:
        with pikepdf.open(io.BytesIO(raw)) as pdf:
            for extra in append_pdfs:
                with pikepdf.open(io.BytesIO(extra)) as other:
                    pdf.pages.extend(other.pages)
            joined = io.BytesIO()
            pdf.save(joined)
            raw = joined.getvalue()
    if ocr:
        # Before the footers: a page whose only text is its footer is still OCR'd
        # (--skip-text leaves pages that have text, such as the cover).
        raw = add_text_layer(raw)
        producer += f"; {ocr_version()}"
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        if footer:
            _stamp_footers(pdf, left=title, footer=footer, part=part)
        if part == 1:
            _remove_transparency(pdf)
        pdf.Root.Metadata = pdf.make_stream(
            _xmp(
                title=title,
                author=author,
                subject=subject,
                producer=producer,
                creator_tool=creator_tool,
                moment=moment,
                part=part,
                conformance=conformance,
            ),
            Type=pikepdf.Name.Metadata,
            Subtype=pikepdf.Name("/XML"),
        )
        # PDF/A-1 6.7.3: the information dictionary must agree with the XMP.
        info = pikepdf.Dictionary(
            Title=pikepdf.String(title),
            Author=pikepdf.String(author),
            Producer=pikepdf.String(producer),
            Creator=pikepdf.String(creator_tool),
            CreationDate=pikepdf.String(_pdf_date(moment)),
            ModDate=pikepdf.String(_pdf_date(moment)),
        )
        if subject:
            info.Subject = pikepdf.String(subject)
        pdf.trailer.Info = pdf.make_indirect(info)
        out = io.BytesIO()
        save = functools.partial(
            pdf.save,
            out,
            fix_metadata_version=False,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,  # PDF/A-1 is PDF 1.4
            deterministic_id=True,
        )
        if part == 1:
            save(force_version="1.4")
        else:
            save(min_version="1.7")
    return out.getvalue()


# --- text layer (OCR) ----------------------------------------------------------------------

#: Tesseract's languages, Swedish first: the first is its main model, and with English
#: first it reads "Räksmörgås" as "Raksmorgas".
OCR_LANGUAGES = "swe+eng"


class OCRError(Exception):
    """OCR could not make a text layer; the file can be made without one."""


def ocr_command() -> str | None:
    """Return the path of ocrmypdf (settings.ARCHIVE_OCR_COMMAND), or None if missing."""
    return shutil.which(str(_setting("ARCHIVE_OCR_COMMAND", "ocrmypdf")))


@functools.lru_cache(maxsize=1)
def _tesseract_languages() -> frozenset[str]:
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return frozenset()
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [tesseract, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in completed.stdout.splitlines()[1:])


def ocr_unavailable_reason() -> str | None:
    """Return why no text layer can be made here (in Swedish), or None when OCR works."""
    if ocr_command() is None:
        return "ocrmypdf finns inte på servern"
    missing = set(OCR_LANGUAGES.split("+")) - _tesseract_languages()
    if missing:
        return f"Tesseract saknar språkdata för {', '.join(sorted(missing))}"
    return None


@functools.lru_cache(maxsize=4)
def _ocr_version(command: str) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [command, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "OCRmyPDF"
    version = completed.stdout.strip().splitlines()[:1]
    return f"OCRmyPDF {version[0]}" if completed.returncode == 0 and version else "OCRmyPDF"


def ocr_version() -> str:
    """Return "OCRmyPDF <version>" for the cover and the producer."""
    command = ocr_command()
    return _ocr_version(command) if command else "OCRmyPDF"


def add_text_layer(data: bytes) -> bytes:
    """Return `data` with an invisible OCR text layer on every page that has no text.

    Runs ocrmypdf as a command, within settings.ARCHIVE_OCR_TIMEOUT seconds (the whole
    process group is stopped after that). Output type "pdf": ocrmypdf only grafts the
    text layer (Tesseract's GlyphLessFont, embedded, invisible text) onto the pages;
    the images stay as they are (--optimize 0) and the PDF/A step (_finish) follows.
    Raises OCRError when there is no ocrmypdf or the run fails.
    """
    reason = ocr_unavailable_reason()
    command = ocr_command()
    if reason or command is None:
        raise OCRError(reason or "ocrmypdf finns inte på servern")
    timeout = int(_setting("ARCHIVE_OCR_TIMEOUT", 600))
    # ocrmypdf 14 (Debian 12) keeps -l in a set, so that "swe+eng" reaches Tesseract as
    # "eng+swe" in some runs (the order follows the string hash). A fixed hash seed gives
    # the same order every run: swe first (tests/archive/test_capture_ocr.py reads å, ä, ö).
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory(prefix="ocr-") as work:
        source, target = Path(work) / "in.pdf", Path(work) / "out.pdf"
        source.write_bytes(data)
        arguments = [
            command,
            "-l",
            OCR_LANGUAGES,
            "--output-type",
            "pdf",
            "--pdf-renderer",
            "sandwich",
            "--skip-text",
            "--optimize",
            "0",
            "--quiet",
            str(source),
            str(target),
        ]
        # Its own session, so that a run over its time is stopped with Tesseract and
        # Ghostscript, not just the ocrmypdf process.
        with subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            arguments,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        ) as process:
            try:
                _out, errors = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise OCRError(f"OCR blev inte klar inom {timeout} s.") from None
        if process.returncode != 0 or not target.exists():
            detail = " ".join(errors.split())[-300:]
            raise OCRError(
                f"OCR misslyckades (ocrmypdf avslutade med {process.returncode}): {detail}"
            )
        return target.read_bytes()


# --- validating ----------------------------------------------------------------------------


@dataclass
class ValidationResult:
    passed: bool
    validator: str
    version: str
    messages: list[str] = field(default_factory=list)


def _structural_messages(data: bytes) -> tuple[list[str], int | None]:
    """Return (problems found by pikepdf, the declared PDF/A part)."""
    import pikepdf

    problems: list[str] = []
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        return [f"Filen går inte att läsa som PDF: {exc}"], None
    part: int | None = None
    with pdf:
        if pdf.is_encrypted:
            problems.append("Filen är krypterad.")
        root = pdf.Root
        if "/Metadata" not in root:
            problems.append("XMP-metadata saknas.")
        else:
            xmp = root.Metadata.read_bytes().decode("utf-8", "replace")
            match = re.search(r"<pdfaid:part>\s*(\d)\s*</pdfaid:part>", xmp)
            if not match:
                problems.append("pdfaid:part saknas i XMP (som element).")
            else:
                part = int(match.group(1))
            if not re.search(r"<pdfaid:conformance>\s*[ABU]\s*</pdfaid:conformance>", xmp):
                problems.append("pdfaid:conformance saknas i XMP (som element).")
        intents = root.get("/OutputIntents")
        if not intents or not any(
            i.get("/S") == pikepdf.Name("/GTS_PDFA1") and "/DestOutputProfile" in i for i in intents
        ):
            problems.append("OutputIntent GTS_PDFA1 med ICC-profil saknas.")
        if "/OpenAction" in root and "/JS" in str(root.OpenAction):
            problems.append("Dokumentet innehåller JavaScript (OpenAction).")
        names = root.get("/Names")
        if names is not None:
            if "/JavaScript" in names:
                problems.append("Dokumentet innehåller JavaScript.")
            if "/EmbeddedFiles" in names:
                problems.append("Dokumentet har bifogade filer.")
        for number, page in enumerate(pdf.pages, start=1):
            resources: Any = page.obj.get("/Resources", {})
            fonts: Any = resources.get("/Font", {}) if resources else {}
            for key, font in fonts.items() if fonts else []:
                descriptors = []
                if "/FontDescriptor" in font:
                    descriptors.append(font.FontDescriptor)
                for descendant in font.get("/DescendantFonts", []):
                    if "/FontDescriptor" in descendant:
                        descriptors.append(descendant.FontDescriptor)
                if font.get("/Subtype") == pikepdf.Name("/Type3"):
                    continue  # glyphs are drawn by content streams, nothing to embed
                if not descriptors or not any(
                    k in d for d in descriptors for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    problems.append(f"Sida {number}: typsnittet {key} är inte inbäddat.")
            for _key, xobject in (resources.get("/XObject", {}) or {}).items():
                if xobject.get("/SMask") is not None and part == 1:
                    problems.append(f"Sida {number}: en bild har genomskinlighet (SMask).")
            if "/AA" in page.obj:
                problems.append(f"Sida {number}: sidan har automatiska åtgärder.")
    return problems, part


def preflight_command(path: str) -> list[str] | None:
    """Return the java command line that runs PDFBox Preflight, or None if unavailable."""
    java = shutil.which(str(_setting("ARCHIVE_JAVA", "java")))
    jar_dir = Path(str(_setting("ARCHIVE_PDFBOX_JAR_DIR", "/usr/share/java")))
    jars = [jar_dir / name for name in PREFLIGHT_JARS]
    if java is None or not all(j.exists() for j in jars[:4]):
        return None
    classpath = ":".join(str(j) for j in jars if j.exists())
    return [java, *PREFLIGHT_JVM_FLAGS, "-cp", classpath, PREFLIGHT_CLASS, path]


@functools.lru_cache(maxsize=1)
def preflight_version() -> str:
    jar_dir = Path(str(_setting("ARCHIVE_PDFBOX_JAR_DIR", "/usr/share/java")))
    for candidate in sorted(jar_dir.glob("preflight-*.jar")):
        return candidate.stem.removeprefix("preflight-")
    return "okänd"


def _preflight(data: bytes) -> tuple[bool, list[str]] | None:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        command = preflight_command(handle.name)
        if command is None:
            return None
        try:
            completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                command, capture_output=True, text=True, timeout=120, check=False
            )
        except subprocess.TimeoutExpired:
            return False, ["PDFBox Preflight svarade inte inom 120 s."]
    output = (completed.stdout + completed.stderr).strip()
    passed = completed.returncode == 0 and "is a valid PDF/A-1b file" in output
    # The temporary file's name means nothing to a reader of the snapshot page.
    lines = [
        line.strip().replace(handle.name, "filen")
        for line in output.splitlines()
        if line.strip() and not line.startswith(("SLF4J", "WARNING:"))
    ]
    return passed, lines[:50]


def validate_pdfa(data: bytes) -> ValidationResult:
    """Validate a PDF/A file: pikepdf structure always, PDFBox Preflight when available.

    PDFBox Preflight validates PDF/A-1b only; a PDF/A-2b file is checked structurally.
    """
    import pikepdf

    problems, part = _structural_messages(data)
    validators = [f"pikepdf {pikepdf.__version__}"]
    versions = [pikepdf.__version__]
    messages = list(problems)
    passed = not problems
    if part == 1:
        result = _preflight(data)
        if result is not None:
            ok, lines = result
            validators.append("Apache PDFBox Preflight")
            versions.append(preflight_version())
            if not ok:
                passed = False
                messages.extend(lines or ["PDFBox Preflight underkände filen."])
            else:
                messages.append("PDFBox Preflight godkände filen som PDF/A-1b.")
        else:
            messages.append("PDFBox Preflight finns inte här; bara strukturkontroll gjordes.")
    return ValidationResult(
        passed=passed,
        validator=" + ".join(validators),
        version=" / ".join(versions),
        messages=messages,
    )

"""Benchmark one archive snapshot of the test page: median time and peak memory.

Not a test: run `make bench`. It serves tests/archive/site on 127.0.0.1, then captures it
N times (default 5) the way the worker does — Chromium through Playwright, PDF/A render,
validation (pikepdf + PDFBox Preflight when Java is present) — and prints the median wall
time per snapshot and the peak memory (this process's max RSS, plus the browser's and
Java's as child processes). The target: no slower than ArchiveBox on the same page (about
4–5 s here), while producing validated PDF/A.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nykvarn_sm.settings")
os.environ.setdefault("DEBUG", "true")
os.environ["CAPTURE_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1"


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/index.html"


def main() -> None:
    import django

    django.setup()
    from PIL import Image, ImageDraw

    from archive import capture as capturing
    from nykvarn_sm.lib import pdfa

    runs = int(os.environ.get("BENCH_RUNS", "5"))
    site = Path(tempfile.mkdtemp(prefix="bench-site-"))
    shutil.copytree(ROOT / "tests" / "archive" / "site", site, dirs_exist_ok=True)
    image = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 110, 110), fill=(11, 79, 108, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    (site / "transparent.png").write_bytes(buffer.getvalue())
    server, url = serve(site)

    from types import SimpleNamespace

    # What build_pdf reads, without a database row.
    office = SimpleNamespace(name="Kultur och fritid")
    account = SimpleNamespace(
        name="Fritidsfabriken",
        url=url,
        platform=SimpleNamespace(name="Facebook"),
        department=SimpleNamespace(name="Fritidsfabriken", office=office),
    )
    snapshot = SimpleNamespace(
        account=account,
        context_label="periodiskt uttag",
        note="",
        period="bench",
        requested_by=None,
        requested_via="benchmark",
    )
    from django.conf import settings

    times, sizes, valid = [], [], []
    phases: dict[str, list[float]] = {"capture": [], "render": [], "validate": []}
    for _ in range(runs):
        start = time.perf_counter()
        page = capturing.capture_with_browser(url, cookie_selectors=["#cookie-banner"])
        captured = time.perf_counter()
        data = capturing.build_pdf(snapshot, page)
        rendered = time.perf_counter()
        result = pdfa.validate_pdfa(data)
        done = time.perf_counter()
        times.append(done - start)
        phases["capture"].append(captured - start)
        phases["render"].append(rendered - captured)
        phases["validate"].append(done - rendered)
        sizes.append(len(data))
        valid.append(result.passed and "Preflight" in result.validator)
    server.shutdown()
    shutil.rmtree(site, ignore_errors=True)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"snapshots:        {runs} of {url}")
    print(
        f"median time:      {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f})"
    )
    print(
        f"peak memory:      {own:.0f} MiB in Python; largest child process "
        f"(Chromium/Java) {children:.0f} MiB"
    )
    print(
        "median per phase: "
        + ", ".join(f"{name} {statistics.median(values):.2f} s" for name, values in phases.items())
    )
    print(
        f"PDF/A size:       {statistics.median(sizes) / 1024:.0f} KiB, "
        f"variant {pdfa.variant()}, all passed PDFBox Preflight: {all(valid)}"
    )
    print(
        f"settle delay:     {settings.ARCHIVE_SETTLE_SECONDS} s "
        "(ARCHIVE_SETTLE_SECONDS) is part of the capture time"
    )


if __name__ == "__main__":
    main()

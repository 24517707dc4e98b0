"""An archivist delivers an office's half-year to the e-archive in a real browser (Debian's
Chromium through Playwright): the package is built from pages captured from the test site,
followed on its page while a worker builds it, downloaded, and reported valid by the E-ARK
validator (issue 10, "Done when")."""

from __future__ import annotations

import hashlib
import threading

import pytest
from django.db import connections
from django.utils import timezone

from archive import services
from archive.models import DeliveryPackage, Snapshot, period_for
from tests.archive.test_packages import assert_valid, validate
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def package_worker(monkeypatch):
    """Build packages where they are published, in a thread of their own, as a worker
    beside the web process would: the page meanwhile shows the progress."""
    from archive.tasks import build_package
    from nykvarn_sm.celery import app

    task = app.tasks[build_package.name]
    threads: list[threading.Thread] = []

    def work(args=(), kwargs=None, **options):
        def run():
            try:
                task.apply(args, kwargs)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(task, "apply_async", work)
    yield
    for thread in threads:
        thread.join(timeout=120)


@pytest.fixture
def captured(site_account) -> Snapshot:
    """The test site's page captured by the browser, before Playwright's own loop starts."""
    snapshot = Snapshot.objects.create(
        account=site_account,
        period=period_for(timezone.localdate()),
        context=Snapshot.Context.PERIODIC,
        source_url=site_account.url,
    )
    outcome = services.process_snapshot(snapshot.pk)
    assert outcome.snapshot.status == Snapshot.Status.STORED, outcome.snapshot.last_error
    return outcome.snapshot


def test_archivist_builds_downloads_and_the_package_is_valid(
    captured, browser_page, site_account, archivist, package_worker, tmp_path
):
    snapshot = captured
    period = snapshot.period
    office = site_account.department.office

    page = browser_page
    browser_login(page, archivist)
    page.goto("/arkiv/")
    page.get_by_role("link", name="Leveranspaket till e-arkivet (FGS 2.0)").click()
    page.get_by_label("Kontor").select_option(str(office.pk))
    page.get_by_label("Period").fill(period)
    page.get_by_role("button", name="Bygg paket").click()
    page.wait_for_url("**/arkiv/paket/*/")
    # The page refreshes itself (meta refresh, no script) until the package is ready.
    page.get_by_role("link", name=".zip").wait_for(timeout=90_000)
    package = DeliveryPackage.objects.get()
    assert package.status == DeliveryPackage.Status.READY, package.last_error
    assert package.requested_by == archivist
    assert package.sha256 in page.content()

    with page.expect_download() as info:
        page.get_by_role("link", name=".zip").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert hashlib.sha256(data).hexdigest() == package.sha256
    report, root = validate(data, tmp_path)
    assert_valid(report, root)
    assert (root / "representations/rep1/data" / snapshot.download_name).exists()

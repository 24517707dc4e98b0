"""The admin the communications office uses daily has no WCAG 2.1 A/AA violation (issue 12).

axe-core (the npm package pinned in package-lock.json, installed by `make test` with
`npm ci`) is injected into every admin page a communications officer reaches: the index,
and for each model in `admin.site._registry` its changelist, add page (where adding is
allowed) and the change page of one object. New models are covered without editing this
file; a new model without a row in the demo data fails here until the test creates one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django_celery_beat.models import ClockedSchedule, SolarSchedule

from archive.models import (
    Disposal,
    FixityCheck,
    GallringDecision,
    LegalHold,
    PlatformThinning,
    Snapshot,
)
from moderation.models import ChainAnchor, ChainHead, ClosedDay, LogCheck
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__tests__/axe.min.js"
JS = "text/javascript"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its WCAG 2.1 A/AA violations."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --ignore-scripts` (make test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # The pages' Content-Security-Policy allows scripts from 'self' only: the local copy
        # is served at a same-origin address the browser never asks the live server for.
        page.route(AXE_URL, lambda route: route.fulfill(path=AXE, content_type=JS))
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}})
            .then(results => results.violations)""",
        WCAG_21_AA,
    )


def describe(url: str, violations: list[dict[str, Any]]) -> list[str]:
    """One readable line per rule broken on the page: rule id, axe's summary, targets."""
    return [
        f"{url}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in violations
    ]


def admin_pages(user: Any) -> list[str]:
    """Every admin page the user may open: index, and per registered model its changelist,
    add page and the change page of its first object."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = [reverse("admin:index")]
    missing = []
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(request):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None:
            missing.append(model._meta.label)
            continue
        pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    assert not missing, f"no row to open the change page of: {missing}"
    return pages


@pytest.fixture
def admin_rows(db, communications_officer):
    """The demo organisation, and a row of each model the demo has none of."""
    call_command("seed_demo", force=True, stdout=io.StringIO())
    today = timezone.localdate()
    snapshot = Snapshot.objects.order_by("pk").first()
    assert snapshot is not None
    account = snapshot.account
    Group.objects.create(name="Kommunikatörer")
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    SolarSchedule.objects.create(event="sunrise", latitude="59.18", longitude="17.43")
    client = {"ip_address": "127.0.0.1", "user_agent": "Chromium", "http_accept": "*/*"}
    AccessAttempt.objects.create(
        **client,
        username="okand@nykvarn.se",
        path_info="/konto/login/",
        get_data="",
        post_data="username=okand@nykvarn.se",
        failures_since_start=2,
    )
    AccessFailureLog.objects.create(
        **client, username="okand@nykvarn.se", path_info="/konto/login/"
    )
    ClosedDay.objects.create(date=dt.date(today.year, 12, 27), description="Klämdag")
    chain = ChainHead.objects.order_by("pk").first()
    assert chain is not None
    ChainAnchor.objects.create(
        chain=chain,
        anchored_on=today,
        position=chain.position,
        head_hash=chain.last_hash,
        digest="0" * 64,
        key_id="k1",
        mac="0" * 64,
    )
    LogCheck.objects.create(checked_on=today, ok=True, checked=chain.position)
    FixityCheck.objects.create(finished_at=timezone.now(), files_checked=1, triggered_by="beat")
    decision = GallringDecision.objects.create(
        diarienummer="KS 2026/17",
        decided_on=dt.date(2026, 1, 15),
        decided_by="Kommunstyrelsen",
        applies_to=GallringDecision.Applies.PLATFORM,
        description="Inlägg och kommentarer efter arkivering.",
        retention_months=12,
    )
    LegalHold.objects.create(
        account=account,
        scope=LegalHold.Scope.ACCOUNT,
        reason=LegalHold.Reason.CASE,
        reference="KS 2026/40",
        note="Pågående ärende.",
        placed_by=communications_officer,
    )
    PlatformThinning.objects.create(
        account=account,
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 6, 30),
        decision=decision,
        covered_by=snapshot,
        thinned_on=today,
        recorded_by=communications_officer,
    )
    Disposal.objects.create(
        snapshot=snapshot,
        decision=decision,
        file_name=snapshot.file_name or "uttag.pdf",
        sha256="0" * 64,
        disposed_by=communications_officer,
    )


def test_every_admin_page_has_no_wcag_violation(browser_page, admin_rows, communications_officer):
    page = browser_page
    browser_login(page, communications_officer)
    failures = []
    for url in admin_pages(communications_officer):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        failures += describe(url, axe_violations(page))
    assert not failures, "\n" + "\n".join(failures)


def test_keyboard_reaches_the_breadcrumbs_with_visible_focus(browser_page, communications_officer):
    page = browser_page
    browser_login(page, communications_officer)
    page.goto(reverse("admin:registry_platform_changelist"))
    for _press in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.breadcrumbs')"):
            break
    else:
        pytest.fail("Tab never reached the breadcrumb trail")
    focused = page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return [style.outlineStyle, style.outlineWidth, style.textDecorationLine];
        }"""
    )
    assert focused == ["solid", "3px", "underline"]


# --- Swedish labels -------------------------------------------------------------------------

PRODUCT_APPS = {"accounts", "registry", "moderation", "archive"}


def test_every_field_in_the_product_admin_has_a_translated_label():
    """A field without verbose_name shows its Python name ("Created by", "Previous hash")."""
    shown = {*admin.site._registry}
    shown |= {inline.model for ma in admin.site._registry.values() for inline in ma.inlines}
    untranslated = [
        f"{model._meta.label}.{field.name}"
        for model in shown
        # A many-to-many table's columns are never shown (registry.admin.AssignmentInline).
        if model._meta.app_label in PRODUCT_APPS and not model._meta.auto_created
        for field in model._meta.get_fields()
        if field.concrete and not field.auto_created and not isinstance(field.verbose_name, Promise)
    ]
    assert untranslated == []


def test_the_account_admin_page_speaks_swedish(client, communications_officer, account_a):
    client.force_login(communications_officer)
    response = client.get(reverse("admin:registry_socialaccount_change", args=[account_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Skapad av" in body and "Godkänd av chef den" in body
    assert "Created by" not in body and "Manager approved at" not in body


def test_the_third_party_sections_speak_swedish(client, communications_officer):
    """django-axes and django-celery-beat ship no Swedish (locale/sv, accounts.apps)."""
    client.force_login(communications_officer)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Inloggningsspärr" in index and "Schemalagda uppgifter" in index
    assert "Misslyckade inloggningar" in index and "Cron-scheman" in index
    assert not {"Axes", "Periodic Tasks", "Access attempts", "Crontabs"} & set(
        re.findall(r">\s*([^<>]+?)\s*<", index)
    )
    page = client.get(reverse("admin:django_celery_beat_periodictask_add"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Starttid" in body and "Kort beskrivning av uppgiften" in body
    for english in ("Enabled", "Start Datetime", "Positional Arguments", "Interval Schedule"):
        assert english not in body

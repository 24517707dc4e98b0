"""ARC-1 "minst två gånger per år": one periodic extract per account and period, asked for
again without a traceback, failed ones retried in place, and passed periods without a stored
extract listed for the archivist ("Saknade periodiska uttag")."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from archive import services
from archive.models import Snapshot, missing_periodic_extracts, period_bounds, period_for
from registry.models import SocialAccount
from tests.archive.helpers import stored_snapshot
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db


def _png() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, "PNG")
    buffer.name = "sida.png"
    buffer.seek(0)
    return buffer


def _periodic(account, status, period=None):
    return Snapshot.objects.create(
        account=account,
        period=period or period_for(timezone.localdate()),
        context=Snapshot.Context.PERIODIC,
        source_url=account.url,
        status=status,
        attempts=4 if status == Snapshot.Status.FAILED else 0,
        last_error="CaptureError: Sidan svarade inte" if status == Snapshot.Status.FAILED else "",
    )


# --- asking again ---------------------------------------------------------------------------


def test_command_refuses_a_second_periodic_extract_with_a_message(site_account, settings):
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent"
    existing = stored_snapshot(site_account)
    with pytest.raises(CommandError) as raised:
        call_command("snapshot", "--account", str(site_account.pk), "--context", "periodic")
    assert f"Det finns redan ett periodiskt uttag för {existing.period}" in str(raised.value)
    assert Snapshot.objects.filter(context=Snapshot.Context.PERIODIC).count() == 1


def test_command_retries_a_failed_periodic_extract_in_place(site_account, settings, capsys):
    settings.ARCHIVE_CHROMIUM_PATH = "/nonexistent"
    failed = _periodic(site_account, Snapshot.Status.FAILED)
    call_command("snapshot", "--account", str(site_account.pk), "--context", "periodiskt uttag")
    assert capsys.readouterr().out.strip().endswith("periodiskt uttag.pdf")
    snapshot = Snapshot.objects.get(context=Snapshot.Context.PERIODIC)
    assert snapshot.pk == failed.pk
    assert snapshot.status == Snapshot.Status.STORED and snapshot.attempts == 1


def test_view_answers_an_existing_periodic_extract_with_a_message(client, operator, account_a):
    existing = stored_snapshot(account_a)
    client.force_login(operator)
    url = reverse("archive:request", args=[account_a.pk])
    response = client.post(url, {"context": "periodic", "files": [_png()]})
    assert response.status_code == 302
    assert response["Location"] == existing.get_absolute_url()
    assert [str(m) for m in response.wsgi_request._messages] == [
        f"Det finns redan ett periodiskt uttag för {existing.period} (Lagrad)."
    ]
    assert Snapshot.objects.count() == 1
    assert not existing.sources.exists()


def test_view_puts_a_failed_periodic_extract_back_in_the_queue(
    client, operator, account_a, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    failed = _periodic(account_a, Snapshot.Status.FAILED)
    client.force_login(operator)
    url = reverse("archive:request", args=[account_a.pk])
    response = client.post(url, {"context": "periodic", "files": [_png()]})
    assert response.status_code == 302
    assert response["Location"] == failed.get_absolute_url()
    snapshot = Snapshot.objects.get()
    assert snapshot.pk == failed.pk
    assert (snapshot.status, snapshot.attempts, snapshot.last_error) == ("queued", 0, "")
    assert snapshot.method == Snapshot.Method.UPLOAD and snapshot.sources.count() == 1


def test_view_adds_uploads_to_a_periodic_extract_waiting_for_them(
    client, operator, account_a, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    waiting = services.plan_periodic_snapshots()[0]
    assert waiting.awaiting_upload
    client.force_login(operator)
    response = client.post(
        reverse("archive:request", args=[account_a.pk]),
        {"context": "periodic", "files": [_png()]},
    )
    assert response.status_code == 302
    assert Snapshot.objects.get().pk == waiting.pk
    assert waiting.sources.count() == 1


def test_service_raises_a_clear_error_for_one_in_progress(account_a):
    running = _periodic(account_a, Snapshot.Status.RENDERING)
    with pytest.raises(services.PeriodicExtractExists) as raised:
        services.request_snapshot(
            account=account_a, context=Snapshot.Context.PERIODIC, by=None, queue=False
        )
    assert raised.value.snapshot == running
    assert "Skapar PDF/A" in str(raised.value)


def test_planner_neither_duplicates_nor_fails_on_an_existing_one(account_a, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    failed = _periodic(account_a, Snapshot.Status.FAILED)
    assert services.plan_periodic_snapshots() == []
    assert list(Snapshot.objects.values_list("pk", flat=True)) == [failed.pk]


# --- periods ----------------------------------------------------------------------------------


def test_period_bounds_match_period_for(settings):
    settings.ARCHIVE_SNAPSHOT_MONTHS = [1, 7]
    assert period_bounds("2025-H2") == (dt.date(2025, 7, 1), dt.date(2026, 1, 1))
    assert period_bounds("2025-H2", [3, 9]) == (dt.date(2025, 9, 1), dt.date(2026, 3, 1))
    for day in (dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2026, 12, 31)):
        start, end = period_bounds(period_for(day, [3, 9]), [3, 9])
        assert start <= day < end
    with pytest.raises(ValueError):
        period_bounds("2025-H9")


# --- gaps ---------------------------------------------------------------------------------------


def _local(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def test_gaps_are_passed_periods_of_active_accounts_without_a_stored_extract(
    account_a, account_b, settings
):
    settings.ARCHIVE_SNAPSHOT_MONTHS = [1, 7]
    today = dt.date(2026, 3, 10)
    SocialAccount.objects.filter(pk=account_a.pk).update(activated_at=_local(dt.date(2025, 2, 1)))
    # Closing started in 2025-H1: active in 2024-H2 and 2025-H1 only.
    SocialAccount.objects.filter(pk=account_b.pk).update(
        activated_at=_local(dt.date(2024, 12, 1)),
        state=SocialAccount.State.CLOSED,
        closing_started_at=_local(dt.date(2025, 5, 1)),
        closed_at=_local(dt.date(2025, 6, 1)),
    )
    SocialAccountFactory(state=SocialAccount.State.DRAFT, activated_at=None)
    stored_snapshot(account_a, period="2025-H1")
    failed = _periodic(account_a, Snapshot.Status.FAILED, period="2025-H2")
    _periodic(account_a, Snapshot.Status.FAILED, period="2026-H1")  # not passed yet
    stored_snapshot(account_b, period="2025-H1", context=Snapshot.Context.MANUAL)

    gaps = list(missing_periodic_extracts(SocialAccount.objects.all(), today=today))
    assert [(g["account_id"], g["period"]) for g in gaps] == [
        (account_a.pk, "2025-H2"),
        (account_b.pk, "2025-H1"),
        (account_b.pk, "2024-H2"),
    ]
    assert (gaps[0]["snapshot_id"], gaps[0]["snapshot_status"]) == (failed.pk, "failed")
    assert gaps[1]["snapshot_id"] is None
    only_b = SocialAccount.objects.filter(department_id=account_b.department_id)
    assert len(missing_periodic_extracts(only_b, today=today)) == 2


def test_gaps_cost_the_same_queries_however_many_periods_and_accounts(
    account_a, django_assert_num_queries
):
    SocialAccount.objects.filter(pk=account_a.pk).update(activated_at=_local(dt.date(2024, 1, 5)))
    with django_assert_num_queries(2):
        few = len(
            list(missing_periodic_extracts(SocialAccount.objects.all(), today=dt.date(2025, 1, 5)))
        )
    for _ in range(5):
        SocialAccountFactory(activated_at=_local(dt.date(2020, 1, 5)))
    with django_assert_num_queries(2):
        many = len(
            list(missing_periodic_extracts(SocialAccount.objects.all(), today=dt.date(2026, 8, 5)))
        )
    assert (few, many) == (2, 5 + 5 * 13)


def _long_active(*accounts):
    SocialAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
        activated_at=timezone.now() - dt.timedelta(days=400)
    )


def test_archivist_sees_the_gaps_from_the_archive_page(client, archivist, account_a, account_b):
    _long_active(account_a, account_b)
    client.force_login(archivist)
    body = client.get(reverse("archive:list")).content.decode()
    gaps_url = reverse("archive:missing")
    assert f'href="{gaps_url}"' in body and "Saknade periodiska uttag" in body
    response = client.get(gaps_url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fritidsfabriken" in body and "Hemtjänsten Nykvarn" in body
    past = period_for(timezone.localdate() - dt.timedelta(days=200))
    assert past in body


def test_manager_sees_only_own_gaps_and_others_are_refused(
    client, manager_a, account_a, account_b, outsider, operator
):
    _long_active(account_a, account_b)
    client.force_login(manager_a)
    body = client.get(reverse("archive:missing")).content.decode()
    assert "Fritidsfabriken" in body and "Hemtjänsten Nykvarn" not in body
    for persona in (outsider, operator):
        client.force_login(persona)
        assert client.get(reverse("archive:missing")).status_code == 403
    client.logout()
    assert client.get(reverse("archive:missing")).status_code == 302


def test_gap_list_is_paginated_with_constant_queries(
    client, archivist, department_a, django_assert_max_num_queries
):
    for _ in range(30):
        SocialAccountFactory(
            department=department_a, activated_at=timezone.now() - dt.timedelta(days=800)
        )
    client.force_login(archivist)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("archive:missing"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="gap"') == 50 and "Nästa" in body
    for page in ("2", "abc", "99999999999999999999", "-1"):
        assert client.get(reverse("archive:missing"), {"page": page}).status_code == 200

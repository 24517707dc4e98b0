"""Dates and ids typed into moderation forms and the admin are bounded: year 1 (year 0 in
UTC on PostgreSQL), year 99999, malformed input and ids that overflow the database column
are refused with a form error, never stored, never a 500 (nykvarn_sm.lib.formfields).
Run on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import ClosedDay, IncomingItem, Registration, RemovedPost
from tests.moderation.conftest import make_removal
from tests.moderation.test_removal_views import form_data

pytestmark = pytest.mark.django_db

BAD_DATETIMES = [
    "0001-01-01T00:00",
    "0001-01-01T00:30",
    "99999-01-01T00:00",
    "2026-13-45T25:61",
    "igår",
]
BAD_DATES = ["0001-01-01", "99999-12-31", "2026-02-30", "x"]
HUGE_ID = str(2**40)


def _pages_answer(client, account) -> None:
    for url in (
        reverse("home"),
        reverse("moderation:incoming_list"),
        reverse("moderation:removal_list"),
        reverse("registry:account_detail", args=[account.pk]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("value", BAD_DATETIMES)
def test_incoming_received_at_is_bounded(client, account_a, operator, value):
    client.force_login(operator)
    response = client.post(
        reverse("moderation:incoming_create"),
        {"account": account_a.pk, "received_at": value, "kind": "question", "text": "Hej?"},
    )
    assert response.status_code == 200
    assert "received_at" in response.context["form"].errors
    assert not IncomingItem.objects.exists()
    _pages_answer(client, account_a)


@pytest.mark.parametrize("field", ["posted_at", "removed_at"])
@pytest.mark.parametrize("value", BAD_DATETIMES)
def test_removal_times_are_bounded(client, account_a, operator, field, value):
    client.force_login(operator)
    response = client.post(
        reverse("moderation:removal_create"), form_data(account_a, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not RemovedPost.objects.exists()
    _pages_answer(client, account_a)


@pytest.mark.parametrize("value", BAD_DATETIMES)
def test_correction_times_are_bounded(client, account_a, operator, value):
    record = make_removal(account_a, operator)
    client.force_login(operator)
    data = form_data(account_a, posted_at=value, correction_note="Fel tid")
    response = client.post(reverse("moderation:removal_correct", args=[record.pk]), data)
    assert response.status_code == 200
    assert "posted_at" in response.context["form"].errors
    assert RemovedPost.objects.count() == 1
    _pages_answer(client, account_a)


def test_removals_and_incoming_items_cannot_lie_in_the_future(client, account_a, operator):
    client.force_login(operator)
    later = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("moderation:removal_create"),
        form_data(account_a, posted_at=later, removed_at=later),
    )
    errors = response.context["form"].errors
    assert "posted_at" in errors and "removed_at" in errors
    response = client.post(
        reverse("moderation:incoming_create"),
        {"account": account_a.pk, "received_at": later, "kind": "question", "text": "Hej?"},
    )
    assert "received_at" in response.context["form"].errors
    # A little clock skew between the operator's computer and the server is fine.
    soon = (timezone.localtime() + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("moderation:removal_create"), form_data(account_a, posted_at=soon, removed_at=soon)
    )
    assert response.status_code == 302


@pytest.mark.parametrize("value", [*BAD_DATES, "2999-01-01"])
def test_registration_date_is_bounded(client, account_a, operator, value):
    record = make_removal(account_a, operator, registration_decision="case")
    client.force_login(operator)
    response = client.post(
        reverse("moderation:removal_register", args=[record.pk]),
        {"diarienummer": "KS 2026/1", "registered_on": value},
    )
    assert response.status_code == 400
    assert "registered_on" in response.context["registration_form"].errors
    assert not Registration.objects.exists()


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("value", BAD_DATES)
def test_export_period_is_bounded(client, account_a, operator, field, value):
    client.force_login(operator)
    today = timezone.localdate().isoformat()
    query = {"account": account_a.pk, "start": today, "end": today, "format": "csv"}
    response = client.get(reverse("moderation:removal_export"), {**query, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_ids_that_overflow_the_database_are_refused(client, account_a, operator):
    client.force_login(operator)
    for data, field in (
        ({**form_data(account_a), "account": HUGE_ID}, "account"),
        (form_data(account_a, reason=HUGE_ID), "reason"),
    ):
        response = client.post(reverse("moderation:removal_create"), data)
        assert response.status_code == 200 and field in response.context["form"].errors
    response = client.post(
        reverse("moderation:incoming_create"),
        {"account": HUGE_ID, "received_at": "2026-03-16T09:00", "kind": "question", "text": "?"},
    )
    assert response.status_code == 200 and "account" in response.context["form"].errors
    today = timezone.localdate().isoformat()
    response = client.get(
        reverse("moderation:removal_export"),
        {"account": HUGE_ID, "start": today, "end": today, "format": "csv"},
    )
    assert response.status_code == 200 and "account" in response.context["form"].errors
    record = make_removal(account_a, operator)
    response = client.post(
        reverse("moderation:removal_correct", args=[record.pk]),
        form_data(account_a, reason=HUGE_ID, correction_note="Fel skäl"),
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert RemovedPost.objects.count() == 1 and not IncomingItem.objects.exists()


@pytest.mark.parametrize("value", BAD_DATES)
def test_admin_closed_day_is_bounded(client, communications_officer, value):
    client.force_login(communications_officer)
    response = client.post(
        reverse("admin:moderation_closedday_add"), {"date": value, "description": "Klämdag"}
    )
    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    assert not ClosedDay.objects.exists()

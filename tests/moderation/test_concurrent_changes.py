"""Two people changing the same thing at once: the second gets a clear message, never a 500.
The race is injected where it happens (after the page's own check, before the write), and
on PostgreSQL also as a real concurrent transaction."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from moderation import services, views
from moderation.forms import CloseIncomingForm, RegistrationForm, RemovalForm
from moderation.models import IncomingItem, Registration, RegistrationDecision, RemovedPost
from tests.moderation.conftest import make_incoming, make_removal, reason
from tests.moderation.test_removal_views import form_data

CORRECTED_NOW = "Någon annan rättade posten nyss"


def _correct(record, by, note="Första rättelsen"):
    return services.correct_removal(
        by=by, record=record, correction_note=note, changes={"motivation": "Rättad motivering"}
    )


def _correction_data(account):
    return form_data(account, correction_note="Fel motivering", motivation="Ny motivering")


@pytest.mark.django_db
def test_a_correction_made_while_the_form_was_open(client, account_a, operator, deputy):
    record = make_removal(account_a, operator)
    url = reverse("moderation:removal_correct", args=[record.pk])
    client.force_login(operator)
    assert client.get(url).status_code == 200
    _correct(record, deputy)
    response = client.post(url, _correction_data(account_a))
    assert response.status_code == 409
    assert CORRECTED_NOW in response.content.decode()
    # What the person typed is still in the form.
    assert response.context["form"].data["motivation"] == "Ny motivering"
    assert RemovedPost.objects.filter(corrects=record).count() == 1


@pytest.mark.django_db
def test_a_correction_committed_after_the_pages_check(
    client, account_a, operator, deputy, monkeypatch
):
    """The other correction lands between the view's check and the locked append (while
    this request stores its evidence files)."""
    record = make_removal(account_a, operator)
    stored = services._stored_evidence
    raced = []

    def racing(uploads, *, reason):
        if not raced:
            raced.append(True)
            _correct(RemovedPost.objects.get(pk=record.pk), deputy)
        return stored(uploads, reason=reason)

    monkeypatch.setattr(services, "_stored_evidence", racing)
    client.force_login(operator)
    response = client.post(
        reverse("moderation:removal_correct", args=[record.pk]), _correction_data(account_a)
    )
    assert response.status_code == 409
    assert CORRECTED_NOW in response.content.decode()
    assert RemovedPost.objects.filter(corrects=record).count() == 1
    assert services.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_corrections_on_postgresql(client, account_a, operator, deputy):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; SQLite serialises writers anyway")
    record = make_removal(account_a, operator)
    holding = threading.Event()

    def first() -> None:
        # Corrects and holds the chain lock, uncommitted, while the second person submits.
        try:
            with transaction.atomic():
                _correct(RemovedPost.objects.get(pk=record.pk), deputy)
                holding.set()
                time.sleep(1.5)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    client.force_login(operator)
    response = client.post(
        reverse("moderation:removal_correct", args=[record.pk]), _correction_data(account_a)
    )
    thread.join()
    assert response.status_code == 409
    assert CORRECTED_NOW in response.content.decode()
    assert RemovedPost.objects.filter(corrects=record).count() == 1
    assert services.verify_chain().ok


@pytest.mark.django_db
def test_a_diarienummer_registered_by_someone_else_at_the_same_moment(
    client, account_a, operator, deputy, monkeypatch
):
    record = make_removal(
        account_a, operator, registration_decision=RegistrationDecision.WILL_BECOME_CASE
    )

    class Racing(RegistrationForm):
        def is_valid(self) -> bool:
            services.register_removal(
                by=deputy,
                record=record,
                diarienummer="KS 2026/1",
                registered_on=record.removed_at.date(),
            )
            return super().is_valid()

    monkeypatch.setattr(views, "RegistrationForm", Racing)
    client.force_login(operator)
    response = client.post(
        reverse("moderation:removal_register", args=[record.pk]),
        {"diarienummer": "KS 2026/2", "registered_on": record.removed_at.date().isoformat()},
        follow=True,
    )
    assert response.status_code == 200
    assert "Någon annan registrerade diarienumret nyss" in response.content.decode()
    assert list(Registration.objects.values_list("diarienummer", flat=True)) == ["KS 2026/1"]


@pytest.mark.django_db
def test_an_item_closed_by_someone_else_at_the_same_moment(
    client, account_a, operator, deputy, monkeypatch
):
    item = make_incoming(account_a, operator)

    class Racing(CloseIncomingForm):
        def is_valid(self) -> bool:
            services.close_incoming(
                by=deputy, item=item, outcome="referred", registration_decision="passing"
            )
            return super().is_valid()

    monkeypatch.setattr(views, "CloseIncomingForm", Racing)
    client.force_login(operator)
    response = client.post(
        reverse("moderation:incoming_close", args=[item.pk]),
        {"outcome": "forwarded", "forwarded_to": "Simhallen", "registration_decision": "passing"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Någon annan avslutade ärendet nyss" in response.content.decode()
    item.refresh_from_db()
    assert item.outcome == "referred" and item.closed_by == deputy


@pytest.mark.django_db
def test_an_item_unpublished_by_someone_else_at_the_same_moment(
    client, account_a, operator, deputy, monkeypatch
):
    item = make_incoming(account_a, operator, kind=IncomingItem.Kind.COMMENT)

    class Racing(RemovalForm):
        def is_valid(self) -> bool:
            if self.is_bound:
                make_removal(account_a, deputy, incoming=item)
            return super().is_valid()

    monkeypatch.setattr(views, "RemovalForm", Racing)
    client.force_login(operator)
    data = form_data(account_a, reason=reason("krankande").pk, incoming=item.pk)
    response = client.post(reverse("moderation:removal_create"), data)
    assert response.status_code == 409
    assert "Någon annan avslutade ärendet nyss" in response.content.decode()
    assert RemovedPost.objects.get().removed_by == deputy

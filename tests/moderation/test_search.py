"""Search over records and items: Swedish full-text search on PostgreSQL, a plain match on
SQLite; never by restricted content for those who may not read it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.moderation.conftest import make_incoming, make_removal

pytestmark = pytest.mark.django_db


def test_search_finds_records_and_items(client, account_a, operator):
    record = make_removal(account_a, operator, content="Otrevliga kommentarer om simhallen")
    item = make_incoming(account_a, operator, text="Är simhallen öppen i jul?")
    make_removal(account_a, operator, content="Något helt annat")
    client.force_login(operator)
    response = client.get(reverse("moderation:search"), {"q": "simhallen"})
    assert response.context["removals"] == [record]
    assert response.context["items"] == [item]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Swedish stemming needs PostgreSQL full-text search"
)
def test_postgresql_search_uses_swedish_stemming(client, account_a, operator):
    record = make_removal(account_a, operator, content="Hatiska kommentarer om badhuset")
    client.force_login(operator)
    response = client.get(reverse("moderation:search"), {"q": "kommentarerna"})  # not a substring
    assert response.context["removals"] == [record]


def test_search_outside_scope_finds_nothing(client, account_b, operator_b, operator):
    make_removal(account_b, operator_b, content="Hemtjänstens kommentar")
    client.force_login(operator)
    response = client.get(reverse("moderation:search"), {"q": "Hemtjänstens"})
    assert response.context["removals"] == []

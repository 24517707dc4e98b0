"""The home page shows the incoming items past the response-time rule (MOD-5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.moderation.conftest import make_incoming

pytestmark = pytest.mark.django_db


def _overdue(account, by, text):
    return make_incoming(account, by, received_at=timezone.now() - dt.timedelta(days=10), text=text)


def test_overdue_items_appear_on_the_home_page_of_those_who_see_the_account(
    client, account_a, account_b, operator, manager_b
):
    _overdue(account_a, operator, "Varför är simhallen stängd?")
    client.force_login(operator)
    html = client.get(reverse("home")).content.decode()
    assert "Inkomna frågor som väntat för länge" in html
    assert "Varför är simhallen stängd?" in html
    client.force_login(manager_b)
    html = client.get(reverse("home")).content.decode()
    assert "Varför är simhallen stängd?" not in html


def test_home_page_queries_do_not_grow_with_overdue_items(
    client, account_a, operator, django_assert_max_num_queries
):
    _overdue(account_a, operator, "Första frågan")
    client.force_login(operator)
    client.get(reverse("home"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("home"))
    for n in range(8):
        _overdue(account_a, operator, f"Fråga {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))

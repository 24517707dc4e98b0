"""List pages load a constant number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import ActivityEntry, CredentialHolder, SocialAccount
from tests.factories import SocialAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_accounts(n, department, state=SocialAccount.State.ACTIVE):
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    for _ in range(n):
        owner = UserFactory(departments=[department])
        account = SocialAccountFactory(
            department=department, owner=owner, state=state, deputies=[UserFactory()]
        )
        CredentialHolder.objects.create(account=account, user=owner)
        ActivityEntry.objects.create(account=account, week_start=monday, posts=1, entered_by=owner)


def count(client, django_assert_max_num_queries, url, limit):
    with django_assert_max_num_queries(limit) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("url", "persona"),
    [
        ("/register/", "communications_officer"),
        ("/register/", "manager_a"),
        ("/register/halsa/", "communications_officer"),
        ("/register/att-hantera/", "communications_officer"),
        ("/", "manager_a"),
        ("/kanaler/", None),
        ("/kanaler.json", None),
        ("/register/export.csv", "communications_officer"),
        ("/register/export.xlsx", "archivist"),
    ],
)
def test_list_pages_do_constant_queries(
    client, request, django_assert_max_num_queries, department_a, url, persona
):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    make_accounts(2, department_a)
    make_accounts(1, department_a, SocialAccount.State.SUBMITTED)
    few = count(client, django_assert_max_num_queries, url, 40)
    make_accounts(6, department_a)
    make_accounts(3, department_a, SocialAccount.State.SUBMITTED)
    assert count(client, django_assert_max_num_queries, url, 40) == few


def test_verify_is_a_constant_number_of_queries(client, django_assert_max_num_queries, account_a):
    with django_assert_max_num_queries(3):
        client.get(
            reverse("registry:verify_json"),
            {"url": "https://facebook.com/fritidsfabriken/posts/1/2/3/4/5"},
        )

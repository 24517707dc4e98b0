"""Bad input anywhere gets an answer, never a server error (issue 8).

PostgreSQL refuses NUL in text, so a NUL that reaches a query is a 500 there; these run on
whichever database DATABASE_URL names (CI runs them on PostgreSQL too).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

# Pages that read the query string into a query (search boxes, filters, the verify check).
GET_PAGES = [
    "/kanaler/verifiera/",
    "/kanaler/verifiera.json",
    "/kanaler/",
    "/register/",
    "/moderering/",
    "/moderering/inkommet/",
    "/moderering/sok/",
    "/arkiv/",
    "/admin/accounts/user/",
    "/admin/registry/socialaccount/",
    "/admin/accounts/auditevent/",
]


@pytest.fixture
def staff_client(client, communications_officer):
    client.force_login(communications_officer)
    return client


@pytest.mark.parametrize("path", GET_PAGES)
@pytest.mark.parametrize(
    "query",
    ["q=a%00b", "url=https://facebook.com/%00", "a%00=1", "state=%00&kind=%00&period=%00"],
)
def test_nul_in_the_query_string_is_a_bad_request(staff_client, path, query):
    response = staff_client.get(f"{path}?{query}")
    assert response.status_code == 400


def test_nul_in_a_posted_field_is_a_bad_request(client, django_user_model):
    response = client.post(reverse("login"), {"username": "a\x00@nykvarn.se", "password": "x"})
    assert response.status_code == 400
    response = client.post(reverse("login"), {"user\x00name": "a@nykvarn.se", "password": "x"})
    assert response.status_code == 400
    response = client.post(reverse("password_reset"), {"email": "anna@nykvarn.se\x00"})
    assert response.status_code == 400


def test_nul_in_a_cookie_is_a_bad_request(client):
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/register/").status_code == 400


def test_ordinary_input_still_works(staff_client, communications_officer):
    assert staff_client.get("/moderering/sok/?q=Fritidsfabriken").status_code == 200
    assert staff_client.get("/kanaler/verifiera/?url=facebook.com/x").status_code == 200
    staff_client.logout()
    response = staff_client.post(
        reverse("login"), {"username": communications_officer.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


# --- the admin's date hierarchy ------------------------------------------------------------


def date_hierarchy_changelists() -> list[tuple[str, str]]:
    """Return (changelist URL, field) of every registered admin with a date hierarchy."""
    from django.contrib import admin

    return [
        (
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
            model_admin.date_hierarchy,
        )
        for model, model_admin in admin.site._registry.items()
        if model_admin.date_hierarchy
    ]


def test_the_date_hierarchies_are_all_found():
    fields = {url: field for url, field in date_hierarchy_changelists()}
    assert fields["/admin/accounts/auditevent/"] == "created_at"
    assert fields["/admin/moderation/removedpost/"] == "removed_at"
    assert fields["/admin/archive/snapshot/"] == "created_at"
    assert len(fields) >= 8  # ours, django-axes' and django-celery-beat's


@pytest.mark.parametrize(
    "params",
    [
        "{f}__year=99999999",
        "{f}__year=abc",
        "{f}__year=2026&{f}__month=13",
        "{f}__year=2026&{f}__month=2&{f}__day=99",
        "{f}__year=2026&{f}__month=abc",
        "{f}__year=9999",
        "{f}__year=9999&{f}__month=12",
        "{f}__year=9999&{f}__month=12&{f}__day=31",
        "{f}__year=1",
        "{f}__year=-1",
        "{f}__year=0",
        "{f}__month=13",
        "{f}__month=abc",
        "{f}__day=99",
        "{f}__year__gte=99999999",
        "{f}__year=2026&{f}__year=99999999",
    ],
)
def test_a_malformed_date_in_any_date_hierarchy_is_refused(staff_client, params):
    failures = []
    for url, field in date_hierarchy_changelists():
        response = staff_client.get(f"{url}?{params.format(f=field)}")
        if response.status_code != 400:
            failures.append((url, response.status_code))
    assert failures == []


def test_a_real_date_in_the_date_hierarchy_still_filters(staff_client):
    for url, field in date_hierarchy_changelists():
        response = staff_client.get(f"{url}?{field}__year=2026&{field}__month=7&{field}__day=1")
        assert response.status_code == 200, url

"""Pages shown to signed-in staff are never kept by a shared or browser cache (issue 8)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/register/", "/admin/"])
def test_staff_pages_are_private_and_not_stored(client, communications_officer, path):
    client.force_login(communications_officer)
    response = client.get(path)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


def test_the_account_page_with_its_removals_is_not_stored(client, manager_a, account_a):
    client.force_login(manager_a)
    response = client.get(account_a.get_absolute_url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_public_list_keeps_its_own_caching(client, communications_officer):
    client.force_login(communications_officer)
    response = client.get("/kanaler.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"

"""What a browser may send the archive's pages: never a 500, and files never cached."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db

JUNK_IDS = ["abc", "1.5", "-3", "0", "99999999999999999999", "2147483648", "1e5", "\x00"]


@pytest.mark.parametrize("value", JUNK_IDS)
@pytest.mark.parametrize("field", ["office", "department", "account"])
def test_list_filters_refuse_junk_ids_without_a_500(client, archivist, field, value):
    client.force_login(archivist)
    response = client.get(reverse("archive:list"), {field: value})
    if value == "\x00":
        assert response.status_code == 400  # refused before any view (NUL in a query)
        return
    assert response.status_code == 200
    assert "giltig" in response.content.decode()


@pytest.mark.parametrize("period", ["2026-H1\x00", "x" * 5000, "2026-H1'; --"])
def test_filters_and_zip_take_any_period_without_a_500(client, archivist, account_a, period):
    stored_snapshot(account_a)
    client.force_login(archivist)
    assert client.get(reverse("archive:list"), {"period": period}).status_code in (200, 400)
    office = account_a.department.parent_id
    response = client.get(reverse("archive:office_zip"), {"office": office, "period": period})
    assert response.status_code in (302, 400, 404)


def test_zip_of_a_period_without_files_is_refused_with_a_message(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    client.force_login(archivist)
    office = account_a.department.parent_id
    response = client.get(
        reverse("archive:office_zip"), {"office": office, "period": "1999-H1"}, follow=True
    )
    assert response.redirect_chain and response["Content-Type"].startswith("text/html")
    assert "Inga lagrade uttag för kontoret och perioden 1999-H1." in response.content.decode()
    assert snapshot.download_name not in response.content.decode()


@pytest.mark.parametrize("name", ["detail", "download", "retry", "upload"])
def test_snapshot_ids_beyond_the_column_are_404(client, archivist, name):
    client.force_login(archivist)
    url = reverse(f"archive:{name}", args=[99999999999999999999])
    response = client.post(url) if name in ("retry", "upload") else client.get(url)
    assert response.status_code == 404


def test_request_for_an_account_id_beyond_the_column_is_404(client, operator):
    client.force_login(operator)
    url = reverse("archive:request", args=[99999999999999999999])
    assert client.post(url, {"context": "change"}).status_code == 404


def test_files_and_pages_showing_them_are_never_cached(client, archivist, account_a):
    snapshot = stored_snapshot(account_a)
    client.force_login(archivist)
    office = account_a.department.parent_id
    responses = [
        client.get(reverse("archive:download", args=[snapshot.pk])),
        client.get(reverse("archive:office_zip"), {"office": office, "period": snapshot.period}),
        client.get(reverse("archive:list")),
        client.get(reverse("archive:detail", args=[snapshot.pk])),
        client.get(reverse("archive:missing")),
    ]
    for response in responses:
        assert response.status_code == 200
        cache_control = response["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, response.request

"""Search over archived text (issue 10, "Captures that are complete and searchable"): each
stored file's text is indexed after it is stored, found by a word, in the user's scope."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from archive import search
from archive.models import ArchivedText, Snapshot
from nykvarn_sm.lib import pdfa
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db

PAGE = (
    "<h1>Fritidsfabriken</h1><p>Välkommen till ÖSTERGÅRDENS sommarläger.</p>"
    "<p>Kommentarerna handlar om räksmörgåsar och ölandsbron.</p>"
)


def _search(client, query, **params):
    return client.get(reverse("archive:search"), {"q": query, **params})


def _indexed(account, html=PAGE, **kwargs):
    snapshot = stored_snapshot(account, html=html, **kwargs)
    assert search.index_snapshot(snapshot.pk) is not None
    return snapshot


def _text_row(account, n, text):
    """A stored snapshot row with its text, without rendering a file (for counting)."""
    snapshot = Snapshot.objects.create(
        account=account,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=account.url,
        status=Snapshot.Status.STORED,
        file_name=f"Kultur/fil {n}.pdf",
        sha256=hashlib.sha256(str(n).encode()).hexdigest(),
        size=1,
        stored_at=timezone.now(),
        captured_at=timezone.now(),
    )
    ArchivedText.objects.create(
        snapshot=snapshot, sha256=snapshot.sha256, text=text, folded=search.fold(text)
    )
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchVector

        ArchivedText.objects.filter(pk=snapshot.pk).update(
            search_vector=SearchVector("text", config="swedish")
        )
    return snapshot


def test_a_word_from_a_stored_capture_is_found(client, archivist, account_a):
    snapshot = _indexed(account_a)
    row = ArchivedText.objects.get(snapshot=snapshot)
    assert row.sha256 == snapshot.sha256
    assert "sommarläger" in row.text
    client.force_login(archivist)
    response = _search(client, "sommarläger")
    assert response.status_code == 200
    page = response.content.decode()
    assert snapshot.get_absolute_url() in page
    assert "<mark>sommarläger</mark>" in page


@pytest.mark.parametrize("query", ["östergårdens", "ÖSTERGÅRDENS", "Östergårdens", "ÖLANDSBRON"])
def test_swedish_letters_match_in_either_case(client, archivist, account_a, query):
    snapshot = _indexed(account_a)
    client.force_login(archivist)
    page = _search(client, query).content.decode()
    assert snapshot.get_absolute_url() in page
    assert "1 träff" in page


def test_a_word_not_there_finds_nothing(client, archivist, account_a):
    snapshot = _indexed(account_a)
    client.force_login(archivist)
    page = _search(client, "kanotpaddling").content.decode()
    assert snapshot.get_absolute_url() not in page
    assert "0 träffar" in page


@pytest.mark.postgres
def test_swedish_stemming_on_postgresql(client, archivist, account_a):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's Swedish configuration")
    snapshot = _indexed(account_a)
    client.force_login(archivist)
    # "kommentarer" finds "Kommentarerna"; "räksmörgås" finds "räksmörgåsar".
    for query in ["kommentarer", "räksmörgås", "ÖLANDSBRON"]:
        assert snapshot.get_absolute_url() in _search(client, query).content.decode(), query


def test_indexing_is_queued_when_a_file_is_stored(
    account_a, django_capture_on_commit_callbacks, settings, monkeypatch
):
    """render_and_store publishes the indexing after its commit; the worker reads the file."""
    from archive import capture as capturing
    from archive import services
    from archive.tasks import index_archived_text

    settings.TSA_URL = ""
    sent = []
    monkeypatch.setattr(index_archived_text, "apply_async", lambda args, **kw: sent.append(args[0]))
    snapshot = Snapshot.objects.create(
        account=account_a,
        period="2026-H2",
        context=Snapshot.Context.MANUAL,
        source_url=account_a.url,
        requested_via="test",
    )
    assert services.claim(snapshot.pk)
    snapshot = Snapshot.objects.select_related(
        "account__platform", "account__department__parent"
    ).get(pk=snapshot.pk)
    html = (
        "<!DOCTYPE html><html lang=sv><head><meta charset=utf-8><title>t</title></head>"
        f"<body>{PAGE}</body></html>"
    )
    page = capturing.Capture(
        method="fallback",
        captured_at=timezone.now(),
        final_url=account_a.url,
        http_status=200,
        title=account_a.name,
        html=html,
        raw_sha256=hashlib.sha256(html.encode()).hexdigest(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.render_and_store(snapshot, page)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED
    assert sent == [snapshot.pk]
    # The worker, run twice (delivery is at least once), indexes once.
    assert index_archived_text(snapshot.pk) is True
    assert index_archived_text(snapshot.pk) is True
    assert ArchivedText.objects.filter(snapshot=snapshot).count() == 1
    assert "ÖSTERGÅRDENS" in ArchivedText.objects.get(snapshot=snapshot).text


def test_the_sweep_indexes_what_was_missed(account_a, monkeypatch):
    from archive.tasks import index_archived_text, index_archived_texts

    monkeypatch.setattr(
        index_archived_text, "apply_async", lambda args, **kw: index_archived_text(*args)
    )
    snapshot = stored_snapshot(account_a, html=PAGE)
    assert list(search.unindexed()) == [snapshot]
    assert index_archived_texts() == 1
    assert ArchivedText.objects.filter(snapshot=snapshot).exists()
    assert list(search.unindexed()) == []
    assert index_archived_texts() == 0


def test_a_changed_file_is_not_indexed(account_a):
    from django.core.files.storage import storages

    snapshot = stored_snapshot(account_a, html=PAGE)
    with open(storages["archive"].path(snapshot.file_name), "r+b") as handle:
        handle.seek(200)
        handle.write(b"X")
    assert search.index_snapshot(snapshot.pk) is None
    assert not ArchivedText.objects.exists()


def test_the_text_layer_of_an_uploaded_pdf_is_read():
    data = pdfa.render_pdfa("<p>Skärmbild från Östergården</p>", title="t", author="t")
    assert "Östergården" in search.extract_text(data)


def test_disposed_and_failed_snapshots_are_not_found(client, archivist, account_a):
    snapshot = _indexed(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(status=Snapshot.Status.DISPOSED)
    client.force_login(archivist)
    assert snapshot.get_absolute_url() not in _search(client, "sommarläger").content.decode()
    assert search.index_snapshot(snapshot.pk) is None


# --- scope and permissions ----------------------------------------------------------------------


def test_search_is_scoped_like_the_archive_list(client, manager_a, manager_b, account_a, account_b):
    mine = _text_row(account_a, 1, "Ölandsbron i Fritidsfabriken")
    theirs = _text_row(account_b, 2, "Ölandsbron i Hemtjänsten")
    client.force_login(manager_a)
    page = _search(client, "ölandsbron").content.decode()
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() not in page
    client.force_login(manager_b)
    page = _search(client, "ölandsbron").content.decode()
    assert theirs.get_absolute_url() in page and mine.get_absolute_url() not in page


@pytest.mark.parametrize("persona", ["operator", "outsider"])
def test_search_is_refused_to_those_without_the_archive(client, request, account_a, persona):
    _text_row(account_a, 1, "Ölandsbron")
    client.force_login(request.getfixturevalue(persona))
    assert _search(client, "ölandsbron").status_code == 403


def test_search_needs_a_login(client):
    response = _search(client, "ölandsbron")
    assert response.status_code == 302 and "login" in response["Location"]


def test_search_pages_in_a_constant_number_of_queries(
    client, archivist, account_a, django_assert_max_num_queries
):
    client.force_login(archivist)
    _text_row(account_a, 0, "Östergården")
    client.get(reverse("archive:list"))  # warm the session and the user's roles
    with django_assert_max_num_queries(8):
        assert _search(client, "östergården").status_code == 200
    for n in range(1, 45):
        _text_row(account_a, n, f"Östergården, inlägg {n}")
    with django_assert_max_num_queries(8):
        response = _search(client, "östergården")
    page = response.content.decode()
    assert "45 träffar" in page and "Sida 1 av 3" in page
    assert page.count("<mark>") >= 20
    with django_assert_max_num_queries(8):
        assert _search(client, "östergården", page="3").status_code == 200


@pytest.mark.parametrize(
    "query", ["", "   ", "x" * 201, "a\x00b", "'\"<script>", "-", "!!! ||| &&", "ö" * 200]
)
def test_odd_queries_answer_without_a_500(client, archivist, account_a, query):
    _text_row(account_a, 1, "Ölandsbron <script>")
    client.force_login(archivist)
    response = _search(client, query, page="nonsense")
    if "\x00" in query:
        assert response.status_code == 400  # the site refuses NUL in any parameter
        return
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("</h1>", 1)[1].replace(
        "&lt;script&gt;", ""
    )

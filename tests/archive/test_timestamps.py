"""Trusted timestamps (RFC 3161) for every stored archive file, from a real local TSA.

The TSA is `openssl ts -reply` behind a small HTTP server on 127.0.0.1 (tests/tsa.py); no
part of the protocol is mocked.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from archive import services
from archive import tasks as archive_tasks
from archive.capture import Capture
from archive.models import Snapshot
from nykvarn_sm.lib.timestamps import verify_timestamp
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db


def _store(account) -> Snapshot:
    """Store a snapshot the way a worker does (claimed, rendered, validated, stored)."""
    snapshot = Snapshot.objects.create(
        account=account,
        period="2026-H1",
        context=Snapshot.Context.MANUAL,
        source_url=account.url,
        status=Snapshot.Status.CAPTURING,
        attempts=1,
    )
    html = f"<!doctype html><html lang=sv><head><title>{account.name}</title></head>"
    html += "<body><h1>Räksmörgås</h1></body></html>"
    page = Capture(
        method="fallback",
        captured_at=timezone.now(),
        final_url=account.url,
        http_status=200,
        title=account.name,
        html=html,
        raw_sha256=hashlib.sha256(html.encode()).hexdigest(),
    )
    snapshot = Snapshot.objects.select_related(
        "account__platform", "account__department__parent", "requested_by"
    ).get(pk=snapshot.pk)
    return services.render_and_store(snapshot, page).snapshot


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """The broker, as far as the timestamp task goes: the snapshot ids sent to it."""
    from nykvarn_sm.celery import app

    messages: list[int] = []
    task = app.tasks[archive_tasks.timestamp_snapshot.name]
    monkeypatch.setattr(
        task, "apply_async", lambda args=(), kwargs=None, **options: messages.append(*args)
    )
    return messages


def test_stored_file_is_timestamped_by_the_worker_after_commit(
    tsa, account_a, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = _store(account_a)
        # Nothing is asked of the TSA, nor sent to the broker, inside the transaction.
        assert tsa.queries == [] and sent == []
    assert snapshot.status == Snapshot.Status.STORED
    assert snapshot.timestamp_status == Snapshot.TimestampStatus.PENDING
    assert sent == [snapshot.pk]

    before = timezone.now().replace(microsecond=0)
    archive_tasks.timestamp_snapshot.apply(args=sent)  # what the worker runs

    snapshot.refresh_from_db()
    assert snapshot.timestamp_status == Snapshot.TimestampStatus.STAMPED
    assert snapshot.timestamp_tsa == tsa.url
    assert before <= snapshot.timestamp_at <= timezone.now() + dt.timedelta(seconds=1)
    stamp = verify_timestamp(bytes(snapshot.timestamp_token), snapshot.sha256)
    assert stamp.gen_time == snapshot.timestamp_at
    assert AuditEvent.objects.filter(
        action="archive.timestamped", target_id=str(snapshot.pk)
    ).exists()


def test_timestamp_task_run_twice_stamps_once(tsa, account_a):
    snapshot = stored_snapshot(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING
    )
    archive_tasks.timestamp_snapshot.apply(args=[snapshot.pk])
    snapshot.refresh_from_db()
    token = bytes(snapshot.timestamp_token)
    archive_tasks.timestamp_snapshot.apply(args=[snapshot.pk])
    snapshot.refresh_from_db()
    assert bytes(snapshot.timestamp_token) == token
    assert len(tsa.queries) == 1
    assert AuditEvent.objects.filter(action="archive.timestamped").count() == 1


def test_unreachable_tsa_is_retried_until_it_answers(tsa, account_a):
    snapshot = stored_snapshot(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING
    )
    tsa.set_mode("down")
    outcome = services.timestamp_snapshot(snapshot.pk)
    assert outcome.retry_in is not None and outcome.retry_in > 0
    snapshot.refresh_from_db()
    assert snapshot.timestamp_status == Snapshot.TimestampStatus.PENDING
    assert snapshot.timestamp_token is None
    assert "kunde inte nås" in snapshot.timestamp_error
    assert snapshot.timestamp_attempts == 1

    tsa.set_mode("error", status=503)
    assert services.timestamp_snapshot(snapshot.pk).retry_in is not None

    tsa.set_mode("up")
    assert services.timestamp_snapshot(snapshot.pk).retry_in is None
    snapshot.refresh_from_db()
    assert snapshot.timestamp_status == Snapshot.TimestampStatus.STAMPED
    assert snapshot.timestamp_error == ""
    verify_timestamp(bytes(snapshot.timestamp_token), snapshot.sha256)


def test_invalid_token_is_a_permanent_error_shown_on_the_page(tsa, account_a, client, archivist):
    snapshot = stored_snapshot(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING
    )
    # A real token, but issued for an earlier query: its nonce is not ours.
    services.timestamp_snapshot(stored_snapshot(account_a, period="2025-H2").pk)
    tsa.set_mode("replay")
    outcome = services.timestamp_snapshot(snapshot.pk)
    assert outcome.retry_in is None
    snapshot.refresh_from_db()
    assert snapshot.timestamp_status == Snapshot.TimestampStatus.INVALID
    assert snapshot.timestamp_token is None
    assert snapshot.timestamp_error

    # Not retried: a second delivery asks the TSA nothing more.
    asked = len(tsa.queries)
    services.timestamp_snapshot(snapshot.pk)
    assert len(tsa.queries) == asked

    client.force_login(archivist)
    page = client.get(reverse("archive:detail", args=[snapshot.pk])).content.decode()
    assert "Tidsstämpel" in page and "ogiltig" in page


def test_page_shows_time_tsa_and_status(tsa, account_a, client, archivist):
    snapshot = stored_snapshot(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING
    )
    client.force_login(archivist)
    page = client.get(reverse("archive:detail", args=[snapshot.pk])).content.decode()
    assert "Väntar på tidsstämpel" in page

    services.timestamp_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    page = client.get(reverse("archive:detail", args=[snapshot.pk])).content.decode()
    local = timezone.localtime(snapshot.timestamp_at)
    assert f"{local:%Y-%m-%d %H:%M:%S}" in page
    assert tsa.url in page
    assert "Tidsstämplad" in page


def test_with_tsa_off_nothing_is_requested_and_the_page_says_so(
    settings, account_a, client, archivist, sent, django_capture_on_commit_callbacks
):
    settings.TSA_URL = ""
    settings.TSA_CA_FILE = ""
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = _store(account_a)
    assert sent == []
    assert snapshot.timestamp_status == ""
    assert services.queue_missing_timestamps() == 0
    # A task that was queued before the TSA was turned off does nothing.
    assert services.timestamp_snapshot(snapshot.pk).retry_in is None
    snapshot.refresh_from_db()
    assert snapshot.timestamp_status == "" and snapshot.timestamp_token is None

    client.force_login(archivist)
    page = client.get(reverse("archive:detail", args=[snapshot.pk])).content.decode()
    assert "Tidsstämpling är avstängd" in page


def test_sweep_stamps_existing_files_and_heals_lost_messages(tsa, account_a, account_b, sent):
    old = stored_snapshot(account_a)  # stored before timestamps were turned on
    lost = stored_snapshot(account_b)
    Snapshot.objects.filter(pk=lost.pk).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING,
        timestamp_tried_at=timezone.now() - dt.timedelta(hours=3),
    )
    recent = stored_snapshot(account_b, period="2025-H2")
    # Tried a minute ago: its own retries are under way, the sweep leaves it be.
    Snapshot.objects.filter(pk=recent.pk).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING, timestamp_tried_at=timezone.now()
    )
    assert archive_tasks.timestamp_sweep() == 2
    assert sorted(sent) == sorted([old.pk, lost.pk])
    old.refresh_from_db()
    assert old.timestamp_status == Snapshot.TimestampStatus.PENDING
    for pk in sent:
        archive_tasks.timestamp_snapshot.apply(args=[pk])
    assert set(
        Snapshot.objects.filter(timestamp_status=Snapshot.TimestampStatus.STAMPED).values_list(
            "pk", flat=True
        )
    ) == {old.pk, lost.pk}
    # Stamped ones are not queued again.
    sent.clear()
    assert services.queue_missing_timestamps() == 0 and sent == []


def test_broker_down_after_storing_keeps_the_snapshot_and_the_sweep_heals_it(
    tsa, account_a, monkeypatch, django_capture_on_commit_callbacks
):
    from nykvarn_sm.celery import app

    task = app.tasks[archive_tasks.timestamp_snapshot.name]

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(task, "apply_async", refused)
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = _store(account_a)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED
    assert snapshot.timestamp_status == Snapshot.TimestampStatus.PENDING
    # An hour on, the broker back: the sweep sends it.
    queue: list[int] = []
    monkeypatch.setattr(task, "apply_async", lambda args=(), **options: queue.append(*args))
    assert services.queue_missing_timestamps() == 0  # the first message may still come
    Snapshot.objects.filter(pk=snapshot.pk).update(stored_at=timezone.now() - dt.timedelta(hours=2))
    assert services.queue_missing_timestamps() == 1 and queue == [snapshot.pk]


def test_a_file_that_no_longer_matches_is_not_stamped(tsa, account_a):
    from django.core.files.storage import storages

    snapshot = stored_snapshot(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        timestamp_status=Snapshot.TimestampStatus.PENDING
    )
    with open(storages["archive"].path(snapshot.file_name), "ab") as handle:
        handle.write(b"\n% tampered")
    assert services.timestamp_snapshot(snapshot.pk).retry_in is None
    snapshot.refresh_from_db()
    assert tsa.queries == []
    assert snapshot.timestamp_status == Snapshot.TimestampStatus.INVALID
    assert snapshot.fixity_ok is False

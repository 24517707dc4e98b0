"""The chain heads are anchored outside the database every day (issue 9, "Every change is
detected"): the count and head hash, stamped by a real local RFC 3161 TSA (tests/tsa.py),
kept and e-mailed to the archivists; verification compares the log with every anchor."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from django.core import mail

from accounts.models import AuditEvent
from moderation import services, tasks
from moderation.models import ChainAnchor, ChainHead, RemovedPost
from nykvarn_sm.lib import timestamps
from tests.moderation.conftest import make_removal, tamper

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 30)


def _anchor(day: dt.date = DAY) -> ChainAnchor:
    services.anchor_chains(day)
    return ChainAnchor.objects.select_related("chain").get(
        anchored_on=day, chain__kind=ChainHead.Kind.REMOVALS
    )


def _send(anchor: ChainAnchor, capture) -> None:
    with capture(execute=True):
        tasks.stamp_anchor.apply(args=[anchor.pk]).get()


def test_the_daily_anchor_is_timestamped_and_sent_to_the_archivists(
    tsa, account_a, operator, archivist, django_capture_on_commit_callbacks
):
    make_removal(account_a, operator)
    last = make_removal(account_a, operator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as queued:
        made = services.anchor_chains(DAY)
    assert [a.position for a in made] == [2] and len(queued) == 1
    anchor = made[0]
    assert anchor.head_hash == last.record_hash
    assert anchor.digest == hashlib.sha256(anchor.statement().encode()).hexdigest()

    _send(anchor, django_capture_on_commit_callbacks)
    anchor.refresh_from_db()
    assert anchor.token is not None and anchor.mailed_at is not None
    stamp = timestamps.verify_timestamp(bytes(anchor.token), anchor.digest)
    assert anchor.timestamped_at == stamp.gen_time and anchor.tsa_serial == str(stamp.serial)
    assert [m.to for m in mail.outbox] == [[archivist.email]]
    body = mail.outbox[0].body
    assert f"antal: 2\nhuvud: {last.record_hash}" in body
    assert anchor.digest in body
    # The token in the e-mail is the stored one: the archivists can check it without us.
    assert base64.encodebytes(bytes(anchor.token)).decode() in body
    assert AuditEvent.objects.filter(action="moderation.chain_anchored").count() == 1
    assert services.verify_chain().ok


def test_anchoring_twice_the_same_day_makes_one_anchor_and_one_e_mail(
    tsa, account_a, operator, archivist, django_capture_on_commit_callbacks
):
    make_removal(account_a, operator)
    anchor = _anchor()
    assert services.anchor_chains(DAY) == []
    mail.outbox.clear()
    _send(anchor, django_capture_on_commit_callbacks)
    _send(anchor, django_capture_on_commit_callbacks)
    assert ChainAnchor.objects.filter(chain=anchor.chain).count() == 1
    assert len(mail.outbox) == 1 and len(tsa.queries) == 1


def test_the_anchor_waits_for_the_tsa_while_it_is_unreachable(
    tsa, account_a, operator, archivist, django_capture_on_commit_callbacks
):
    make_removal(account_a, operator)
    anchor = _anchor()
    tsa.set_mode("down")
    mail.outbox.clear()
    with pytest.raises(timestamps.TSAUnavailable), django_capture_on_commit_callbacks(execute=True):
        services.stamp_anchor(anchor.pk)
    anchor.refresh_from_db()
    assert anchor.token is None and anchor.mailed_at is None and mail.outbox == []
    # The next day's run queues the anchor that was not sent again.
    with django_capture_on_commit_callbacks() as queued:
        services.anchor_chains(DAY + dt.timedelta(days=1))
    assert len(queued) == 2  # yesterday's anchor and today's
    tsa.set_mode("up")
    _send(anchor, django_capture_on_commit_callbacks)
    anchor.refresh_from_db()
    assert anchor.token is not None and anchor.timestamp_error == ""
    assert len(mail.outbox) == 1


def test_an_anchor_goes_out_without_a_token_when_the_tsa_stays_away(
    tsa, account_a, operator, archivist, django_capture_on_commit_callbacks
):
    make_removal(account_a, operator)
    anchor = _anchor()
    tsa.set_mode("down")
    mail.outbox.clear()
    # Eager: every retry runs at once; after the last one the anchor is sent anyway.
    _send(anchor, django_capture_on_commit_callbacks)
    anchor.refresh_from_db()
    assert anchor.token is None and anchor.mailed_at is not None
    assert "kunde inte nås" in anchor.timestamp_error
    assert len(tsa.queries) == 0 and len(mail.outbox) == 1
    assert "Ingen tidsstämpel kunde hämtas" in mail.outbox[0].body


def test_without_a_tsa_the_anchor_is_still_recorded_and_sent(
    settings, account_a, operator, archivist, django_capture_on_commit_callbacks
):
    settings.TSA_URL = ""
    make_removal(account_a, operator)
    anchor = _anchor()
    mail.outbox.clear()
    _send(anchor, django_capture_on_commit_callbacks)
    anchor.refresh_from_db()
    assert anchor.token is None and anchor.mailed_at is not None
    assert len(mail.outbox) == 1 and anchor.head_hash in mail.outbox[0].body
    assert "Ingen tidsstämplingstjänst är inställd" in mail.outbox[0].body


def _problems() -> str:
    report = services.verify_chain()
    assert not report.ok
    return report.message


def test_a_tail_cut_back_to_an_old_head_is_caught_by_the_anchor(settings, account_a, operator):
    settings.TSA_URL = ""
    make_removal(account_a, operator)
    # The forger kept a copy of the head as it was (sealed, from a backup).
    old_head = ChainHead.objects.values().get(kind=ChainHead.Kind.REMOVALS)
    make_removal(account_a, operator)
    last = make_removal(account_a, operator)
    _anchor()
    tamper("DELETE FROM moderation_removedpost WHERE position > 1")
    tamper(
        "UPDATE moderation_chainhead SET position = %s, last_hash = %s, head_key_id = %s, "
        "head_mac = %s WHERE id = %s",
        [
            old_head["position"],
            old_head["last_hash"],
            old_head["head_key_id"],
            old_head["head_mac"],
            old_head["id"],
        ],
    )
    assert RemovedPost.objects.filter(pk=last.pk).count() == 0
    message = _problems()
    assert "har 1 poster men hade 3 när den förankrades 2026-11-30" in message
    # The head itself is a genuine sealed head: only the anchor can tell.
    assert "kedjans huvud" not in message.lower()


def test_a_rewrite_of_an_anchored_record_is_caught_even_with_the_key(settings, account_a, operator):
    """Someone who holds the chain key as well can recompute the chain; the anchor,
    held outside the database, still shows the rewrite."""
    settings.TSA_URL = ""
    victim = make_removal(account_a, operator, content="Originaltext")
    _anchor()
    victim = RemovedPost.objects.select_related("chain", "reason").get(pk=victim.pk)
    victim.content = "Snällare text"
    new_hash = victim.compute_hash([])
    head = ChainHead.objects.get(kind=ChainHead.Kind.REMOVALS)
    tamper(
        "UPDATE moderation_removedpost SET content = %s, record_hash = %s WHERE id = %s",
        [victim.content, new_hash, victim.pk],
    )
    tamper(
        "UPDATE moderation_chainhead SET last_hash = %s, head_mac = %s WHERE id = %s",
        [new_hash, head.sealed_head(position=1, last_hash=new_hash)["head_mac"], head.pk],
    )
    assert "Post 1 i kedjan (Borttagna inlägg) är inte den som förankrades 2026-11-30" in (
        _problems()
    )


def test_a_changed_anchor_is_reported(tsa, account_a, operator, django_capture_on_commit_callbacks):
    make_removal(account_a, operator)
    make_removal(account_a, operator)
    anchor = _anchor()
    _send(anchor, django_capture_on_commit_callbacks)
    assert services.verify_chain().ok
    # Lower the anchored count, as if the log had been shorter that day.
    tamper("UPDATE moderation_chainanchor SET position = 1 WHERE id = %s", [anchor.pk])
    message = _problems()
    assert "Förankringen 2026-11-30 (Borttagna inlägg) har ändrats" in message
    assert "Tidsstämpeln för förankringen 2026-11-30 (Borttagna inlägg) godtas inte" in message


def test_a_foreign_token_on_an_anchor_is_reported(
    tsa, account_a, operator, django_capture_on_commit_callbacks
):
    make_removal(account_a, operator)
    anchor = _anchor()
    _send(anchor, django_capture_on_commit_callbacks)
    # A genuine token, but over another digest.
    other = timestamps.request_timestamp(hashlib.sha256(b"something else").hexdigest())
    tamper("UPDATE moderation_chainanchor SET token = %s WHERE id = %s", [other.token, anchor.pk])
    assert "Tidsstämpeln för förankringen 2026-11-30 (Borttagna inlägg) godtas inte" in (
        _problems()
    )


def test_the_daily_anchor_task_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="moderation.tasks.anchor_log").exists()

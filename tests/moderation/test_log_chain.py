"""The removal log loses nothing: hash chain, verify command, daily check, triggers (MOD-1)."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from moderation import services
from moderation.models import ChainHead, Evidence, LogCheck, RemovedPost
from tests.moderation.conftest import make_removal

pytestmark = pytest.mark.django_db


def test_records_form_one_chain_each_following_the_last(account_a, account_b, operator, operator_b):
    first = make_removal(account_a, operator)
    second = make_removal(account_b, operator_b)
    assert (first.position, second.position) == (1, 2)
    assert first.previous_hash == "0" * 64
    assert second.previous_hash == first.record_hash
    head = ChainHead.objects.get()
    assert (head.position, head.last_hash) == (2, second.record_hash)
    assert services.verify_chain().ok


def test_verify_command_exits_zero_when_the_chain_holds(account_a, operator):
    make_removal(account_a, operator)
    out = StringIO()
    call_command("verify_moderation_log", stdout=out)
    assert "1 records verified" in out.getvalue()


def _tamper(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The append-only triggers would refuse; an attacker with the database owner's
            # rights can switch them off, and the chain must still tell.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_chain_check_catches_a_row_changed_with_raw_sql(account_a, operator):
    make_removal(account_a, operator)
    victim = make_removal(account_a, operator, content="Originaltext")
    make_removal(account_a, operator)
    with transaction.atomic():
        _tamper(
            "UPDATE moderation_removedpost SET content = %s WHERE id = %s",
            ["Snällare text", victim.pk],
        )
    report = services.verify_chain()
    assert not report.ok and report.broken.pk == victim.pk
    with pytest.raises(CommandError, match=f"Post {victim.pk} "):
        call_command("verify_moderation_log", stdout=StringIO())


def test_chain_check_catches_a_deleted_row(account_a, operator):
    make_removal(account_a, operator)
    victim = make_removal(account_a, operator)
    following = make_removal(account_a, operator)
    with transaction.atomic():
        _tamper("DELETE FROM moderation_removedpost WHERE id = %s", [victim.pk])
    report = services.verify_chain()
    assert not report.ok and report.broken.pk == following.pk


def test_chain_check_catches_a_swapped_evidence_file_hash(account_a, operator):
    shot = SimpleUploadedFile("skarmdump.png", b"\x89PNG fake image bytes", "image/png")
    record = make_removal(account_a, operator, evidence=[shot])
    evidence = Evidence.objects.get(removed_post=record)
    with transaction.atomic():
        _tamper("UPDATE moderation_evidence SET sha256 = %s WHERE id = %s", ["f" * 64, evidence.pk])
    assert not services.verify_chain().ok


def test_evidence_is_stored_with_its_sha256_and_never_overwritten(account_a, operator):
    import hashlib

    data = b"the same screenshot"
    first = make_removal(
        account_a, operator, evidence=[SimpleUploadedFile("a.png", data, "image/png")]
    )
    second = make_removal(
        account_a, operator, evidence=[SimpleUploadedFile("a.png", data, "image/png")]
    )
    e1, e2 = Evidence.objects.get(removed_post=first), Evidence.objects.get(removed_post=second)
    assert e1.sha256 == e2.sha256 == hashlib.sha256(data).hexdigest()
    assert e1.file.name != e2.file.name  # the second upload got its own file
    assert e1.file.read() == data


def test_daily_check_alerts_the_communications_office_once(
    account_a, operator, communications_officer, django_capture_on_commit_callbacks
):
    record = make_removal(account_a, operator)
    with transaction.atomic():
        _tamper(
            "UPDATE moderation_removedpost SET motivation = %s WHERE id = %s", ["ändrad", record.pk]
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        check = services.daily_chain_check()
    assert check is not None and not check.ok and check.broken_record_id == record.pk
    assert [m.to for m in mail.outbox] == [[communications_officer.email]]
    assert "ändring" in mail.outbox[0].body
    # Safe to run twice: the second run the same day does nothing.
    assert services.daily_chain_check() is None
    assert len(mail.outbox) == 1 and LogCheck.objects.count() == 1


def test_daily_task_records_an_intact_chain(account_a, operator, communications_officer):
    from moderation.tasks import verify_log

    make_removal(account_a, operator)
    mail.outbox.clear()
    assert verify_log() is True
    assert LogCheck.objects.get().ok and mail.outbox == []


def test_corrections_are_new_records_linked_to_the_original(account_a, operator):
    original = make_removal(account_a, operator, content="Fel text")
    corrected = services.correct_removal(
        by=operator,
        record=original,
        correction_note="Texten var felkopierad",
        changes={"content": "Rätt text"},
    )
    original.refresh_from_db()
    assert original.content == "Fel text"
    assert corrected.corrects == original and corrected.original == original
    assert corrected.position == original.position + 1
    assert list(RemovedPost.objects.current()) == [corrected]
    with pytest.raises(ValueError):
        services.correct_removal(by=operator, record=original, correction_note="igen", changes={})
    assert services.verify_chain().ok


def test_advertising_is_logged_without_its_content(account_a, operator):
    record = make_removal(
        account_a,
        operator,
        code="reklam",
        content="Köp billiga solglasögon!",
        evidence=[SimpleUploadedFile("ad.png", b"ad", "image/png")],
    )
    assert record.content == "" and record.content_preserved is False
    assert not record.evidence.exists()
    assert record.reason.code == "reklam"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="The append-only triggers exist only on PostgreSQL "
    "(run with DATABASE_URL=postgres://...)",
)
def test_postgresql_triggers_refuse_update_and_delete(account_a, operator):
    record = make_removal(account_a, operator)
    for sql in (
        "UPDATE moderation_removedpost SET content = 'x' WHERE id = %s",
        "DELETE FROM moderation_removedpost WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        RemovedPost.objects.filter(pk=record.pk).update(content="x")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Row locks need PostgreSQL; SQLite serialises writers anyway",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_inserts_do_not_fork_the_chain(account_a, operator):
    errors = []

    def insert():
        try:
            make_removal(account_a, operator)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=insert) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(RemovedPost.objects.values_list("position", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert services.verify_chain().ok

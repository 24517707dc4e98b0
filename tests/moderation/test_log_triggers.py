"""On PostgreSQL the removal log refuses TRUNCATE, its chain heads, reasons and anchors are
guarded, and a missing or disabled trigger is reported at startup and to /healthz
(issue 9, "Every change is detected"; MOD-1, MOD-2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import checks
from django.db import DatabaseError, connection, transaction

from moderation import services
from moderation.checks import check_moderation_triggers, moderation_triggers_problem
from moderation.models import ChainAnchor, ChainHead, RemovalReason
from tests.moderation.conftest import make_removal

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="The triggers exist only on PostgreSQL (run with DATABASE_URL=postgres://...)",
    ),
]


def _refused(sql: str, params: list | None = None, match: str = "") -> None:
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params or [])


@pytest.mark.parametrize(
    "table",
    [
        "moderation_removedpost",
        "moderation_evidence",
        "moderation_registration",
        "moderation_chainhead",
        "moderation_chainanchor",
        "moderation_removalreason",
    ],
)
def test_truncate_is_refused(table, account_a, operator):
    make_removal(account_a, operator)
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign-key checks, which PostgreSQL would
        # name instead of reaching the trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _refused(f"TRUNCATE {table} CASCADE", match="TRUNCATE on")


def test_a_chain_head_only_moves_forward_one_entry_at_a_time(account_a, operator):
    make_removal(account_a, operator)
    make_removal(account_a, operator)
    head = ChainHead.objects.get(kind=ChainHead.Kind.REMOVALS)
    _refused(
        "UPDATE moderation_chainhead SET position = 1 WHERE id = %s", [head.pk], "only the next"
    )
    _refused(
        "UPDATE moderation_chainhead SET legacy_position = 2 WHERE id = %s",
        [head.pk],
        "only the next",
    )
    _refused("DELETE FROM moderation_chainhead WHERE id = %s", [head.pk], "DELETE refused")
    make_removal(account_a, operator)
    assert services.verify_chain().ok


def test_a_used_reasons_wording_cannot_change(account_a, operator):
    reason = RemovalReason.objects.get(code="krankande")
    # Unused: configuration, freely edited.
    RemovalReason.objects.filter(pk=reason.pk).update(label="Kränkande uppgifter")
    make_removal(account_a, operator)
    for column in ("label", "legal_reference", "code"):
        _refused(
            f"UPDATE moderation_removalreason SET {column} = 'x' WHERE id = %s",  # noqa: S608
            [reason.pk],
            "its wording can't change",
        )
    _refused("DELETE FROM moderation_removalreason WHERE id = %s", [reason.pk], "is used")
    # Whether it is offered and where it stands may still change.
    RemovalReason.objects.filter(pk=reason.pk).update(active=False, position=1)


def test_an_anchor_is_filled_in_once_and_never_changed(settings, account_a, operator):
    settings.TSA_URL = ""
    make_removal(account_a, operator)
    services.anchor_chains(dt.date(2026, 11, 30))
    anchor = ChainAnchor.objects.get()
    services.stamp_anchor(anchor.pk)
    _refused(
        "UPDATE moderation_chainanchor SET position = 0 WHERE id = %s", [anchor.pk], "only its"
    )
    _refused(
        "UPDATE moderation_chainanchor SET mailed_at = NULL WHERE id = %s", [anchor.pk], "only its"
    )
    _refused("DELETE FROM moderation_chainanchor WHERE id = %s", [anchor.pk], "DELETE refused")


def test_the_triggers_are_in_place_after_migrating():
    assert moderation_triggers_problem() is None
    assert check_moderation_triggers() == []


def test_a_disabled_trigger_is_reported():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE moderation_removedpost "
                "DISABLE TRIGGER moderation_removedpost_no_truncate"
            )
        problem = moderation_triggers_problem()
        errors = check_moderation_triggers()
        transaction.set_rollback(True)
    assert problem == "Moderation log triggers disabled: moderation_removedpost_no_truncate"
    assert [(e.level, e.id) for e in errors] == [(checks.ERROR, "moderation.E001")]
    assert moderation_triggers_problem() is None  # rolled back


def test_a_missing_trigger_is_reported():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER moderation_chainhead_guard ON moderation_chainhead;"
                "ALTER TABLE moderation_evidence DISABLE TRIGGER moderation_evidence_append_only"
            )
        problem = moderation_triggers_problem()
        transaction.set_rollback(True)
    assert problem == (
        "Moderation log triggers missing: moderation_chainhead_guard; "
        "disabled: moderation_evidence_append_only"
    )

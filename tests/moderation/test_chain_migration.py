"""Keying the chain keeps the existing log verifiable (migrations 0005-0009): records made
with plain SHA-256 stay as they are and verify, the registrations made before are chained,
and what follows is keyed (issue 9, "Every change is detected")."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from moderation import chain as keyed
from moderation import services
from moderation.models import ChainHead, Registration, RemovedPost
from tests.moderation.conftest import make_removal, tamper

BEFORE = [("moderation", "0004_periodic_tasks")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _legacy_record(apps, *, chain, position, previous_hash, account, user, reason):
    """A record as the unkeyed chain wrote it (its canonical text and plain SHA-256)."""
    RemovedPost = apps.get_model("moderation", "RemovedPost")
    now = timezone.now()
    record = RemovedPost(
        account_id=account.pk,
        kind="comment",
        posted_at=now - dt.timedelta(hours=2),
        removed_at=now - dt.timedelta(hours=1),
        removed_by_id=user.pk,
        reason=reason,
        motivation="Personangrepp",
        registration_decision="action",
        content=f"Inlägg {position}",
        chain=chain,
        position=position,
        previous_hash=previous_hash,
    )
    canonical = keyed.canonical_json(
        {
            "organisation": chain.organisation,
            "position": position,
            "account": account.pk,
            "post_url": "",
            "platform_post_id": "",
            "kind": "comment",
            "sender_name": "",
            "sender_profile_url": "",
            "posted_at": keyed.utc_stamp(record.posted_at),
            "context": "",
            "content": record.content,
            "content_preserved": True,
            "removed_at": keyed.utc_stamp(record.removed_at),
            "removed_by": user.pk,
            "reason": reason.code,
            "motivation": "Personangrepp",
            "sender_informed": False,
            "confidential": False,
            "registration_decision": "action",
            "corrects": None,
            "source_incoming": None,
            "evidence": [],
        }
    )
    record.record_hash = hashlib.sha256(f"{previous_hash}\n{canonical}".encode()).hexdigest()
    record.save()
    return record


@pytest.mark.django_db(transaction=True)
def test_an_existing_log_stays_verifiable_once_the_chain_is_keyed(
    account_a, operator, communications_officer, settings
):
    old = _migrate(BEFORE)
    ChainHead_ = old.get_model("moderation", "ChainHead")
    Reason = old.get_model("moderation", "RemovalReason")
    Registration_ = old.get_model("moderation", "Registration")
    reason = Reason.objects.get(code="krankande")
    chain = ChainHead_.objects.create(organisation=settings.ORGANISATION_NAME)
    previous = keyed.GENESIS_HASH
    records = []
    for position in (1, 2):
        record = _legacy_record(
            old,
            chain=chain,
            position=position,
            previous_hash=previous,
            account=account_a,
            user=operator,
            reason=reason,
        )
        records.append(record)
        previous = record.record_hash
    ChainHead_.objects.filter(pk=chain.pk).update(position=2, last_hash=previous)
    Registration_.objects.create(
        removed_post_id=records[0].pk,
        diarienummer="KS 2025/12",
        registered_on=dt.date(2025, 6, 2),
        registered_by_id=communications_officer.pk,
    )

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    legacy = RemovedPost.objects.order_by("position")
    assert [r.key_id for r in legacy] == [keyed.LEGACY_KEY_ID] * 2
    head = ChainHead.objects.get(kind=ChainHead.Kind.REMOVALS)
    assert (head.legacy_position, head.legacy_hash) == (2, previous)
    registration = Registration.objects.get()
    assert registration.position == 1 and registration.key_id == settings.MODERATION_CHAIN_KEY_ID
    assert services.verify_chain().ok

    new = make_removal(account_a, operator)
    assert new.position == 3 and new.previous_hash == previous
    assert new.key_id == settings.MODERATION_CHAIN_KEY_ID
    assert services.verify_chain().ok

    # The legacy part is still guarded by its hashes.
    tamper(
        "UPDATE moderation_removedpost SET content = %s WHERE id = %s", ["Ändrat", records[0].pk]
    )
    assert f"Post {records[0].pk} (löpnummer 1) har ändrats" in services.verify_chain().message

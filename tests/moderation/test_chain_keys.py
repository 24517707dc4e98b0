"""The removal log's chain is keyed (issue 9, "Every change is detected"; MOD-1): each
entry's hash is an HMAC under a key outside the database, so someone with database access
alone can neither rewrite, append nor recompute records, and a cut tail shows.

Every forgery is made directly in the database (tests/moderation/conftest.py `tamper`) and
the product's own check, `verify_moderation_log`, must report it."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from moderation import chain as keyed
from moderation import services
from moderation.models import ChainHead, RemovedPost
from tests.moderation.conftest import make_removal, tamper

pytestmark = pytest.mark.django_db

OTHER_KEY = "another-key-that-is-long-enough-0123456789"


def _problems() -> str:
    report = services.verify_chain()
    assert not report.ok
    return report.message


def _legacy_rehash(record: RemovedPost, previous_hash: str, **changes: object) -> str:
    """Rewrite a record as the old plain SHA-256 chain would hash it (what anyone can
    compute) and return its new hash."""
    record.refresh_from_db()
    for name, value in changes.items():
        setattr(record, name, value)
    record.key_id = keyed.LEGACY_KEY_ID
    record.previous_hash = previous_hash
    new_hash = record.compute_hash(list(record.evidence.all()))
    tamper(
        "UPDATE moderation_removedpost SET key_id = %s, previous_hash = %s, record_hash = %s, "
        "content = %s WHERE id = %s",
        [keyed.LEGACY_KEY_ID, previous_hash, new_hash, record.content, record.pk],
    )
    return new_hash


def test_record_hash_is_an_hmac_under_the_configured_key(account_a, operator, settings):
    record = make_removal(account_a, operator)
    record = RemovedPost.objects.select_related("chain", "reason").get(pk=record.pk)
    assert record.key_id == settings.MODERATION_CHAIN_KEY_ID
    data = f"{record.previous_hash}\n{record.canonical([])}".encode()
    secret = settings.MODERATION_CHAIN_KEYS[record.key_id].encode()
    assert record.record_hash == hmac.new(secret, data, hashlib.sha256).hexdigest()
    assert record.record_hash != hashlib.sha256(data).hexdigest()
    head = ChainHead.objects.get(kind=ChainHead.Kind.REMOVALS)
    assert head.head_key_id == record.key_id and head.head_seal_holds()


def test_a_rewrite_recomputed_as_plain_sha256_is_reported(account_a, operator):
    first = make_removal(account_a, operator)
    victim = make_removal(account_a, operator, content="Originaltext")
    last = make_removal(account_a, operator)
    # The forger recomputes every hash from the rewritten record on, the way the unkeyed
    # chain was computed, and moves the head to match.
    new_hash = _legacy_rehash(victim, first.record_hash, content="Snällare text")
    last_hash = _legacy_rehash(last, new_hash)
    tamper("UPDATE moderation_chainhead SET last_hash = %s", [last_hash])

    message = _problems()
    assert f"Post {victim.pk} (löpnummer 2) är förfalskad" in message
    assert f"Post {last.pk} (löpnummer 3) är förfalskad" in message
    with pytest.raises(CommandError, match=f"Post {victim.pk} "):
        call_command("verify_moderation_log", stdout=StringIO(), stderr=StringIO())


def test_a_rewrite_recomputed_under_a_guessed_key_is_reported(account_a, operator, settings):
    victim = make_removal(account_a, operator, content="Originaltext")
    victim = RemovedPost.objects.select_related("chain", "reason").get(pk=victim.pk)
    victim.content = "Snällare text"
    real_keys = settings.MODERATION_CHAIN_KEYS
    settings.MODERATION_CHAIN_KEYS = {victim.key_id: OTHER_KEY}
    forged = victim.compute_hash([])
    settings.MODERATION_CHAIN_KEYS = real_keys
    tamper(
        "UPDATE moderation_removedpost SET content = %s, record_hash = %s WHERE id = %s",
        ["Snällare text", forged, victim.pk],
    )
    tamper("UPDATE moderation_chainhead SET last_hash = %s", [forged])

    message = _problems()
    assert f"Post {victim.pk} (löpnummer 1) har ändrats" in message
    assert "Kedjans huvud (Borttagna inlägg) har ändrats utan kedjans nyckel" in message


def test_a_forged_append_is_reported(account_a, operator, settings):
    real = make_removal(account_a, operator)
    forged = RemovedPost.objects.select_related("chain", "reason").get(pk=real.pk)
    forged.pk = None
    forged.position = 2
    forged.previous_hash = real.record_hash
    forged.content = "Ett påhittat inlägg"
    # Without the key the forger can only guess one (or fall back to plain SHA-256).
    real_keys = settings.MODERATION_CHAIN_KEYS
    settings.MODERATION_CHAIN_KEYS = {forged.key_id: OTHER_KEY}
    forged.record_hash = forged.compute_hash([])
    settings.MODERATION_CHAIN_KEYS = real_keys
    forged.save(force_insert=True)
    tamper("UPDATE moderation_chainhead SET position = 2, last_hash = %s", [forged.record_hash])

    message = _problems()
    assert f"Post {forged.pk} (löpnummer 2) har ändrats" in message
    assert "har ändrats utan kedjans nyckel" in message


def test_a_forged_append_in_the_legacy_form_is_reported(account_a, operator):
    real = make_removal(account_a, operator)
    forged = RemovedPost.objects.select_related("chain", "reason").get(pk=real.pk)
    forged.pk = None
    forged.position = 2
    forged.previous_hash = real.record_hash
    forged.key_id = keyed.LEGACY_KEY_ID
    forged.record_hash = forged.compute_hash([])
    forged.save(force_insert=True)
    tamper("UPDATE moderation_chainhead SET position = 2, last_hash = %s", [forged.record_hash])
    assert f"Post {forged.pk} (löpnummer 2) är förfalskad" in _problems()


def test_a_cut_tail_is_reported(account_a, operator):
    first = make_removal(account_a, operator)
    last = make_removal(account_a, operator)
    tamper("DELETE FROM moderation_removedpost WHERE id = %s", [last.pk])
    assert "slutar vid löpnummer 1 men kedjans huvud anger 2" in _problems()
    # Moving the head back too doesn't help: its seal needs the key.
    tamper("UPDATE moderation_chainhead SET position = 1, last_hash = %s", [first.record_hash])
    assert "Kedjans huvud (Borttagna inlägg) har ändrats utan kedjans nyckel" in _problems()


def test_a_moved_record_is_reported(account_a, operator):
    make_removal(account_a, operator)
    second = make_removal(account_a, operator)
    third = make_removal(account_a, operator)
    # Swap two records' positions (through a free position, for the unique constraint).
    tamper("UPDATE moderation_removedpost SET position = 99 WHERE id = %s", [second.pk])
    tamper("UPDATE moderation_removedpost SET position = 2 WHERE id = %s", [third.pk])
    tamper("UPDATE moderation_removedpost SET position = 3 WHERE id = %s", [second.pk])
    message = _problems()
    assert f"Post {third.pk} (löpnummer 2)" in message
    assert f"Post {second.pk} (löpnummer 3)" in message


def test_a_rotated_key_keeps_the_old_records_verifiable(account_a, operator, settings):
    old = make_removal(account_a, operator)
    settings.MODERATION_CHAIN_KEYS = {**settings.MODERATION_CHAIN_KEYS, "k2": OTHER_KEY}
    settings.MODERATION_CHAIN_KEY_ID = "k2"
    new = make_removal(account_a, operator)
    assert new.key_id == "k2" and old.key_id != "k2"
    assert services.verify_chain().ok
    # A key that is no longer configured: its records can't be checked, and that is said.
    settings.MODERATION_CHAIN_KEYS = {"k2": OTHER_KEY}
    assert f"Post {old.pk} (löpnummer 1) är gjord med nyckeln ”{old.key_id}”" in _problems()


class _Editor:
    """The part of a schema editor the data migration uses."""

    connection = connection

    def execute(self, sql: str, params: object = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _make_legacy_chain(account, operator, n: int) -> list[RemovedPost]:
    """Records as the unkeyed chain made them, with the head as it left it."""
    records = [make_removal(account, operator, content=f"Inlägg {i}") for i in range(n)]
    previous = keyed.GENESIS_HASH
    for record in records:
        previous = _legacy_rehash(record, previous)
    tamper(
        "UPDATE moderation_chainhead SET last_hash = %s, head_key_id = '', head_mac = ''",
        [previous],
    )
    return records


def test_legacy_records_stay_verifiable_after_the_chain_is_keyed(account_a, operator):
    from django.apps import apps

    seal = __import__(
        "moderation.migrations.0006_seal_legacy_chains", fromlist=["seal_and_chain"]
    ).seal_and_chain
    legacy = _make_legacy_chain(account_a, operator, 3)
    seal(apps, _Editor())
    head = ChainHead.objects.get(kind=ChainHead.Kind.REMOVALS)
    assert (head.legacy_position, head.legacy_hash) == (3, head.last_hash)
    assert services.verify_chain().ok

    keyed_record = make_removal(account_a, operator)
    assert keyed_record.key_id != keyed.LEGACY_KEY_ID
    assert keyed_record.previous_hash == head.legacy_hash
    assert services.verify_chain().ok

    # Rewriting the legacy part, even recomputing all of it, breaks at the sealed head.
    previous = keyed.GENESIS_HASH
    for record in legacy:
        previous = _legacy_rehash(
            record, previous, content="Omskrivet" if record == legacy[0] else record.content
        )
    assert "är inte den sista post som fanns när kedjan fick nyckel" in _problems()


def test_the_legacy_seal_cannot_be_moved_without_the_key(account_a, operator):
    from django.apps import apps

    seal = __import__(
        "moderation.migrations.0006_seal_legacy_chains", fromlist=["seal_and_chain"]
    ).seal_and_chain
    legacy = _make_legacy_chain(account_a, operator, 2)
    seal(apps, _Editor())
    # A forger appends a third plain-SHA-256 record and widens the legacy part to cover it.
    forged = RemovedPost.objects.select_related("chain", "reason").get(pk=legacy[1].pk)
    forged.pk = None
    forged.position = 3
    forged.previous_hash = legacy[1].record_hash
    forged.record_hash = forged.compute_hash([])
    forged.save(force_insert=True)
    tamper(
        "UPDATE moderation_chainhead SET position = 3, last_hash = %s, legacy_position = 3, "
        "legacy_hash = %s",
        [forged.record_hash, forged.record_hash],
    )
    message = _problems()
    assert "är förfalskad" in message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "MODERATION_CHAIN_KEYS and MODERATION_CHAIN_KEY_ID must be set"),
        (
            {"MODERATION_CHAIN_KEYS": f"k1:{OTHER_KEY}", "MODERATION_CHAIN_KEY_ID": "k2"},
            "MODERATION_CHAIN_KEY_ID ('k2') is not one of the keys",
        ),
        (
            {"MODERATION_CHAIN_KEYS": "k1:short", "MODERATION_CHAIN_KEY_ID": "k1"},
            "shorter than 32 characters",
        ),
        (
            {"MODERATION_CHAIN_KEYS": f"sha256:{OTHER_KEY}", "MODERATION_CHAIN_KEY_ID": "sha256"},
            "not 'sha256'",
        ),
    ],
)
def test_without_debug_the_site_refuses_to_start_without_a_chain_key(env, message, tmp_path):
    root = Path(__file__).resolve().parents[2]
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "sociala-medier.nykvarn.se",
        "DJANGO_SETTINGS_MODULE": "nykvarn_sm.settings",
        "HOME": str(tmp_path),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_the_site_starts_without_debug_when_the_key_is_set(tmp_path):
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(sorted(settings.MODERATION_CHAIN_KEYS), settings.MODERATION_CHAIN_KEY_ID)",
        ],
        cwd=root,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "sociala-medier.nykvarn.se",
            "DJANGO_SETTINGS_MODULE": "nykvarn_sm.settings",
            "HOME": str(tmp_path),
            "MODERATION_CHAIN_KEYS": f"2025:{OTHER_KEY}, 2026:{OTHER_KEY[::-1]}",
            "MODERATION_CHAIN_KEY_ID": "2026",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['2025', '2026'] 2026"

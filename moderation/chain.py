"""The keys and hashes of the removal log's chains (MOD-1, "Gallra otillåtna
inlägg/kommentarer": what was removed, and why, must be kept as it was).

Every entry's hash is an HMAC-SHA256 over the previous entry's hash and the entry's
canonical content, under a key that lives outside the database (settings
MODERATION_CHAIN_KEYS, "keyid:secret,..."; MODERATION_CHAIN_KEY_ID names the one new
entries use). Someone who can write to the database but can't read the settings can then
neither rewrite an entry and recompute the hashes after it, nor append an entry of their
own. Each entry stores the id of the key it was made with, so a key is rotated by adding
a new one and making it current: the old key stays configured to verify the old entries.

Legacy entries, from before the chain was keyed, carry the key id LEGACY_KEY_ID and a
plain SHA-256. They stay verifiable as they are (a rewrite would break the append-only
rule), but a plain SHA-256 is something anyone can compute, so they are accepted only up
to the position the chain had when it was keyed: migration 0005 seals that position and
hash into the chain head with an HMAC (`legacy_seal`), and a "sha256" entry after it is
reported as forged. The first keyed entry also covers the legacy head's hash.

The same HMAC seals a chain head (`head_seal`: position and last hash) and a daily anchor,
so a head moved back over deleted entries shows as well, unless an old head was kept and
put back; that replay is what the daily anchors, held outside the database, catch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS_HASH = "0" * 64
# The key id of the entries hashed with plain SHA-256 before the chain was keyed.
LEGACY_KEY_ID = "sha256"


class UnknownKey(Exception):
    """An entry names a key id that is not configured (MODERATION_CHAIN_KEYS)."""


def parse_keys(value: str) -> dict[str, str]:
    """Parse "keyid:secret,keyid:secret" into {keyid: secret}; raise ImproperlyConfigured."""
    keys: dict[str, str] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, secret = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not secret:
            raise ImproperlyConfigured(
                "MODERATION_CHAIN_KEYS holds keyid:secret pairs separated by commas."
            )
        if key_id == LEGACY_KEY_ID or len(key_id) > 40:
            raise ImproperlyConfigured(
                f"MODERATION_CHAIN_KEYS: a key id is at most 40 characters and not "
                f"{LEGACY_KEY_ID!r} (the id of the legacy SHA-256 entries)."
            )
        if len(secret) < 32:
            raise ImproperlyConfigured(
                f"MODERATION_CHAIN_KEYS: the secret of key {key_id!r} is shorter than 32 "
                "characters."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"MODERATION_CHAIN_KEYS names key {key_id!r} twice.")
        keys[key_id] = secret
    return keys


def current_key_id() -> str:
    """Return the id of the key new entries are made with."""
    return str(settings.MODERATION_CHAIN_KEY_ID)


def _secret(key_id: str) -> bytes:
    keys: Mapping[str, str] = settings.MODERATION_CHAIN_KEYS
    try:
        return keys[key_id].encode()
    except KeyError:
        raise UnknownKey(key_id) from None


def entry_hash(key_id: str, previous_hash: str, canonical: str) -> str:
    """Return an entry's hash: HMAC-SHA256 under `key_id` over the previous hash and the
    canonical content (plain SHA-256 for a legacy entry)."""
    data = f"{previous_hash}\n{canonical}".encode()
    if key_id == LEGACY_KEY_ID:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(_secret(key_id), data, hashlib.sha256).hexdigest()


def seal(key_id: str, *parts: object) -> str:
    """Return an HMAC under `key_id` over `parts` (a chain head, an anchor, a legacy head)."""
    data = json.dumps([str(p) for p in parts], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(_secret(key_id), data.encode(), hashlib.sha256).hexdigest()


def seal_matches(key_id: str, mac: str, *parts: object) -> bool:
    """Return whether `mac` is the seal of `parts` under `key_id` (False for an unknown key)."""
    try:
        return hmac.compare_digest(seal(key_id, *parts), mac)
    except UnknownKey:
        return False


def head_seal(key_id: str, organisation: str, kind: str, position: int, last_hash: str) -> str:
    return seal(key_id, "head", organisation, kind, position, last_hash)


def legacy_seal(key_id: str, organisation: str, kind: str, position: int, last_hash: str) -> str:
    return seal(key_id, "legacy", organisation, kind, position, last_hash)


def utc_stamp(value: dt.datetime | None) -> str | None:
    """Return a time as the hashes cover it: UTC, ISO 8601, microseconds."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_json(data: dict[str, Any]) -> str:
    """Return the sorted-key JSON text an entry's hash covers."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def registration_canonical(
    *,
    organisation: str,
    position: int,
    key_id: str,
    removed_post: int,
    removed_post_hash: str,
    diarienummer: str,
    registered_on: str,
    registered_by: int,
    entered_at: str,
) -> str:
    """Return the canonical text of a registration (a diarienummer) in its chain.

    A module function, not only a model method, because migration 0005 chains the
    registrations that existed before with the historical model's plain values.
    """
    return canonical_json(
        {
            "organisation": organisation,
            "position": position,
            "key_id": key_id,
            "removed_post": removed_post,
            "removed_post_hash": removed_post_hash,
            "diarienummer": diarienummer,
            "registered_on": registered_on,
            "registered_by": registered_by,
            "entered_at": entered_at,
        }
    )


def anchor_statement(
    *, organisation: str, kind: str, anchored_on: str, position: int, head_hash: str
) -> str:
    """Return the text of a daily anchor: what the archivists receive and the TSA stamps
    (its SHA-256). Anyone can recompute it from the e-mail."""
    return (
        f"organisation: {organisation}\n"
        f"kedja: {kind}\n"
        f"datum: {anchored_on}\n"
        f"antal: {position}\n"
        f"huvud: {head_hash}\n"
    )

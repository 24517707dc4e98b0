"""Key the removal log's chains (moderation.chain) without rewriting a record.

Records made before the chain was keyed carry a plain SHA-256 (key id "sha256", set by
0005) and stay as they are: the append-only rule (MOD-1) forbids rewriting them, and their
hashes still verify. Because anyone can compute a plain SHA-256, this migration seals the
chain's head as it is now, its position and hash, with the current chain key
(ChainHead.legacy_*): verification accepts "sha256" records only up to that position and
only if the seal holds, and the first keyed record follows the sealed hash. Run
`verify_moderation_log` before upgrading: what is sealed here is trusted afterwards.

Registrations (diarienummer) had no hash at all. Each existing one becomes, in the order it
was entered, an entry of the organisation's new registrations chain, hashed with the
current key and covering its record's hash. That needs an UPDATE of rows the append-only
trigger (0003) guards on PostgreSQL, so the trigger is switched off for this transaction
only (the migration runs as the tables' owner).
"""

from django.db import migrations

from moderation import chain as keyed


TRIGGER = "moderation_registration_append_only"


def seal_and_chain(apps, schema_editor):
    ChainHead = apps.get_model("moderation", "ChainHead")
    Registration = apps.get_model("moderation", "Registration")
    key_id = keyed.current_key_id()
    for head in ChainHead.objects.filter(kind="removals", position__gt=0):
        head.legacy_position = head.position
        head.legacy_hash = head.last_hash
        head.legacy_key_id = key_id
        head.legacy_mac = keyed.legacy_seal(
            key_id, head.organisation, head.kind, head.position, head.last_hash
        )
        head.head_key_id = key_id
        head.head_mac = keyed.head_seal(
            key_id, head.organisation, head.kind, head.position, head.last_hash
        )
        head.save()
    registrations = Registration.objects.filter(chain__isnull=True).select_related(
        "removed_post__chain"
    )
    if not registrations.exists():
        return
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(
            f"ALTER TABLE moderation_registration DISABLE TRIGGER {TRIGGER}"
        )
    heads = {}
    for registration in registrations.order_by("entered_at", "pk"):
        organisation = registration.removed_post.chain.organisation
        head = heads.get(organisation)
        if head is None:
            head, _created = ChainHead.objects.get_or_create(
                organisation=organisation, kind="registrations"
            )
            heads[organisation] = head
        registration.chain = head
        registration.position = head.position + 1
        registration.previous_hash = head.last_hash
        registration.key_id = key_id
        registration.record_hash = keyed.entry_hash(
            key_id,
            registration.previous_hash,
            keyed.registration_canonical(
                organisation=organisation,
                position=registration.position,
                key_id=key_id,
                removed_post=registration.removed_post_id,
                removed_post_hash=registration.removed_post.record_hash,
                diarienummer=registration.diarienummer,
                registered_on=registration.registered_on.isoformat(),
                registered_by=registration.registered_by_id,
                entered_at=keyed.utc_stamp(registration.entered_at) or "",
            ),
        )
        registration.save()
        head.position = registration.position
        head.last_hash = registration.record_hash
    for organisation, head in heads.items():
        head.head_key_id = key_id
        head.head_mac = keyed.head_seal(
            key_id, organisation, head.kind, head.position, head.last_hash
        )
        head.save()
    if postgresql:
        # Deferred foreign-key checks of the updated rows run now: ALTER TABLE refuses a
        # table with pending trigger events.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(
            f"ALTER TABLE moderation_registration ENABLE TRIGGER {TRIGGER}"
        )


class Migration(migrations.Migration):
    dependencies = [("moderation", "0005_keyed_chain_and_anchors")]
    operations = [migrations.RunPython(seal_and_chain, migrations.RunPython.noop)]

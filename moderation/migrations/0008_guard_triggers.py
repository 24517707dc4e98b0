"""On PostgreSQL, guard the rest of the removal log's tables (MOD-1, MOD-2):

- TRUNCATE is refused on every table of the log, by statement-level triggers: a TRUNCATE
  fires no row trigger, so 0003's guard alone let a whole table be emptied.
- The chain heads only move forward, one entry at a time, and are never deleted.
- A removal reason's wording (code, label, legal reference) can't be changed or the reason
  deleted once a record uses it (Bilaga 1): a new wording is a new reason. Records keep
  their own copy of the wording besides (RemovedPost.reason_label).
- A daily anchor is never changed or deleted; only its timestamp token and its "sent" time
  are filled in, once.

The table owner can still switch triggers off; the keyed chain and the anchors outside the
database show what was done then, and moderation.checks reports a missing or disabled
trigger at startup and in /healthz. (The test suite empties tables between transactional
tests with TRUNCATE as a superuser in `session_replication_role = replica`, where these
triggers don't fire: see tests/conftest.py.)
"""

from django.db import migrations

TRUNCATE_GUARDED = [
    "moderation_removedpost",
    "moderation_evidence",
    "moderation_registration",
    "moderation_chainhead",
    "moderation_chainanchor",
    "moderation_removalreason",
]

FUNCTIONS = """
CREATE OR REPLACE FUNCTION moderation_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation log is append-only: TRUNCATE on % refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION moderation_chainhead_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'moderation chain head: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.organisation IS DISTINCT FROM OLD.organisation
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.position <> OLD.position + 1
        OR NEW.legacy_position IS DISTINCT FROM OLD.legacy_position
        OR NEW.legacy_hash IS DISTINCT FROM OLD.legacy_hash
        OR NEW.legacy_key_id IS DISTINCT FROM OLD.legacy_key_id
        OR NEW.legacy_mac IS DISTINCT FROM OLD.legacy_mac THEN
        RAISE EXCEPTION 'moderation chain head: only the next entry may move it'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION moderation_removalreason_guard() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM moderation_removedpost WHERE reason_id = OLD.id) THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'removal reason % is used: DELETE refused', OLD.code
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.code IS DISTINCT FROM OLD.code
            OR NEW.label IS DISTINCT FROM OLD.label
            OR NEW.legal_reference IS DISTINCT FROM OLD.legal_reference THEN
            RAISE EXCEPTION 'removal reason % is used: its wording can''t change', OLD.code
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION moderation_chainanchor_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'moderation chain anchor: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.chain_id IS DISTINCT FROM OLD.chain_id
        OR NEW.anchored_on IS DISTINCT FROM OLD.anchored_on
        OR NEW.position IS DISTINCT FROM OLD.position
        OR NEW.head_hash IS DISTINCT FROM OLD.head_hash
        OR NEW.digest IS DISTINCT FROM OLD.digest
        OR NEW.key_id IS DISTINCT FROM OLD.key_id
        OR NEW.mac IS DISTINCT FROM OLD.mac
        OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR (OLD.token IS NOT NULL AND (
            NEW.token IS DISTINCT FROM OLD.token
            OR NEW.timestamped_at IS DISTINCT FROM OLD.timestamped_at
            OR NEW.tsa_serial IS DISTINCT FROM OLD.tsa_serial))
        OR (OLD.mailed_at IS NOT NULL AND (
            NEW.mailed_at IS DISTINCT FROM OLD.mailed_at
            OR NEW.timestamp_error IS DISTINCT FROM OLD.timestamp_error)) THEN
        RAISE EXCEPTION 'moderation chain anchor: only its token and sending are filled in, once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

ROW_GUARDS = [
    ("moderation_chainhead", "moderation_chainhead_guard"),
    ("moderation_removalreason", "moderation_removalreason_guard"),
    ("moderation_chainanchor", "moderation_chainanchor_guard"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)
    for table in TRUNCATE_GUARDED:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION moderation_refuse_truncate();"
        )
    for table, function in ROW_GUARDS:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}();"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TRUNCATE_GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    for table, function in ROW_GUARDS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}();")
    schema_editor.execute("DROP FUNCTION IF EXISTS moderation_refuse_truncate();")


class Migration(migrations.Migration):
    dependencies = [("moderation", "0007_registrations_chain_required")]
    operations = [migrations.RunPython(create, drop)]

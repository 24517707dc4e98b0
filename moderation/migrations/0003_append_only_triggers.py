"""On PostgreSQL, refuse UPDATE and DELETE on the removal log and its evidence (MOD-1:
"nothing is lost"). SQLite has no such guard; the hash chain still reveals any change.

TRUNCATE is deliberately not refused: Django's test runner empties tables with TRUNCATE
between transactional tests, and only the database owner can truncate.
"""

from django.db import migrations

TABLES = ["moderation_removedpost", "moderation_evidence", "moderation_registration"]

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION moderation_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION moderation_refuse_change();"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS moderation_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_removal_reasons")]
    operations = [migrations.RunPython(create, drop)]

"""Whether the removal log's PostgreSQL guards are in place (MOD-1).

The triggers of migrations 0003 and 0008 refuse UPDATE, DELETE and TRUNCATE of the log
and guard its chain heads, reasons and anchors. The table owner can drop or disable them
without a trace in the log itself, so `moderation_triggers_problem()` looks them up in
pg_trigger: a Django system check reports a missing or disabled one at startup, and
/healthz calls the same function.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder

# (table, trigger) as the migrations create them.
EXPECTED_TRIGGERS = [
    *(
        (table, f"{table}_append_only")
        for table in ("moderation_removedpost", "moderation_evidence", "moderation_registration")
    ),
    *(
        (table, f"{table}_no_truncate")
        for table in (
            "moderation_removedpost",
            "moderation_evidence",
            "moderation_registration",
            "moderation_chainhead",
            "moderation_chainanchor",
            "moderation_removalreason",
        )
    ),
    *(
        (table, f"{table}_guard")
        for table in (
            "moderation_chainhead",
            "moderation_removalreason",
            "moderation_chainanchor",
        )
    ),
]
# The migration that creates the last of them: before it has run, nothing is missing yet.
GUARDS_MIGRATION = ("moderation", "0008_guard_triggers")


def moderation_triggers_problem() -> str | None:
    """Return what is wrong with the removal log's PostgreSQL triggers, or None when each
    one exists and is enabled (or the database is not PostgreSQL, or not migrated yet)."""
    if connection.vendor != "postgresql":
        return None
    recorder = MigrationRecorder(connection)
    if (
        not recorder.has_table()
        or not recorder.migration_qs.filter(
            app=GUARDS_MIGRATION[0], name=GUARDS_MIGRATION[1]
        ).exists()
    ):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = ANY(%s) AND NOT t.tgisinternal",
            [sorted({table for table, _name in EXPECTED_TRIGGERS})],
        )
        # tgenabled: O fires (origin/local), A always; D disabled, R only in replica mode.
        found = {(table, name): enabled for table, name, enabled in cursor.fetchall()}
    missing = [name for table, name in EXPECTED_TRIGGERS if (table, name) not in found]
    disabled = [name for table, name in EXPECTED_TRIGGERS if found.get((table, name)) in ("D", "R")]
    problems = []
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if disabled:
        problems.append("disabled: " + ", ".join(disabled))
    if not problems:
        return None
    return "Moderation log triggers " + "; ".join(problems)


@checks.register()
def check_moderation_triggers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: the removal log's append-only triggers exist and are enabled."""
    try:
        problem = moderation_triggers_problem()
    except DatabaseError:
        return []  # no database to ask (yet): the database's own checks say so
    if problem is None:
        return []
    return [
        checks.Error(
            problem,
            hint="Run `manage.py migrate moderation` or enable the triggers again "
            "(ALTER TABLE … ENABLE TRIGGER …), then run `manage.py verify_moderation_log`.",
            id="moderation.E001",
        )
    ]

"""Re-hash every evidence file of the removal log: exit 0 when each matches its SHA-256,
1 naming every file that is missing or changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from moderation.services import verify_evidence


class Command(BaseCommand):
    help = "Check the moderation log's evidence files against their SHA-256 (fixity, MOD-1)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_evidence()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(report.problems)} of {report.checked} evidence files missing or changed."
            )
        self.stdout.write(f"Evidence intact: {report.checked} files verified.")

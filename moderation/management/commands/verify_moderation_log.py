"""Walk the removal log's chains and compare them with their daily anchors: exit 0 when
they hold, 1 naming every record that was changed, forged, moved or removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from moderation.services import verify_chain


class Command(BaseCommand):
    help = "Verify the moderation log's keyed hash chains against their anchors (MOD-1)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Moderation log broken ({len(report.problems)} problems, {report.checked} "
                f"entries): {report.message}"
            )
        self.stdout.write(f"Moderation log intact: {report.checked} records verified.")

"""Walk the removal log's hash chain: exit 0 when it holds, 1 naming the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from moderation.services import verify_chain


class Command(BaseCommand):
    help = "Verify the moderation log's SHA-256 hash chain (MOD-1)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Moderation log broken after {report.checked} records: {report.message}"
            )
        self.stdout.write(f"Moderation log intact: {report.checked} records verified.")

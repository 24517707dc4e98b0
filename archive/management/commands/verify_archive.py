"""Recompute every stored archive file's SHA-256; exit non-zero listing problems."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.services import verify_archive


class Command(BaseCommand):
    help = "Kontrollera arkivets kontrollsummor (SHA-256) och lista saknade eller ändrade filer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--alert",
            action="store_true",
            help="Mejla kommunikationsavdelningen och arkivarierna vid avvikelser.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check = verify_archive(triggered_by="kommandot verify_archive", alert=options["alert"])
        for problem in check.problems:
            label = "SAKNAS" if problem["problem"] == "saknas" else "ÄNDRAD"
            self.stdout.write(f"{label}: {problem['file']}")
        if check.problems:
            raise CommandError(
                f"{len(check.problems)} av {check.files_checked} filer saknas eller har ändrats."
            )
        self.stdout.write(f"{check.files_checked} filer kontrollerade; alla stämmer.")

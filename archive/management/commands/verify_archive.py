"""Check the archive: every stored file's SHA-256 against its record, its audit event and its
trusted timestamp, and every file in the folder against the records; exit non-zero listing
problems."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.services import verify_archive


class Command(BaseCommand):
    help = (
        "Kontrollera arkivets kontrollsummor (SHA-256), händelselogg och tidsstämplar och "
        "lista saknade, ändrade eller utbytta filer och filer utan post."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--alert",
            action="store_true",
            help="Mejla kommunikationsavdelningen och arkivarierna vid avvikelser.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check = verify_archive(triggered_by="kommandot verify_archive", alert=options["alert"])
        for problem in check.problems:
            line = f"{problem['problem'].upper()}: {problem['file']}"
            if problem.get("expected") and problem.get("found"):
                line += f" (väntad SHA-256 {problem['expected']}, nu {problem['found']})"
            if problem.get("detail"):
                line += f" – {problem['detail']}"
            self.stdout.write(line)
        if check.problems:
            damaged = len({p["snapshot"] for p in check.problems if p["snapshot"] is not None})
            raise CommandError(
                f"Kontrollen hittade {len(check.problems)} avvikelser: {damaged} av "
                f"{check.files_checked} lagrade filer stämmer inte."
            )
        self.stdout.write(f"{check.files_checked} filer kontrollerade; alla stämmer.")

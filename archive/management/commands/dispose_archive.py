"""List the archived files a gallring decision lets go today, and with --apply dispose of
them in the name of an archivist (ARC-4, "Gallra"). Without a decision nothing is listed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import permissions as perms
from accounts.models import User
from archive import gallring


class Command(BaseCommand):
    help = (
        "Lista arkiverade filer som ett gällande gallringsbeslut låter gallras i dag och som "
        "inget gallringsstopp håller kvar; med --apply gallras de i arkivariens namn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--by", required=True, help="Arkivariens e-postadress (står i händelseloggen)."
        )
        parser.add_argument(
            "--apply", action="store_true", help="Gallra filerna (annars listas de bara)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archivist = User.objects.filter(email__iexact=options["by"].strip()).first()
        if archivist is None or not perms.can(archivist, "archive.dispose"):
            raise CommandError("--by måste vara en aktiv arkivarie.")
        due = gallring.due_for_disposal()
        if not due:
            self.stdout.write("Inga filer får gallras i dag.")
            return
        disposed = 0
        for snapshot, decision in due:
            line = f"{snapshot.file_name}  {snapshot.sha256}  beslut {decision.diarienummer}"
            if not options["apply"]:
                self.stdout.write(line)
                continue
            try:
                gallring.dispose_snapshot(snapshot=snapshot, decision=decision, by=archivist)
            except gallring.GallringRefused as refused:
                self.stdout.write(f"{line}: {refused}")
                continue
            disposed += 1
            self.stdout.write(f"GALLRAD: {line}")
        if options["apply"]:
            self.stdout.write(f"{disposed} filer gallrade.")
        else:
            self.stdout.write(f"{len(due)} filer får gallras; kör med --apply för att gallra dem.")

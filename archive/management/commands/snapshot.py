"""Capture an account's page now, synchronously, and print the stored file's path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive import services
from archive.forms import check_archive_upload
from archive.models import Snapshot
from archive.storage import archive_storage, archive_storage_problem
from registry.models import SocialAccount


def _context(value: str) -> str:
    """Accept a context's code ("change") or its Swedish words ("inför förändring")."""
    for code, label in Snapshot.Context.choices:
        if value.strip().lower() in (code, str(label).lower()):
            return code
    raise CommandError(
        "Okänt sammanhang; använd något av: "
        + ", ".join(f"{code} ({label})" for code, label in Snapshot.Context.choices)
    )


class Command(BaseCommand):
    help = (
        "Ta ett arkivuttag nu: --account ID [--context TEXT] [--from-file PATH ...], "
        "eller --due för att köra planeraren."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, help="Kontots id.")
        parser.add_argument("--context", default="manual", help="periodic, change, closing, manual")
        parser.add_argument("--note", default="", help="Anteckning på försättsbladet.")
        parser.add_argument(
            "--from-file",
            nargs="+",
            default=[],
            metavar="PATH",
            help="Skärmbilder (PNG, JPEG) eller PDF-utskrift, för sidor bakom inloggning.",
        )
        parser.add_argument("--due", action="store_true", help="Kör planeraren nu.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["due"]:
            created = services.plan_periodic_snapshots()
            self.stdout.write(f"{len(created)} periodiska uttag köade.")
            return
        if not options["account"]:
            raise CommandError("Ange --account ID eller --due.")
        try:
            account = SocialAccount.objects.get(pk=options["account"])
        except SocialAccount.DoesNotExist as exc:
            raise CommandError(f"Inget konto med id {options['account']}.") from exc
        uploads = []
        for name in options["from_file"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"Filen finns inte: {path}")
            upload = SimpleUploadedFile(path.name, path.read_bytes())
            try:
                # The same check as the upload form: bytes, type and pixels.
                upload.content_type = check_archive_upload(upload)
            except ValidationError as invalid:
                raise CommandError(" ".join(invalid.messages)) from None
            uploads.append(upload)
        try:
            snapshot = services.request_snapshot(
                account=account,
                context=_context(options["context"]),
                by=None,
                via="kommandot snapshot",
                note=options["note"],
                uploads=uploads,
                queue=False,
            )
        except services.PeriodicExtractExists as exists:
            raise CommandError(f"{exists} Uttagets id: {exists.snapshot.pk}.") from None
        while True:
            outcome = services.process_snapshot(snapshot.pk)
            snapshot.refresh_from_db()
            if outcome.retry_in is None:
                break
            problem = archive_storage_problem()
            if problem:
                # The share is away: trying again here would only spin (no attempt is
                # spent on it); the workers store it once the share is back.
                raise CommandError(f"{problem} Uttaget {snapshot.pk} väntar i kön.")
            self.stderr.write(f"Försök {snapshot.attempts} misslyckades: {snapshot.last_error}")
        if snapshot.status != Snapshot.Status.STORED:
            raise CommandError(f"Uttaget misslyckades: {snapshot.last_error}")
        storage = archive_storage()
        try:
            self.stdout.write(storage.path(snapshot.file_name))
        except NotImplementedError:
            self.stdout.write(snapshot.file_name)

"""Build a delivery package for the e-archive now, synchronously, and print its path."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Department
from archive import packages
from archive.models import DeliveryPackage, period_bounds
from archive.storage import archive_storage


def _office(value: str) -> Department:
    """Find an office (kontor or avdelning) by its id or its name."""
    offices = Department.objects.filter(
        kind__in=[Department.Kind.KONTOR, Department.Kind.AVDELNING]
    )
    text = value.strip()
    found = list(offices.filter(pk=int(text))) if text.isdigit() and len(text) < 18 else []
    if not found:
        found = list(offices.filter(name__iexact=text))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise CommandError(f"Flera kontor heter {text!r}; ange kontorets id.")
    names = ", ".join(f"{o.pk} ({o.name})" for o in offices.order_by("name"))
    raise CommandError(f"Inget kontor {text!r}. Kontor: {names or 'inga'}.")


class Command(BaseCommand):
    help = (
        "Bygg ett leveranspaket (FGS Paketstruktur 2.0 / E-ARK SIP) för ett kontor och ett "
        "halvår: --office ID|NAMN --period ÅÅÅÅ-H1|ÅÅÅÅ-H2 [--output MAPP] [--confirm-gaps]."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", required=True, help="Kontorets id eller namn.")
        parser.add_argument("--period", required=True, help="Halvår: ÅÅÅÅ-H1 eller ÅÅÅÅ-H2.")
        parser.add_argument(
            "--output", help="Kopiera ZIP-filen till den här mappen (den lagras alltid i arkivet)."
        )
        parser.add_argument(
            "--confirm-gaps",
            action="store_true",
            help="Bygg även när periodens uttag saknas eller misslyckades.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        office = _office(options["office"])
        period = options["period"].strip()
        try:
            if len(period) != 7 or period[4:6] != "-H":
                raise ValueError(period)
            period_bounds(period)
        except ValueError:
            raise CommandError(f"Ogiltig period {period!r}: ange ÅÅÅÅ-H1 eller ÅÅÅÅ-H2.") from None
        output = Path(options["output"]) if options["output"] else None
        if output is not None and not output.is_dir():
            raise CommandError(f"Mappen {output} finns inte.")
        try:
            package = packages.request_package(
                office=office,
                period=period,
                confirmed=options["confirm_gaps"],
                by=None,
                via="kommandot package",
                queue=False,
            )
        except packages.GapsNotConfirmed as unconfirmed:
            lines = "\n".join(f"  {g['account']}: {g['problem']}" for g in unconfirmed.gaps)
            raise CommandError(
                f"Perioden {period} har uttag som saknas eller misslyckades:\n{lines}\n"
                "Ta uttagen först, eller bygg ändå med --confirm-gaps."
            ) from None
        built = packages.process_package(package.pk) or DeliveryPackage.objects.get(pk=package.pk)
        if built.status != DeliveryPackage.Status.READY:
            raise CommandError(f"Paketet byggdes inte: {built.last_error}")
        path = Path(archive_storage().path(built.file_name))
        if output is not None:
            target = output / path.name
            shutil.copyfile(path, target)
            path = target
        self.stdout.write(str(path))
        self.stderr.write(f"SHA-256 {built.sha256}, {built.file_count} filer.")

"""Load a realistic demo organisation with data in every app; safe to run again."""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings

# Each app's demo module has seed(out); they run in this order, each building on the last.
DEMO_MODULES = ["accounts.demo", "registry.demo", "moderation.demo", "archive.demo"]


class Command(BaseCommand):
    help = "Create demo departments, users and data (idempotent). Refuses to run with DEBUG off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (a staging server)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo users with a known password: refused with DEBUG off.")
        # The demo goes through the real services, which e-mail whoever acts next; those
        # messages are about made-up events, so they are kept in memory, not sent.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            for name in DEMO_MODULES:
                importlib.import_module(name).seed(self.stdout)
        from accounts.demo import print_logins

        print_logins(self.stdout)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Arkiv")

    def ready(self) -> None:
        # The registry asks whether an account may be closed (REG-9, ARC-1) through a check
        # the archive registers, so that the registry never imports the archive.
        from archive.services import has_stored_closing_snapshot
        from registry.models import register_closing_snapshot_check

        register_closing_snapshot_check(has_stored_closing_snapshot)

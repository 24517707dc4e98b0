from __future__ import annotations

from pathlib import Path

from axes import apps as axes_apps
from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Personer och organisation")

    def ready(self) -> None:
        # The embedded defaults keep everything under var/: make sure the folders exist
        # before the first SQLite connection, worker start or upload.
        folders = [settings.MEDIA_ROOT, settings.ARCHIVE_ROOT, settings.STATIC_ROOT]
        folders += [v for k, v in settings.CELERY_BROKER_TRANSPORT_OPTIONS.items() if "folder" in k]
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3") and str(db["NAME"]) != ":memory:":
            folders.append(Path(db["NAME"]).parent)
        for folder in folders:
            Path(folder).mkdir(parents=True, exist_ok=True)


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a Swedish name in the admin (issue 12): it has no verbose_name, so
    the admin shows its label, "Axes". Its models and fields are Swedish in locale/sv."""

    default = False  # so that "accounts" still finds AccountsConfig alone
    verbose_name = _("Inloggningsspärr")

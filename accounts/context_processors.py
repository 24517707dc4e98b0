"""Template context shared by every page: the organisation and the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts import navigation


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "organisation_website": settings.ORGANISATION_WEBSITE,
        "nav_items": navigation.items_for(request),
    }

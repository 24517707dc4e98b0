"""The main navigation: each role sees the places it may work in, and no others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import permissions as perms


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    allowed: Callable[[Any], bool]


def _logged_in(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


ITEMS: list[NavItem] = [
    NavItem(_("Översikt"), "home", _logged_in),
    # --- registry ---
    NavItem(
        _("Kontoregister"),
        "registry:account_list",
        lambda u: perms.can(u, "registry.view_register"),
    ),
    NavItem(_("Kontohälsa"), "registry:health", lambda u: perms.can(u, "registry.view_register")),
    NavItem(_("Officiella kanaler"), "registry:public_list", _logged_in),
    NavItem(_("Inkommet"), "moderation:incoming_list", lambda u: perms.can(u, "moderation.view")),
    NavItem(
        _("Borttagna inlägg"), "moderation:removal_list", lambda u: perms.can(u, "moderation.view")
    ),
    NavItem(
        _("Moderationsrapport"),
        "moderation:report",
        lambda u: perms.can(u, "moderation.view_reports"),
    ),
    NavItem(_("Arkiv"), "archive:list", lambda u: perms.can(u, "archive.browse")),
    NavItem(_("Administration"), "admin:index", perms.can_use_admin),
]


def items_for(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the items the request's user may see, marking the current one."""
    user = getattr(request, "user", None)
    if user is None or not _logged_in(user):
        return []
    result = [
        {"label": item.label, "url": reverse(item.url_name), "current": False}
        for item in ITEMS
        if item.allowed(user)
    ]
    # The current item is the one whose address is the longest prefix of the page's, so
    # that /moderering/rapport/ marks the report and not also /moderering/.
    matches = [
        i
        for i in result
        if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["current"] = True
    return result

"""Helpers for logging in with the municipal e-mail address."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def login_name(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Return the address a login attempt is for, lower-cased, for django-axes.

    Addresses are matched without regard to letter case, so the throttle must count
    `Anna@Nykvarn.se` and `anna@nykvarn.se` as one person.
    """
    credentials = credentials or {}
    name = credentials.get("username") or credentials.get("email")
    if name is None:
        name = request.POST.get("username", "")
    return str(name).strip().lower()

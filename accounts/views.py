"""The signed-in start page."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import permissions as perms
from accounts.models import AuditEvent, User


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show each role what waits for it."""
    user = cast(User, request.user)  # login_required
    context = {
        "roles": user.roles.all(),
        "departments": user.departments.all(),
        "recent_events": (
            AuditEvent.objects.select_related("actor")[:10]
            if perms.can(user, "accounts.view_audit")
            else []
        ),
    }
    return render(request, "accounts/home.html", context)

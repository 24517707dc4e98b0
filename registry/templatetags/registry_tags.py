"""`{% registry_panels user %}`: what waits for the user in the register, on the home page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from accounts import permissions as perms
from registry.health import account_health, with_health_data
from registry.models import SocialAccount

register = template.Library()


@register.inclusion_tag("registry/_panels.html")
def registry_panels(user: Any) -> dict[str, Any]:
    """Requests to act on, the user's own accounts and their health, in constant queries."""
    from registry.views import waiting_for

    if not perms.can(user, "registry.view_register"):
        return {"show": False}
    today = timezone.localdate()
    mine = with_health_data(
        SocialAccount.objects.run_by(user).exclude(state=SocialAccount.State.CLOSED)
    )
    health_scope = with_health_data(
        SocialAccount.objects.visible_to(user).filter(state=SocialAccount.State.ACTIVE)
    )
    unhealthy = [(a, issues) for a in health_scope if (issues := account_health(a, today))]
    return {
        "show": True,
        "mine": [(a, account_health(a, today)) for a in mine],
        "unhealthy": unhealthy,
        **waiting_for(user),
    }

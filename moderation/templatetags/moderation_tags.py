"""`{% load moderation_tags %}{% account_moderation account user %}`: recent removals and
open incoming items of one account, for registry's account page. Restricted content is
hidden exactly as on the moderation pages."""

from __future__ import annotations

from typing import Any

from django import template

from accounts import permissions as perms
from moderation import services
from moderation.models import IncomingItem, RemovedPost

register = template.Library()

RECENT = 5


@register.inclusion_tag("moderation/_account_moderation.html")
def account_moderation(account: Any, user: Any) -> dict[str, Any]:
    if not perms.can(user, "moderation.view", account):
        return {"visible": False}
    removals = list(
        RemovedPost.objects.filter(account=account)
        .current()
        .with_line_confidentiality()
        .select_related("reason")
        .order_by("-removed_at")[:RECENT]
    )
    items = list(IncomingItem.objects.filter(account=account).open().order_by("due_at")[:RECENT])
    shown: list[RemovedPost | IncomingItem] = [*removals, *items]
    for obj in shown:
        obj.readable = perms.may_read_content(user, obj)
    return {
        "visible": True,
        "account": account,
        "removals": removals,
        "items": items,
        # Nothing is published before activation (REG-3), so nothing can be removed yet.
        "can_log": account.in_use and perms.can(user, "moderation.log_removal", account),
        "can_handle": perms.can(user, "moderation.handle_incoming", account),
    }


@register.inclusion_tag("moderation/_panels.html")
def moderation_panels(user: Any) -> dict[str, Any]:
    """On the home page: the incoming items past the response-time rule (MOD-5) and the
    removals still waiting for a diarienummer (MOD-3), among the accounts the user may see.
    A constant number of queries whatever the number of items."""
    if not perms.can(user, "moderation.view"):
        return {"visible": False}
    overdue = list(
        IncomingItem.objects.visible_to(user)
        .overdue()
        .select_related("account__platform")
        .order_by("due_at")[: RECENT * 2]
    )
    for item in overdue:
        item.readable = perms.may_read_content(user, item)
    handoffs = (
        RemovedPost.objects.visible_to(user).pending_registration().count()
        if perms.can(user, "moderation.view_handoffs")
        else None
    )
    return {
        "visible": True,
        "overdue": overdue,
        "handoffs": handoffs,
        "rule": services.response_rule(),
    }

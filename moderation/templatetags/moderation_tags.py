"""`{% load moderation_tags %}{% account_moderation account user %}`: recent removals and
open incoming items of one account, for registry's account page. Restricted content is
hidden exactly as on the moderation pages."""

from __future__ import annotations

from typing import Any

from django import template

from accounts import permissions as perms
from moderation.models import IncomingItem, RemovedPost

register = template.Library()

RECENT = 5


@register.inclusion_tag("moderation/_account_moderation.html")
def account_moderation(account: Any, user: Any) -> dict[str, Any]:
    if not perms.can(user, "moderation.view", account):
        return {"visible": False}
    removals = list(
        RemovedPost.objects.filter(account=account).current()
        .select_related("reason").order_by("-removed_at")[:RECENT]
    )
    items = list(
        IncomingItem.objects.filter(account=account).open().order_by("due_at")[:RECENT]
    )
    for obj in [*removals, *items]:
        obj.readable = perms.may_read_content(user, obj)
    return {
        "visible": True,
        "account": account,
        "removals": removals,
        "items": items,
        "can_log": perms.can(user, "moderation.log_removal", account),
        "can_handle": perms.can(user, "moderation.handle_incoming", account),
    }

"""`{% load archive_tags %}{% account_snapshots account user %}` on registry's account page."""

from __future__ import annotations

from typing import Any

from django import template

from accounts import permissions as perms
from archive.forms import RequestSnapshotForm
from archive.models import Snapshot

register = template.Library()


@register.inclusion_tag("archive/_account_snapshots.html")
def account_snapshots(account: Any, user: Any, limit: int = 10) -> dict[str, Any]:
    """Show the account's snapshots the user may see, and the request form if allowed.

    Two queries whatever the number of snapshots (ARC-1 "före större förändringar").
    """
    snapshots = list(
        Snapshot.objects.filter(account=account)
        .select_related("account")
        .with_sources_flag()[:limit]
    )
    # Whether one may see a snapshot depends only on its account: decide once.
    may_see = bool(snapshots) and perms.can(user, "archive.view_snapshot", snapshots[0])
    visible = snapshots if may_see else []
    # A draft or a request under approval has no page to capture yet (ARC-1, REG-3).
    can_request = account.in_use and perms.can(user, "archive.request_snapshot", account)
    return {
        "account": account,
        "snapshots": visible,
        "can_view_gallring": perms.can(user, "archive.view_gallring", account),
        "form": (
            RequestSnapshotForm(account=account, auto_id="archive_%s") if can_request else None
        ),
    }


@register.simple_tag
def may_build_packages(user: Any) -> bool:
    """`{% may_build_packages user as x %}`: whether to offer the delivery packages page."""
    return perms.can(user, "archive.build_package")

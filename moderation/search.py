"""Search over removal records and incoming items (issue 4, "Reports").

PostgreSQL: full-text search with the Swedish configuration (stemming: "kommentarerna"
finds "kommentar"). SQLite: a plain case-insensitive match. Either way, confidential rows
whose content the user may not read are matched on nothing: otherwise a search would tell
what a restricted record says.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import Q, QuerySet

from accounts import permissions as perms

REMOVAL_FIELDS = ["content", "context", "motivation", "sender_name"]
INCOMING_FIELDS = ["text", "sender_name", "reply"]

_QS = TypeVar("_QS", bound=QuerySet[Any])


def _readable_only(qs: _QS, user: Any) -> _QS:
    ids = perms.confidential_account_ids(user)
    if ids is None:
        return qs
    if hasattr(qs, "with_line_confidentiality"):
        # Removal records: confidential when any record of their line of corrections is
        # (MOD-3, accounts.permissions.is_restricted), so an original whose correction is
        # marked sekretess is matched on nothing either.
        qs = qs.with_line_confidentiality()
        return qs.filter(Q(_line_confidential=False) | Q(account_id__in=ids))
    return qs.filter(Q(confidential=False) | Q(account_id__in=ids))


def search(qs: _QS, query: str, user: Any, fields: list[str]) -> _QS:
    """Return the rows of `qs` matching `query` in `fields`, as `user` may search them."""
    query = query.strip()
    if not query:
        return qs
    qs = _readable_only(qs, user)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(*fields, config="swedish")
        return qs.annotate(_search=vector).filter(
            _search=SearchQuery(query, config="swedish", search_type="websearch")
        )
    match = Q()
    for name in fields:
        match |= Q(**{f"{name}__icontains": query})
    return qs.filter(match)

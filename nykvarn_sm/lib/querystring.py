"""Values read from a query string, where anything may arrive."""

from __future__ import annotations


def id_param(value: str | None) -> int | None:
    """Return a positive id from the query string, or None: junk and numbers beyond a
    32-bit id (which overflow SQLite's integer binding) are ignored."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 2**31 else None

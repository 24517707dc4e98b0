"""Cells for CSV and XLSX files that people open in Excel."""

from __future__ import annotations

from typing import Any

# A text cell starting with one of these is read as a formula by Excel and LibreOffice
# (CSV/formula injection); exports carry text written by the public and by staff.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return `value`, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value

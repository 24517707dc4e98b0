"""Cells for CSV and XLSX files that people open in Excel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

# A text cell starting with one of these is read as a formula by Excel and LibreOffice
# (CSV/formula injection); exports carry text written by the public and by staff.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return `value`, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def xlsx_cell(sheet: Worksheet, value: Any) -> Cell:
    """Return a cell of `sheet` for `sheet.append`, text stored as text and never a formula.

    Unlike CSV, XLSX says what a cell is, so no "'" prefix (it would show): text is an
    explicit string cell. Control characters XLSX can't hold (openpyxl raises on them) are
    dropped; tab, line feed and carriage return stay.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    if not isinstance(value, str):
        return Cell(sheet, value=value)
    cell = Cell(sheet)
    cell._value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"
    return cell

"""Exported cells never run as formulas in a spreadsheet."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from nykvarn_sm.lib.spreadsheet import safe_cell, xlsx_cell


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_formula_text_is_made_inert(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Fritidsfabriken", "", 42, -3, None, "a=b"])
def test_other_values_are_unchanged(value):
    assert safe_cell(value) == value


def _round_trip(values):
    book = Workbook()
    sheet = book.active
    sheet.append([xlsx_cell(sheet, v) for v in values])
    out = BytesIO()
    book.save(out)
    return list(load_workbook(BytesIO(out.getvalue())).active.iter_rows())[0]


def test_xlsx_text_is_a_string_cell_without_prefix_never_a_formula():
    texts = ['=HYPERLINK("http://evil","klicka")', "+1+1", "-2", "@SUM(A1)", "Vanlig text"]
    cells = _round_trip(texts)
    assert [c.value for c in cells] == texts
    assert all(c.data_type == "s" for c in cells)


def test_xlsx_drops_control_characters_but_keeps_tab_and_newlines():
    (cell, number) = _round_trip(["a\x00b\x07c\x1fd\te\nf", 42])
    assert cell.value == "abcd\te\nf"
    assert number.value == 42 and number.data_type == "n"

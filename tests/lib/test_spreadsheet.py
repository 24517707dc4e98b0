"""Exported cells never run as formulas in a spreadsheet."""

from __future__ import annotations

import pytest

from nykvarn_sm.lib.spreadsheet import safe_cell


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_formula_text_is_made_inert(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Fritidsfabriken", "", 42, -3, None, "a=b"])
def test_other_values_are_unchanged(value):
    assert safe_cell(value) == value

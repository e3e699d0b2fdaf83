"""pyxform's errors are coded by pyxform's own error code where it gives one."""

from __future__ import annotations

import pytest
from pyxform.errors import ErrorCode, PyXFormError

from analysis.instrument.form_errors import from_pyxform


@pytest.mark.parametrize(
    ("pyxform_code", "context", "code", "sheet", "column"),
    [
        (ErrorCode.NAMES_007, {"row": 5}, "INS025", "choices", "name"),
        (
            ErrorCode.SURVEY_002,
            {"row": 9, "type": "group", "name": "g"},
            "INS015",
            "survey",
            "type",
        ),
        (
            ErrorCode.SURVEY_001,
            {"row": 3, "type": "repeat", "name": "r"},
            "INS016",
            "survey",
            "type",
        ),
        (ErrorCode.NAMES_001, {"row": 4, "value": "age"}, "INS014", "survey", "name"),
    ],
)
def test_coded_pyxform_errors_map_by_code(pyxform_code, context, code, sheet, column):
    err = from_pyxform(PyXFormError(code=pyxform_code, context=context), "form.xlsx")
    assert (err.code, err.sheet, err.row, err.column) == (code, sheet, context["row"], column)
    assert str(err.file) == "form.xlsx"


def test_uncoded_errors_still_map_by_wording():
    err = from_pyxform(PyXFormError("[row : 7] List name not in choices sheet: yes_no"), "f.xlsx")
    assert (err.code, err.row, err.found) == ("INS013", 7, "yes_no")


def test_unknown_errors_keep_pyxforms_words():
    err = from_pyxform(PyXFormError("[row : 2] something new"), "f.xlsx")
    assert err.code == "INS010"
    assert "something new" in str(err)

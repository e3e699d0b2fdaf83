"""pyxform's errors as coded, located :class:`~analysis.errors.InstrumentError`.

pyxform reports a problem as one sentence, usually starting ``[row : 12]`` and naming the
sheet and column (``On the 'survey' sheet, the 'name' value ...``). This module keeps
pyxform's row and wording, adds the file, sheet and column, picks a stable toolkit code
for the mistakes people make most, and says what to do. Codes are listed in
``docs/errors/instrument.md``.

Examples
--------
>>> from pyxform.errors import PyXFormError
>>> err = from_pyxform(PyXFormError("[row : 7] List name not in choices sheet: yes_no"), "f.xlsx")
>>> err.code, err.sheet, err.row, err.column, err.found
('INS013', 'survey', 7, 'type', 'yes_no')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pyxform.errors import PyXFormError

from ..errors import InstrumentError

__all__ = ["from_pyxform"]

_SHEETS = "survey|choices|settings|external_choices|entities|osm"
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]", re.I)
_SHEET = re.compile(rf"On the '({_SHEETS})' sheet|sheet:\s*'({_SHEETS})'|'({_SHEETS})' sheet", re.I)
_COLUMN = re.compile(r"the '([^']+)' value|'([^']+)' column|column '([^']+)'", re.I)


@dataclass(frozen=True)
class _Rule:
    """A toolkit code for one kind of pyxform error.

    ``pyxform_codes`` are pyxform's own :class:`~pyxform.errors.ErrorCode` names: an error
    carrying one of them is matched by code. ``pattern`` matches pyxform's wording, for the
    errors pyxform raises without a code (and gives the value quoted in the message).
    """

    code: str
    pyxform_codes: tuple[str, ...]
    pattern: re.Pattern[str]
    summary: str
    hint: str
    sheet: str | None = None
    column: str | None = None
    row: int | None = None


# code, pyxform's codes, pyxform's wording, summary, what to do, (sheet, column, row)
_RULE_TABLE: tuple[
    tuple[str, tuple[str, ...], str, str, str, tuple[str | None, str | None, int | None]], ...
] = (
    (
        "INS004",
        (),
        r"must have a sheet named 'survey'",
        "the form has no 'survey' sheet",
        "Name the questions sheet exactly 'survey' (lower case).",
        ("survey", None, None),
    ),
    (
        "INS011",
        (),
        r"Unknown question type '([^']*)'",
        "unknown question type",
        "Use an XLSForm type (integer, decimal, text, select_one LIST, select_multiple LIST, date, note, calculate, ...); check the spelling.",
        ("survey", "type", None),
    ),
    (
        "INS013",
        (),
        r"List name not in (?:external )?choices sheet:\s*(\S+)",
        "the choice list named in the type column is not on the choices sheet",
        "Add the list to the choices sheet (list_name column) or correct its spelling in the type column.",
        ("survey", "type", None),
    ),
    (
        "INS014",
        ("NAMES_001", "NAMES_002", "NAMES_003", "NAMES_004", "NAMES_005"),
        r"must be unique within their nearest parent|Repeat names must unique|case-insensitive match to another name",
        "duplicate question name",
        "Give each question, group and repeat its own name.",
        ("survey", "name", None),
    ),
    (
        "INS015",
        ("SURVEY_002",),
        r"Unmatched 'begin_(group|repeat|loop)'",
        "a group or repeat is opened but never closed",
        "Add an 'end group' (or 'end repeat') row after the last question of the group.",
        ("survey", "type", None),
    ),
    (
        "INS016",
        ("SURVEY_001",),
        r"Unmatched 'end_(group|repeat|loop)'",
        "an end group/end repeat row has no matching begin row",
        "Delete the extra 'end group'/'end repeat' row or add the missing 'begin group' row.",
        ("survey", "type", None),
    ),
    (
        "INS017",
        ("NAMES_006",),
        r"Question or group with no name|Choices must have a name",
        "a question, group or choice has no name",
        "Fill in the name column (letters, digits and _; starting with a letter).",
        (None, "name", None),
    ),
    (
        "INS018",
        (),
        r"Question with no type",
        "a question has no type",
        "Fill in the type column, or delete the row if it is a comment.",
        ("survey", "type", None),
    ),
    (
        "INS019",
        ("NAMES_008", "NAMES_009"),
        r"Names must begin with a letter or underscore|must not begin with two underscores|must not contain a period|must not be 'name' or 'label'",
        "invalid name",
        "Names start with a letter or _, then letters, digits, _, - or . (no spaces, no Chinese characters).",
        (None, None, None),
    ),
    (
        "INS023",
        ("PYREF_003",),
        r"Reference variables must contain a name from the 'survey' sheet",
        "an expression refers to a question that does not exist",
        "Correct the name inside ${...} or add the question it refers to.",
        (None, None, None),
    ),
    (
        "INS027",
        ("PYREF_001", "PYREF_002", "PYREF_004"),
        r"Reference variables must start with|Reference variable lists must have|Reference variables names must be unique",
        "malformed ${...} reference",
        "Write references as ${question_name}; a question referred to must have a unique name.",
        (None, None, None),
    ),
    (
        "INS025",
        ("NAMES_007",),
        r"Choice names must be unique",
        "duplicate choice name in a choice list",
        "Give each choice of a list its own name (code), or add allow_choice_duplicates=yes to settings.",
        ("choices", "name", None),
    ),
    (
        "INS026",
        ("HEADER_003",),
        r"required column headers were not found:\s*(.+?)\.\s",
        "a required column is missing",
        "Add the missing column header in the first row of the sheet (type, name, label on survey; list_name, name, label on choices).",
        (None, None, 1),
    ),
    (
        "INS022",
        ("HEADER_002",),
        r"Headers that are different names for the same column|Duplicate column header",
        "two columns hold the same thing",
        "Delete or rename one of the two columns.",
        (None, None, 1),
    ),
    (
        "INS028",
        ("LABEL_001",),
        r"Choices should have a label",
        "a choice has no label",
        "Fill in the label of the choice (in every language column).",
        ("choices", "label", None),
    ),
    (
        "INS032",
        (),
        r"Missing calculation",
        "a calculate question has no calculation",
        "Write the expression in the calculation column, or change the type.",
        ("survey", "calculation", None),
    ),
    (
        "INS029",
        ("SURVEY_004", "SURVEY_005"),
        r"the 'parameters' value is invalid",
        "invalid parameters",
        "Write parameters as key=value pairs separated by spaces, e.g. start=0 end=10 step=1.",
        ("survey", "parameters", None),
    ),
)

_RULES = tuple(
    _Rule(code, codes, re.compile(pattern, re.I), summary, hint, *where)
    for code, codes, pattern, summary, hint, where in _RULE_TABLE
)
_BY_PYXFORM_CODE = {name: rule for rule in _RULES for name in rule.pyxform_codes}


def _rule_for(exc: PyXFormError | Exception, raw: str) -> _Rule | None:
    """The rule for an error: by pyxform's own code where it gives one, else by wording."""
    pyxform_code = getattr(getattr(exc, "code", None), "name", None)
    if pyxform_code in _BY_PYXFORM_CODE:
        return _BY_PYXFORM_CODE[pyxform_code]
    return next((r for r in _RULES if r.pattern.search(raw)), None)


def _clean(message: str) -> str:
    """pyxform's sentence without the row dump some errors append."""
    first, _, _ = message.partition("\n")
    return re.sub(r"\s+", " ", first).strip()


def from_pyxform(exc: PyXFormError | Exception, path: str | Path) -> InstrumentError:
    """A coded :class:`InstrumentError` for a pyxform error, keeping pyxform's row and wording.

    Parameters
    ----------
    exc : PyXFormError
        The error pyxform raised.
    path : str or Path
        The form file (named in the error).
    """
    raw = str(exc)
    message = _clean(raw)
    context = getattr(exc, "context", None) or {}
    rule = _rule_for(exc, raw)

    row = context.get("row")
    if row is None:
        match = _ROW.search(message)
        row = int(match.group(1)) if match else (rule.row if rule else None)
    sheet = context.get("sheet")
    if sheet is None:
        match = _SHEET.search(message)
        if match:
            sheet = next(g for g in match.groups() if g).lower()
        elif rule and rule.sheet:
            sheet = rule.sheet
        elif row is not None:
            sheet = "survey"
    column = context.get("column")
    if column is None:
        match = _COLUMN.search(message)
        if match:
            column = next(g for g in match.groups() if g)
        elif rule and rule.column:
            column = rule.column
    found = None
    if rule:
        match = rule.pattern.search(raw)
        if match and match.groups():
            found = match.group(1).strip().strip("'")
        if rule.code == "INS026" and found:
            column = found.replace("'", "")
    if sheet == "settings" and row == 1:
        row = 2  # pyxform names the header row; the values are on row 2
    if rule and rule.code == "INS019" and sheet == "settings":
        code, summary, hint = (
            "INS024",
            "invalid setting",
            "The settings name/form_id must be a valid XML name: letters, digits and _, starting with a letter.",
        )
    elif rule:
        code, summary, hint = rule.code, rule.summary, rule.hint
    else:
        code, summary, hint = (
            "INS010",
            "pyxform rejected the form",
            "Fix the row pyxform names; the rules of each column are at xlsform.org.",
        )
    return InstrumentError(
        code,
        f"{summary} (pyxform: {message})",
        file=path,
        sheet=sheet,
        row=int(row) if row is not None else None,
        column=column,
        found=found,
        hint=hint,
    )

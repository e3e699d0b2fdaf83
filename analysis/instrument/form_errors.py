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
    code: str
    pattern: re.Pattern[str]
    summary: str
    hint: str
    sheet: str | None = None
    column: str | None = None
    row: int | None = None


_RULES = (
    _Rule(
        "INS004",
        re.compile(r"must have a sheet named 'survey'", re.I),
        "the form has no 'survey' sheet",
        "Name the questions sheet exactly 'survey' (lower case).",
        sheet="survey",
    ),
    _Rule(
        "INS011",
        re.compile(r"Unknown question type '([^']*)'", re.I),
        "unknown question type",
        "Use an XLSForm type (integer, decimal, text, select_one LIST, select_multiple LIST, date, note, calculate, ...); check the spelling.",
        sheet="survey",
        column="type",
    ),
    _Rule(
        "INS013",
        re.compile(r"List name not in (?:external )?choices sheet:\s*(\S+)", re.I),
        "the choice list named in the type column is not on the choices sheet",
        "Add the list to the choices sheet (list_name column) or correct its spelling in the type column.",
        sheet="survey",
        column="type",
    ),
    _Rule(
        "INS014",
        re.compile(
            r"must be unique within their nearest parent|Repeat names must unique|case-insensitive match to another name",
            re.I,
        ),
        "duplicate question name",
        "Give each question, group and repeat its own name.",
        sheet="survey",
        column="name",
    ),
    _Rule(
        "INS015",
        re.compile(r"Unmatched 'begin_(group|repeat|loop)'", re.I),
        "a group or repeat is opened but never closed",
        "Add an 'end group' (or 'end repeat') row after the last question of the group.",
        sheet="survey",
        column="type",
    ),
    _Rule(
        "INS016",
        re.compile(r"Unmatched 'end_(group|repeat|loop)'", re.I),
        "an end group/end repeat row has no matching begin row",
        "Delete the extra 'end group'/'end repeat' row or add the missing 'begin group' row.",
        sheet="survey",
        column="type",
    ),
    _Rule(
        "INS017",
        re.compile(r"Question or group with no name|Choices must have a name", re.I),
        "a question, group or choice has no name",
        "Fill in the name column (letters, digits and _; starting with a letter).",
        column="name",
    ),
    _Rule(
        "INS018",
        re.compile(r"Question with no type", re.I),
        "a question has no type",
        "Fill in the type column, or delete the row if it is a comment.",
        sheet="survey",
        column="type",
    ),
    _Rule(
        "INS019",
        re.compile(
            r"Names must begin with a letter or underscore|must not begin with two underscores|must not contain a period|must not be 'name' or 'label'",
            re.I,
        ),
        "invalid name",
        "Names start with a letter or _, then letters, digits, _, - or . (no spaces, no Chinese characters).",
    ),
    _Rule(
        "INS023",
        re.compile(r"Reference variables must contain a name from the 'survey' sheet", re.I),
        "an expression refers to a question that does not exist",
        "Correct the name inside ${...} or add the question it refers to.",
    ),
    _Rule(
        "INS027",
        re.compile(
            r"Reference variables must start with|Reference variable lists must have|Reference variables names must be unique",
            re.I,
        ),
        "malformed ${...} reference",
        "Write references as ${question_name}; a question referred to must have a unique name.",
    ),
    _Rule(
        "INS025",
        re.compile(r"Choice names must be unique", re.I),
        "duplicate choice name in a choice list",
        "Give each choice of a list its own name (code), or add allow_choice_duplicates=yes to settings.",
        sheet="choices",
        column="name",
    ),
    _Rule(
        "INS026",
        re.compile(r"required column headers were not found:\s*(.+?)\.\s", re.I),
        "a required column is missing",
        "Add the missing column header in the first row of the sheet (type, name, label on survey; list_name, name, label on choices).",
        row=1,
    ),
    _Rule(
        "INS022",
        re.compile(
            r"Headers that are different names for the same column|Duplicate column header", re.I
        ),
        "two columns hold the same thing",
        "Delete or rename one of the two columns.",
        row=1,
    ),
    _Rule(
        "INS028",
        re.compile(r"Choices should have a label", re.I),
        "a choice has no label",
        "Fill in the label of the choice (in every language column).",
        sheet="choices",
        column="label",
    ),
    _Rule(
        "INS032",
        re.compile(r"Missing calculation", re.I),
        "a calculate question has no calculation",
        "Write the expression in the calculation column, or change the type.",
        sheet="survey",
        column="calculation",
    ),
    _Rule(
        "INS029",
        re.compile(r"the 'parameters' value is invalid", re.I),
        "invalid parameters",
        "Write parameters as key=value pairs separated by spaces, e.g. start=0 end=10 step=1.",
        sheet="survey",
        column="parameters",
    ),
)


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
    rule = next((r for r in _RULES if r.pattern.search(raw)), None)

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

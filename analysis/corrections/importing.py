"""Cleaning logs of other tools (REACH cleaningtools, IPA-style logs) as ``corrections.csv``.

A log with one row per change (``uuid``/``X_uuid``/``_uuid``, ``question(s)``,
``change_type``, ``old_value``, ``new_value``, ``reason`` ...) becomes rows of a wave's
cleaning log (:data:`~analysis.corrections.cleaning_log.CORRECTIONS_COLUMNS`):

* ``change_response`` -> ``replace``; ``blank_response`` -> ``replace`` with an empty
  new value; ``remove_survey`` -> ``drop``; ``no_action`` -> ``confirm``;
* an edit of a select_multiple 0/1 column (``q.choice``, ``q/choice``, ``q_choice``)
  becomes an edit of the answer ``q`` (the data gives the answer it starts from);
* a replace row without an old value gets the value the data holds (reported);
* a row repeating an earlier one is left out (reported);
* a row with no ``reason`` takes the log's own words for it: its ``issue`` (why the
  value was flagged) and the field officer's response, e.g. ``outlier; field officer:
  it should be 4`` (reported as ``reason from the log's issue``);
* ``who``, ``date`` and ``reason`` are never invented: a row lacking them is written
  with what it has (the ``who``/``date`` given by the user fill the empty ones only)
  and is listed in :attr:`ImportResult.report`; :func:`read_corrections` then names
  the rows to complete (``COR016``);
* a ``no_action`` row naming no question (``Survey completed in less than 25 min``) is
  left out and reported: a confirmation in corrections.csv is of one answer;
* drops come after every other row (a confirm of a dropped record still applies).

With the data (``raw`` and ``instrument``), every written row is tried in order the way
:func:`~analysis.corrections.apply_corrections` applies it; a row that would fail
(unknown key, old value not in the data, value not fitting) is left out and reported.

Examples
--------
>>> import pandas as pd
>>> log = pd.DataFrame({"X_uuid": ["u1", "u1", "u2"], "questions": ["age", "age", ""],
...     "change_type": ["change_response", "change_response", "remove_survey"],
...     "old_value": ["156", "156", ""], "new_value": ["56", "56", ""],
...     "reason": ["typo", "typo", "pilot"]})
>>> result = import_cleaning_log(log, instrument_name="hh")
>>> result.corrections[["key", "variable", "action", "new_value"]].values.tolist()
[['u1', 'age', 'replace', '56'], ['u2', '', 'drop', '']]
>>> sorted(result.report["problem"].unique())
['duplicate', 'no date', 'no who']
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CorrectionError
from ..instrument.model import Instrument
from ..readers.encoding import decode_text
from ..readers.rawdata import RawData
from .apply import _Work
from .cleaning_log import CORRECTIONS_COLUMNS, _date
from .values import display

__all__ = ["CHANGE_TYPES", "REPORT_COLUMNS", "ImportResult", "import_cleaning_log", "read_log"]

#: change_type of cleaningtools / IPA logs -> action of corrections.csv.
CHANGE_TYPES = {
    "change_response": "replace",
    "blank_response": "replace",
    "remove_survey": "drop",
    "no_action": "confirm",
    "no_change": "confirm",
}
#: Columns of :attr:`ImportResult.report`.
REPORT_COLUMNS = ("log_row", "key", "variable", "problem", "detail", "kept")

_COLUMN_NAMES = {
    "key": ("uuid", "x_uuid", "_uuid", "x.uuid", "key", "instanceid", "submission_uuid"),
    "variable": ("questions", "question", "question.name", "variable", "name"),
    "change_type": ("change_type", "change.type", "action", "type_of_change"),
    "old_value": ("old_value", "old.value", "value"),
    "new_value": ("new_value", "new.value"),
    "reason": ("reason", "explanation", "comment"),
    "who": ("who", "changed_by", "modified_by", "responsible", "cleaner"),
    "date": ("date", "change_date", "reported_date", "date_reported", "x.u.feff.reported_date"),
    "issue": ("issue", "issue_type", "check", "check_name", "flag"),
    "response": (
        "field.officer.s.response",
        "field_officer_response",
        "fo_response",
        "fo.response",
        "enumerator_response",
        "response",
    ),
}


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_cleaning_log` made.

    Attributes
    ----------
    corrections : DataFrame
        The rows for corrections.csv (:data:`CORRECTIONS_COLUMNS`, text).
    report : DataFrame
        One row per problem (:data:`REPORT_COLUMNS`): ``log_row`` is the row in the
        imported file (header = 1); ``kept`` tells whether the row was written.
    log_rows : int
        Rows of the imported log.
    """

    corrections: pd.DataFrame
    report: pd.DataFrame
    log_rows: int

    def summary(self) -> str:
        """A few lines for the terminal: rows written, left out, and problems by kind."""
        counts = self.corrections["action"].value_counts()
        actions = ", ".join(
            f"{counts[a]} {a}" for a in ("replace", "confirm", "drop") if a in counts
        )
        lines = [f"{self.log_rows} log rows -> {len(self.corrections)} corrections ({actions})"]
        if not self.report.empty:
            left = self.report.loc[~self.report["kept"], "log_row"].nunique()
            lines.append(f"{left} log row(s) left out")
            for problem, n in self.report["problem"].value_counts().sort_index().items():
                lines.append(f"  {problem}: {n}")
        return "\n".join(lines)


def read_log(path: str | Path) -> pd.DataFrame:
    """A cleaning log file (CSV in any encoding the readers know, or XLSX) as text."""
    path = Path(path)
    if not path.is_file():
        raise CorrectionError(
            "COR050", "cleaning log to import not found", file=str(path), hint="Check the path."
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        text, _used, _notes = decode_text(path.read_bytes(), None, file=str(path))
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None,
                            engine="python")  # fmt: skip
    return frame.fillna("")


def _pick_columns(frame: pd.DataFrame, path: str | None) -> dict[str, str | None]:
    lower = {str(c).strip().lstrip("\ufeff").lower(): c for c in frame.columns}
    found: dict[str, str | None] = {}
    for field, names in _COLUMN_NAMES.items():
        found[field] = next((lower[n] for n in names if n in lower), None)
    missing = [f for f in ("key", "change_type") if found[f] is None]
    if missing:
        raise CorrectionError(
            "COR050",
            f"the cleaning log has no {' or '.join(missing)} column",
            file=path,
            expected="uuid (or X_uuid, _uuid), question(s), change_type, old_value, new_value, reason",
            found=", ".join(map(str, frame.columns)),
            hint="Rename the columns of the log to these names, then import it again.",
        )
    return found


def _date_order(values: list[str]) -> str | None:
    first = second = False
    for v in values:
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", v.strip())
        if m:
            first |= int(m[1]) > 12
            second |= int(m[2]) > 12
    if first and not second:
        return "dmy"
    if second and not first:
        return "mdy"
    return None


def _iso_date(value: str, order: str | None) -> str | None:
    value = value.strip()
    if not value:
        return ""
    iso = _date(value)
    if iso is not None:
        return iso
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T].*)?", value)
    if m and order is not None:
        day, month = (m[1], m[2]) if order == "dmy" else (m[2], m[1])
        return _date(f"{m[3]}-{month}-{day}")
    return None


def _split_choice(variable: str, form: Instrument | None) -> tuple[str, str] | None:
    """``(question, code)`` when ``variable`` names a select_multiple's 0/1 column."""
    if form is None or variable in form:
        return None
    for sep in (".", "/", "_"):
        parts = variable.split(sep)
        for i in range(1, len(parts)):
            q, code = sep.join(parts[:i]), sep.join(parts[i:])
            if q in form and form[q].type == "select_multiple":
                choices = form.choices(form[q])
                if choices is not None and code in choices.codes:
                    return q, code
    return None


def import_cleaning_log(
    log: pd.DataFrame | str | Path,
    *,
    instrument_name: str,
    raw: RawData | None = None,
    instrument: Instrument | None = None,
    who: str | None = None,
    date: str | None = None,
    reason: str | None = None,
    date_order: str | None = None,
) -> ImportResult:
    """Turn another tool's cleaning log into corrections.csv rows (see module doc).

    Parameters
    ----------
    log : DataFrame or path
        The log (CSV or XLSX file, or its rows as text).
    instrument_name : str
        The study's name of the instrument the log is about.
    raw, instrument : RawData and Instrument, optional
        The export the log was written against and its form: needed to turn 0/1 column
        edits into answer edits, to fill missing old values and to check every row.
    who, date, reason : str, optional
        Fill the rows whose log gives no one / no date / no reason (never overwrite; a
        reason is first taken from the log's issue and field officer's response).
    date_order : {"dmy", "mdy"}, optional
        How ``05/07/2021`` dates are written; found from the log when a day > 12 shows.

    Returns
    -------
    ImportResult

    Raises
    ------
    CorrectionError
        ``COR050`` the file is missing or lacks the key or change_type column;
        ``COR030`` ``date`` is not a date.
    """
    path = None
    if not isinstance(log, pd.DataFrame):
        path = str(log)
        log = read_log(log)
    log = log.fillna("").astype(str)
    cols = _pick_columns(log, path)
    if date is not None and _date(date) is None:
        raise CorrectionError(
            "COR030", f"'{date}' is not a date", found=date, expected="YYYY-MM-DD",
            hint="Give --date as YYYY-MM-DD.",
        )  # fmt: skip
    default_date = _date(date) if date else ""
    dates = log[cols["date"]].tolist() if cols["date"] else []
    order = date_order or _date_order(dates)
    report: list[dict[str, Any]] = []
    work = _Work(raw, instrument, instrument_name, None, path) if raw is not None else None
    if work is None and instrument is not None:
        instrument = None  # the form alone cannot turn 0/1 edits into answers

    def note(row: int, key: str, variable: str, problem: str, detail: str, kept: bool) -> None:
        report.append(
            {"log_row": row, "key": key, "variable": variable, "problem": problem,
             "detail": detail, "kept": kept}
        )  # fmt: skip

    def get(rec: dict[str, str], field: str) -> str:
        column = cols[field]
        return rec[column].strip() if column else ""

    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, ...], int] = {}
    for i, rec in enumerate(log.to_dict("records"), start=2):
        key, variable = get(rec, "key"), get(rec, "variable")
        change = get(rec, "change_type").lower()
        action = CHANGE_TYPES.get(change)
        if not key:
            note(i, key, variable, "no key", "the row names no record", False)
            continue
        if action is None:
            note(i, key, variable, "unknown change type", change or "(empty)", False)
            continue
        old = get(rec, "old_value")
        new = get(rec, "new_value") if change == "change_response" else ""
        if action == "drop":
            variable, old = "", ""
        if action == "confirm" and not variable:
            said = _said(get(rec, "issue"), get(rec, "response"))
            note(i, key, variable, "confirm of no question", said or "nothing to confirm", False)
            continue
        found_date = get(rec, "date")
        iso = _iso_date(found_date, order)
        if iso is None:
            note(i, key, variable, "bad date", f"'{found_date}' (give --date-order)", True)
            iso = ""
        row = {
            "log_row": i,
            "instrument": instrument_name,
            "key": key,
            "variable": variable,
            "old_value": old,
            "new_value": new,
            "action": action,
            "reason": get(rec, "reason"),
            "who": get(rec, "who"),
            "date": iso,
            "said": _said(get(rec, "issue"), get(rec, "response")),
        }
        ident = tuple(row[c] for c in ("key", "variable", "action", "old_value", "new_value"))
        if ident in seen:
            note(i, key, variable, "duplicate", f"repeats log row {seen[ident]}", False)
            continue
        seen[ident] = i
        rows.append(row)

    rows.sort(key=lambda r: r["action"] == "drop")  # stable: drops last
    out: list[dict[str, Any]] = []
    for row in rows:
        i, key = row["log_row"], row["key"]
        if work is not None:
            row = _checked(work, instrument, row, note)
            if row is None:
                continue
        for field, given in (("who", who), ("date", default_date)):
            if not row[field]:
                if given:
                    row[field] = given
                else:
                    note(i, key, row["variable"], f"no {field}", "left empty", True)
        if not row["reason"]:
            row["reason"] = row.pop("said", "")
            if row["reason"]:
                note(i, key, row["variable"], "reason from the log's issue", row["reason"], True)
            elif reason:
                row["reason"] = reason
            else:
                note(i, key, row["variable"], "no reason", "left empty", True)
        row.pop("said", None)
        out.append(row)
    corrections = pd.DataFrame(out, columns=["log_row", *CORRECTIONS_COLUMNS])
    corrections = corrections.drop(columns="log_row").astype(str).reset_index(drop=True)
    report_frame = pd.DataFrame(report, columns=list(REPORT_COLUMNS))
    report_frame = report_frame.sort_values(["log_row", "problem"], kind="stable")
    return ImportResult(corrections, report_frame.reset_index(drop=True), len(log))


def _said(issue: str, response: str) -> str:
    """The log's own explanation of a row: its issue and the field officer's response."""
    return "; ".join(
        part for part in (issue, f"field officer: {response}" if response else "") if part
    )


def _checked(
    work: _Work, form: Instrument | None, row: dict[str, Any], note: Any
) -> dict[str, Any] | None:
    """The row as it applies to the data (0/1 edit -> answer edit), or None (reported)."""
    i, key, variable = row["log_row"], row["key"], row["variable"]
    choice = _split_choice(variable, form) if variable else None
    if choice is not None:
        row = _choice_edit(work, form, row, choice, note)
        if row is None:
            return None
    elif row["action"] in ("replace", "confirm") and variable and not row["old_value"]:
        current = _current(work, key, variable)
        if current:
            row = {**row, "old_value": current}
            note(i, key, variable, "old value from the data", current, True)
    frame = pd.DataFrame([{"csv_row": i, **{c: row[c] for c in CORRECTIONS_COLUMNS}}])
    rec = next(frame.itertuples(index=False))
    try:
        getattr(work, row["action"])(rec)
    except CorrectionError as err:
        note(i, key, variable, f"{err.code} not applicable", err.message, False)
        return None
    return row


def _current(work: _Work, key: str, variable: str) -> str | None:
    """The value the data holds now (None: no single live record or no such column)."""
    probe = pd.DataFrame([{"csv_row": 0, "key": key, "variable": variable, "action": "replace"}])
    try:
        target = work.target(next(probe.itertuples(index=False)))
    except CorrectionError:
        return None
    if target.column is None:
        return None
    found = work.positions(target.table, key)
    alive = found[~work.dropped[target.table][found]] if len(found) else found
    if len(alive) != 1:
        return None
    return display(work.current(target.table, target.column, int(alive[0])))


def _choice_edit(
    work: _Work, form: Instrument, row: dict[str, Any], choice: tuple[str, str], note: Any
) -> dict[str, Any] | None:
    i, key, variable = row["log_row"], row["key"], row["variable"]
    question, code = choice
    if row["action"] == "drop":
        return row
    current = _current(work, key, question)
    if current is None:
        note(i, key, variable, "0/1 column", f"no single record with answer '{question}'", False)
        return None
    codes = current.split()
    ticked = code in codes
    if row["old_value"] and row["old_value"] not in ("1", "0", "1.0", "0.0", "TRUE", "FALSE"):
        note(i, key, variable, "0/1 column", f"old value '{row['old_value']}' is not 0/1", False)
        return None
    if row["old_value"] and (row["old_value"] in ("1", "1.0", "TRUE")) != ticked:
        note(i, key, variable, "0/1 column",
             f"old value {row['old_value']} but the answer is '{current}'", False)  # fmt: skip
        return None
    if row["action"] == "confirm":
        return {**row, "variable": question, "old_value": current}
    new = row["new_value"]
    if new in ("1", "1.0", "TRUE"):
        want = set(codes) | {code}
    elif new in ("0", "0.0", "FALSE"):
        want = set(codes) - {code}
    else:
        note(i, key, variable, "0/1 column", f"new value '{new}' is not 0 or 1", False)
        return None
    order = list(form.choices(form[question]).codes)
    answer = " ".join(
        sorted(want, key=lambda c: order.index(c) if c in order else len(order) + codes.index(c))
    )
    note(i, key, variable, "0/1 column", f"{question}: '{current}' -> '{answer}'", True)
    return {**row, "variable": question, "old_value": current, "new_value": answer}

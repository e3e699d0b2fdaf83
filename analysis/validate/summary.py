"""A summary of a validation a person can read: by problem, and by question.

A run on real data can log thousands of issues; most of them repeat a few problems.
:func:`issue_summary` gives one row per problem (instrument, check, code, severity): how
many issues, how many records (interviews) are concerned and which share of the
instrument's records that is, the questions concerned (the few most frequent, with their
counts) and one example. :func:`question_summary` gives one row per question: its errors,
warnings, all issues, the records concerned and their share.

Both are pure functions of the issues table of a
:class:`~analysis.validate.validation.ValidationResult` (columns
:data:`~analysis.validate.issues.ISSUE_COLUMNS`). A record is counted by its study ``key``
(a repeat row counts as its main record), so the share is over the instrument's main
records: :func:`record_totals` reads those from a result's ``counts``.

Examples
--------
>>> issues = pd.DataFrame({
...     "instrument": ["hh"] * 4, "key": ["A", "A", "B", ""],
...     "variable": ["age", "income", "age", "phone"],
...     "check": ["constraint", "constraint", "constraint", "read"],
...     "code": ["VAL120", "VAL120", "VAL120", "RD102"],
...     "severity": ["error", "error", "error", "warning"],
...     "value": ["160", "-5", "200", ""], "message": ["too old", "negative", "too old", "absent"]})
>>> table = issue_summary(issues, {"hh": 10})
>>> table[["code", "issues", "records", "share", "questions"]].values.tolist()
[['VAL120', 3, 2, 0.2, 'age (2)、income (1)'], ['RD102', 1, 0, 0.0, 'phone (1)']]
>>> table.loc[0, ["example_key", "example_question", "example_value"]].tolist()
['A', 'age', '160']
>>> question_summary(issues, {"hh": 10})[["question", "errors", "warnings", "records"]].values.tolist()
[['age', 2, 0, 2], ['income', 1, 0, 1], ['phone', 0, 1, 0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..readers.issues import ISSUE_CODES as READER_CODES
from ..readers.rawdata import MAIN
from .issues import ISSUE_CODES
from .settings import CHECKS

if TYPE_CHECKING:
    from .validation import ValidationResult

__all__ = [
    "QUESTION_COLUMNS",
    "SUMMARY_COLUMNS",
    "code_titles",
    "issue_summary",
    "question_summary",
    "record_totals",
]

#: Columns of :func:`issue_summary`.
SUMMARY_COLUMNS = (
    "instrument",
    "check",
    "code",
    "severity",
    "title",
    "issues",
    "records",
    "share",
    "question_count",
    "questions",
    "example_key",
    "example_question",
    "example_value",
    "example_message",
)
#: Columns of :func:`question_summary`.
QUESTION_COLUMNS = ("instrument", "question", "errors", "warnings", "issues", "records", "share")

_GROUP = ["instrument", "check", "code", "severity"]
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_TEXT_COLUMNS = ("instrument", "key", "variable", "check", "code", "severity", "value", "message")


def code_titles(language: str = "zh") -> dict[str, str]:
    """Issue code -> its short title (validation codes in ``language``, reader codes in English).

    Examples
    --------
    >>> code_titles("en")["VAL120"], code_titles()["VAL120"]
    ('constraint broken', '不符合约束条件')
    """
    titles = {code: title for code, (_, title) in READER_CODES.items()}
    titles.update({c.code: (c.en if language == "en" else c.zh) for c in ISSUE_CODES.values()})
    return titles


def record_totals(result: ValidationResult) -> dict[str, int]:
    """Main records per instrument, from a result's ``counts`` (the shares' denominators).

    A single instrument's result counts tables (``{"main": 5}``); a combined one counts
    ``instrument.table`` (``{"hh.main": 5, "hh.members": 12}``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> record_totals(SimpleNamespace(instrument="hh", counts={"main": 5, "members": 12}))
    {'hh': 5}
    >>> record_totals(SimpleNamespace(instrument="*", counts={"hh.main": 5, "pp.main": 9}))
    {'hh': 5, 'pp': 9}
    """
    totals = {}
    for name, n in result.counts.items():
        instrument, _, table = name.rpartition(".")
        if table == MAIN:
            totals[instrument or result.instrument] = int(n)
    return totals


def _texts(issues: pd.DataFrame, columns: tuple[str, ...] = _TEXT_COLUMNS) -> pd.DataFrame:
    """The columns the summaries read, as plain text ("" for missing)."""
    out = {}
    for name in columns:
        if name in issues.columns:
            column = issues[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                column = column.astype(object)
            out[name] = column.astype(object).where(column.notna(), "").astype(str)
        else:
            out[name] = pd.Series("", index=issues.index, dtype=object)
    return pd.DataFrame(out).reset_index(drop=True)


def _share(frame: pd.DataFrame, totals: Mapping[str, int] | None) -> pd.Series:
    denominators = frame["instrument"].map(dict(totals or {})).astype(float)
    denominators = denominators.where(denominators > 0)
    return (frame["records"] / denominators).astype(float)


def _records(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """Distinct record keys per group (issues without a key, e.g. about a column, count none)."""
    keyed = frame.loc[frame["key"] != "", [*by, "key"]]  # not a copy of the other columns
    return keyed.groupby(by, sort=False)["key"].nunique()


def _questions(
    frame: pd.DataFrame, top: int, language: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per group: the number of questions, the ``top`` most frequent with their counts, the
    most frequent."""
    asked = frame.loc[frame["variable"] != "", [*_GROUP, "variable"]]
    counts = asked.groupby([*_GROUP, "variable"], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values([*_GROUP, "n", "variable"], ascending=[True] * 4 + [False, True])
    number = counts.groupby(_GROUP, sort=False).size()
    sep = ", " if language == "en" else "、"
    texts = {}
    for group, part in counts.groupby(_GROUP, sort=False):
        shown = sep.join(f"{q} ({n})" for q, n in zip(part["variable"][:top], part["n"][:top]))
        if len(part) > top:
            more = len(part) - top
            shown += f" and {more} more" if language == "en" else f" 等 {len(part)} 题"
        texts[group] = shown
    most = counts.groupby(_GROUP, sort=False)["variable"].first()
    return number, pd.Series(texts, dtype=object), most


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def issue_summary(
    issues: pd.DataFrame,
    totals: Mapping[str, int] | None = None,
    *,
    top: int = 3,
    language: str = "zh",
) -> pd.DataFrame:
    """One row per (instrument, check, code, severity): counts, questions and an example.

    Parameters
    ----------
    issues : DataFrame
        A validation's issues (:data:`~analysis.validate.issues.ISSUE_COLUMNS`).
    totals : mapping, optional
        Main records per instrument (:func:`record_totals`); without it ``share`` is NaN.
    top : int
        How many of the most frequent questions ``questions`` names.
    language : {"zh", "en"}
        Language of the titles and of the ``questions`` text.

    Returns
    -------
    DataFrame
        Columns :data:`SUMMARY_COLUMNS`: ``issues`` (rows of the issues table),
        ``records`` (distinct record keys) and ``share`` (``records`` over the
        instrument's main records), ``question_count`` and ``questions`` (``"age (2)、
        income (1)"``), and the first issue of the group (one with a record key when
        there is one) as the example. Errors first (of every instrument), then warnings,
        then notes; within a severity and instrument the problems concerning most records
        first.

    Examples
    --------
    >>> issues = pd.DataFrame({"instrument": ["hh"] * 3, "key": ["A", "B", "C"],
    ...     "variable": ["q1", "q2", "q3"], "check": ["required"] * 3, "code": ["VAL121"] * 3,
    ...     "severity": ["error"] * 3, "value": [""] * 3, "message": ["missing"] * 3})
    >>> issue_summary(issues, {"hh": 4}, top=2)[["records", "share", "questions"]].values.tolist()
    [[3, 0.75, 'q1 (1)、q2 (1) 等 3 题']]
    >>> issue_summary(issues.iloc[:0]).columns.tolist() == list(SUMMARY_COLUMNS)
    True
    """
    if issues.empty:
        return _empty(SUMMARY_COLUMNS)
    frame = _texts(issues)
    grouped = frame.groupby(_GROUP, sort=False)
    out = grouped.size().rename("issues").to_frame()
    out["records"] = _records(frame, _GROUP).reindex(out.index).fillna(0).astype(int)
    number, texts, first = _questions(frame, top, language)
    out["question_count"] = number.reindex(out.index).fillna(0).astype(int)
    out["questions"] = texts.reindex(out.index).fillna("")
    # the example: the group's first issue about its most frequent question, preferring
    # one about a record (found by positions: the issues are not copied)
    most = frame[_GROUP].merge(first.rename("_most").reset_index(), on=_GROUP, how="left")
    unkeyed = (frame["key"] == "").to_numpy()
    other = frame["variable"].to_numpy() != most["_most"].to_numpy()
    ranked = np.lexsort((other, unkeyed))  # stable: by unkeyed, then other
    group = grouped.ngroup().to_numpy()[ranked]
    rows = ranked[np.unique(group, return_index=True)[1]]  # each group's first
    examples = frame.iloc[rows].set_index(_GROUP)
    for name, source in (
        ("example_key", "key"),
        ("example_question", "variable"),
        ("example_value", "value"),
        ("example_message", "message"),
    ):
        out[name] = examples[source].reindex(out.index)
    out = out.reset_index()
    out["title"] = out["code"].map(code_titles(language)).fillna("")
    out["share"] = _share(out, totals)
    check_order = {c: i for i, c in enumerate(CHECKS)}
    out["_severity"] = out["severity"].map(_SEVERITY_ORDER).fillna(len(_SEVERITY_ORDER))
    out["_check"] = out["check"].map(check_order).fillna(len(check_order))
    out = out.sort_values(
        ["_severity", "instrument", "records", "issues", "_check", "code"],
        ascending=[True, True, False, False, True, True],
        kind="stable",
    )
    return out[list(SUMMARY_COLUMNS)].reset_index(drop=True)


def question_summary(issues: pd.DataFrame, totals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """One row per (instrument, question): errors, warnings, issues, records concerned.

    Issues about no question (a duplicate record, an enumerator) are the row whose
    ``question`` is ``""``. Questions with most errors come first (of every instrument),
    then those with most warnings.

    Examples
    --------
    >>> issues = pd.DataFrame({"instrument": ["hh"] * 3, "key": ["A", "A", "B"],
    ...     "variable": ["age", "age", ""], "check": ["constraint", "outlier", "duplicate"],
    ...     "code": ["VAL120", "VAL140", "VAL130"], "severity": ["error", "warning", "error"],
    ...     "value": ["", "", ""], "message": ["", "", ""]})
    >>> question_summary(issues, {"hh": 2}).values.tolist()
    [['hh', 'age', 1, 1, 2, 1, 0.5], ['hh', '', 1, 0, 1, 1, 0.5]]
    """
    if issues.empty:
        return _empty(QUESTION_COLUMNS)
    frame = _texts(issues, ("instrument", "key", "variable", "code", "severity"))
    by = ["instrument", "variable"]
    frame["_error"] = frame["severity"] == "error"
    frame["_warning"] = frame["severity"] == "warning"
    grouped = frame.groupby(by, sort=False)
    out = grouped.agg(
        errors=("_error", "sum"), warnings=("_warning", "sum"), issues=("code", "size")
    )
    out["records"] = _records(frame, by).reindex(out.index).fillna(0).astype(int)
    out = out.reset_index().rename(columns={"variable": "question"})
    out[["errors", "warnings"]] = out[["errors", "warnings"]].astype(int)
    out["share"] = _share(out, totals)
    out = out.sort_values(
        ["errors", "warnings", "issues", "instrument", "question"],
        ascending=[False, False, False, True, True],
        kind="stable",
    )
    return out[list(QUESTION_COLUMNS)].reset_index(drop=True)

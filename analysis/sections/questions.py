"""Shares and means of a form's questions, labelled from the form: a starter section's tables.

Any study's form is enough: :func:`form_groups` lists the form's top-level groups (of
the main table) with the questions a summary can show; :func:`question_shares` gives,
for select_one questions, the share of each answer and, for select_multiple questions,
the share of the answering records choosing each answer; :func:`question_means` the
mean of numeric questions. Both are design-based (the instrument's design from
study.toml), carry the form's own labels (``question``, ``answer``) beside the codes
(``variable``, ``level``), and become report tables with :func:`shares_table` and
:func:`means_table`. ``baicun init`` writes a starter notebook per instrument on them.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> from analysis.instrument.model import Choice, ChoiceList, Instrument, Question
>>> form = Instrument(None, "hh", "HH", None, "en", ("en",), (
...     Question("water", "select_one", {"en": "Water source"}, list_name="w"),
...     Question("size", "integer", {"en": "Household size"})), (),
...     {"w": ChoiceList("w", (Choice("pipe", {"en": "Piped"}), Choice("well", {"en": "Well"})))})
>>> frame = pd.DataFrame({"water": ["pipe", "well", "pipe", "pipe"], "size": [3, 5, 4, 6]})
>>> [g.questions for g in form_groups(form)]
[('water', 'size')]
>>> shares = question_shares(SurveyDesign(frame, weights=None), form, ["water"], lang="en")
>>> shares[["question", "answer", "estimate", "n"]].values.tolist()
[['Water source', 'Piped', 0.75, 4], ['Water source', 'Well', 0.25, 4]]
>>> means = question_means(SurveyDesign(frame, weights=None), form, ["size"], lang="en")
>>> means[["question", "estimate", "n"]].values.tolist()
[['Household size', 4.5, 4]]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import estimate as est
from ..design.survey import SurveyDesign
from ..report import ReportTable, report_table

__all__ = [
    "FormGroup",
    "form_groups",
    "means_table",
    "question_means",
    "question_shares",
    "shares_table",
    "top_answer",
]

#: Question types shown as shares of their answers.
SHARE_TYPES = ("select_one", "select_multiple")
#: Question types shown as means.
MEAN_TYPES = ("integer", "decimal", "range")
_REFERENCE = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class FormGroup:
    """A top-level group of a form's main table and the questions a summary shows.

    ``name`` is ``""`` for the questions outside any group (``label``: the form's title).
    """

    name: str
    label: str
    questions: tuple[str, ...]


def _kind(question: Any) -> str | None:
    base = question.type.split()[0] if question.type else ""
    if base in SHARE_TYPES:
        return "share"
    if base in MEAN_TYPES:
        return "mean"
    return None


def form_groups(form: Any, lang: str | None = None) -> list[FormGroup]:
    """The form's top-level groups (main table, form order) holding questions to summarise.

    Questions inside a repeat are left out (their rows are another table); a group
    whose questions are all text, notes or calculations is left out.
    """
    order: dict[str, list[str]] = {}
    for q in form.questions:
        if q.repeat is not None or _kind(q) is None:
            continue
        order.setdefault(q.group_path[0] if q.group_path else "", []).append(q.name)
    out = []
    for name, questions in order.items():
        label = form.group(name).label(lang) if name else (form.title or "")
        out.append(FormGroup(name, _plain(label) or name, tuple(questions)))
    return out


def _plain(text: str) -> str:
    """A label without ``${...}`` references (shown as …) and without line breaks."""
    return " ".join(_REFERENCE.sub("…", str(text or "")).split())


def _labels(form: Any, name: str, lang: str | None) -> dict[str, str]:
    choices = form.choices(name)
    return {} if choices is None else {c.name: _plain(c.label(lang)) for c in choices}


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _chosen(shares: pd.DataFrame) -> pd.DataFrame:
    """The level-1 rows of a 0/1 column's shares (the complement of level 0 if none is 1)."""
    levels = pd.to_numeric(shares["level"], errors="coerce")
    if (levels == 1).any():
        return shares[(levels == 1).to_numpy()].reset_index(drop=True)
    out = shares[(levels == 0).to_numpy()].reset_index(drop=True)
    low, high = out["ci_low"], out["ci_high"]
    return out.assign(estimate=1 - out["estimate"], ci_low=1 - high, ci_high=1 - low)


def question_shares(
    design: SurveyDesign, form: Any, questions: Sequence[str], *, lang: str | None = None
) -> pd.DataFrame:
    """Share of each answer of the select questions among the records answering them.

    Questions of other types are left out (numbers: :func:`question_means`).

    Returns
    -------
    DataFrame
        ``variable, level, question, answer`` then the estimate columns
        (:data:`analysis.estimate.ESTIMATE_COLUMNS`), in the form's order of questions
        and choices; answers outside the choice list follow, under their code.
    """
    parts = []
    data = design.data
    extra: dict[str, pd.Series] = {}
    plan: list[tuple[str, list[tuple[str, str]]]] = []
    for name in questions:
        if name not in data.columns or name not in form or _kind(form[name]) != "share":
            continue
        q = form[name]
        labels = _labels(form, name, lang)
        answers = data[name].astype("string").str.strip()
        answers = answers.where(answers != "")
        if answers.isna().all():
            continue
        if not q.is_multiple:
            plan.append((name, []))
            continue
        tokens = answers.str.split()
        seen = list(labels) + sorted(
            {t for ts in tokens.dropna() for t in ts} - set(labels), key=str
        )
        columns = []
        for i, code in enumerate(seen):
            column = f"__{name}__{i}"
            chosen = tokens.map(lambda ts, c=code: np.nan if ts is pd.NA else float(c in ts))
            extra[column] = chosen.astype(float)
            columns.append((code, column))
        plan.append((name, columns))
    work = design.with_columns(extra) if extra else design
    singles = [name for name, columns in plan if not columns]
    one = est.proportion(work, singles) if singles else None
    used = [c for _, columns in plan for _, c in columns if extra[c].notna().any()]
    many = est.proportion(work, used) if used else None
    for name, columns in plan:
        q, labels = form[name], _labels(form, name, lang)
        if not columns:
            frame = one[one["variable"] == name].copy()
            frame["level"] = [_code(v) for v in frame["level"]]
            rank = {code: i for i, code in enumerate(labels)}
            position = frame["level"].map(lambda c, rank=rank: rank.get(c, len(rank)))
            frame = frame.iloc[position.argsort(kind="stable")]
        else:
            rows = []
            for code, column in columns:
                if column not in used:
                    continue
                row = _chosen(many[many["variable"] == column])
                row["level"] = code
                rows.append(row)
            if not rows:
                continue
            frame = pd.concat(rows, ignore_index=True)
        frame["variable"] = name
        frame["question"] = _plain(q.label(lang)) or name
        frame["answer"] = [labels.get(c, c) for c in frame["level"]]
        parts.append(frame)
    columns = ["variable", "level", "question", "answer", *est.ESTIMATE_COLUMNS]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def question_means(
    design: SurveyDesign, form: Any, questions: Sequence[str], *, lang: str | None = None
) -> pd.DataFrame:
    """Mean of each numeric question among the records answering it (others left out).

    The lower limit of a question whose answers are never negative (a count, an
    amount) is not below 0: the interval is cut there (``clipped`` is True).

    Returns
    -------
    DataFrame
        ``variable, question`` then the estimate columns and ``clipped``.
    """
    names = []
    for name in questions:
        if name not in design.data.columns or name not in form or _kind(form[name]) != "mean":
            continue
        if pd.to_numeric(design.data[name], errors="coerce").notna().any():
            names.append(name)
    parts = []
    if names:
        frame = est.mean(design, names).reset_index(drop=True)
        frame["question"] = [_plain(form[n].label(lang)) or n for n in frame["variable"]]
        never_negative = {
            n: bool((pd.to_numeric(design.data[n], errors="coerce").dropna() >= 0).all())
            for n in names
        }
        clip = frame["variable"].map(never_negative).astype(bool)
        frame["clipped"] = clip & (frame["ci_low"] < 0)
        frame["ci_low"] = frame["ci_low"].where(~clip, frame["ci_low"].clip(lower=0))
        parts.append(frame)
    columns = ["variable", "question", *est.ESTIMATE_COLUMNS, "clipped"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def top_answer(shares: pd.DataFrame, variable: str | None = None) -> pd.Series:
    """The most frequent answer of ``variable`` (default: the table's first question).

    Examples
    --------
    >>> t = pd.DataFrame({"variable": ["q", "q"], "answer": ["A", "B"], "estimate": [.3, .7]})
    >>> top_answer(t)["answer"]
    'B'
    """
    variable = variable if variable is not None else shares["variable"].iloc[0]
    rows = shares[shares["variable"] == variable]
    return rows.loc[rows["estimate"].idxmax()]


def shares_table(
    shares: pd.DataFrame, *, title: str | None = None, lang: str = "zh"
) -> ReportTable:
    """The shares as a report table: question (on its first row), answer, share, interval, n."""
    headers = {"question": "题目", "answer": "回答"} if lang == "zh" else {}
    first = shares["variable"].ne(shares["variable"].shift()).to_numpy()
    shown = shares.assign(question=shares["question"].where(first, ""))
    return report_table(
        shown.drop(columns=["variable", "level"]),
        title=title,
        columns=["question", "answer", "estimate", "ci", "n"],
        labels=headers or {"question": "Question", "answer": "Answer"},
        lang=lang,
    )


def means_table(
    means: pd.DataFrame, *, title: str | None = None, lang: str = "zh", decimals: int = 1
) -> ReportTable:
    """The means as a report table: question, mean, interval, n (a note on cut intervals)."""
    note = None
    if bool(means["clipped"].any()):
        note = (
            "置信区间下限不低于0（回答均不为负）。"
            if lang == "zh"
            else "Lower limits are not below 0 (no answer is negative)."
        )
    return report_table(
        means.drop(columns=["variable", "clipped"]),
        title=title,
        columns=["question", "estimate", "ci", "n"],
        labels={"question": "题目", "estimate": "均值"}
        if lang == "zh"
        else {"question": "Question", "estimate": "Mean"},
        percent=False,
        decimals=decimals,
        note=note,
        lang=lang,
    )

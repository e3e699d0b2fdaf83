"""Estimate frames as report tables: formatted cells under Chinese (or English) headers.

Examples
--------
>>> import pandas as pd
>>> est = pd.DataFrame({"county": ["甲县", "乙县"], "estimate": [0.532, 0.417],
...                     "se": [0.02, 0.03], "ci_low": [0.481, 0.35], "ci_high": [0.583, 0.48],
...                     "df": [40, 40], "deff": [1.8, 2.1], "n": [1234, 860]})
>>> t = report_table(est)
>>> list(t.frame.columns)
['县', '比例', '95%置信区间', '样本量']
>>> t.frame.iloc[0].tolist()
['甲县', '53.2%', '48.1%–58.3%', '1,234']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis.charts.estimates import CHANGE_COLUMNS, ESTIMATE_COLUMNS, label_columns

from ..errors import ReportError
from ..format import ci_range, count, number, p_value, pct, signed

__all__ = ["COLUMN_LABELS", "ReportTable", "report_table"]

#: Headers of the fixed columns and of common domain columns, per language.
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "level": "类别",
        "estimate": "估计值",
        "estimate%": "比例",
        "se": "标准误",
        "ci": "95%置信区间",
        "df": "自由度",
        "deff": "设计效应",
        "n": "样本量",
        "estimate_old": "上期",
        "estimate_new": "本期",
        "change": "变化",
        "change%": "变化（百分点）",
        "change_ci": "变化的95%置信区间",
        "p_value": "p值",
        "significant": "差异显著",
        "yes": "是",
        "no": "否",
        "county": "县",
        "township": "乡镇",
        "village": "村",
        "village_type": "村类型",
        "wave": "调查轮次",
        "item": "题项",
        "theme": "主题",
        "mode": "挂职方式",
        "ethnicity": "民族",
        "gender": "性别",
        "sex": "性别",
        "age_group": "年龄组",
        "unit": "单位",
    },
    "en": {
        "level": "Category",
        "estimate": "Estimate",
        "estimate%": "Share",
        "se": "SE",
        "ci": "95% CI",
        "df": "df",
        "deff": "Design effect",
        "n": "n",
        "estimate_old": "Previous",
        "estimate_new": "Current",
        "change": "Change",
        "change%": "Change (points)",
        "change_ci": "95% CI of change",
        "p_value": "p-value",
        "significant": "Significant",
        "yes": "yes",
        "no": "no",
        "county": "County",
        "township": "Township",
        "village": "Village",
        "village_type": "Village type",
        "wave": "Wave",
        "item": "Item",
        "theme": "Theme",
        "mode": "Posting mode",
        "ethnicity": "Ethnicity",
        "gender": "Sex",
        "sex": "Sex",
        "age_group": "Age group",
        "unit": "Unit",
    },
}


@dataclass(frozen=True, eq=False)
class ReportTable:
    """A table ready for a report: every cell a formatted string.

    Attributes
    ----------
    frame : DataFrame
        Display cells (strings) under display headers.
    title : str, optional
        Caption text (the number 表1 is added at assembly).
    note : str, optional
        Note printed under the table (``注：...``).
    label_columns : int
        How many leading columns are labels (left-aligned); the rest are numbers.
    """

    frame: pd.DataFrame
    title: str | None = None
    note: str | None = None
    label_columns: int = 1
    source: pd.DataFrame | None = field(default=None, repr=False)

    def with_title(self, title: str | None, note: str | None = None) -> ReportTable:
        """A copy with another title (and note, when given)."""
        return ReportTable(
            self.frame,
            title,
            self.note if note is None else note,
            self.label_columns,
            self.source,
        )


def _header(name: str, labels: Mapping[str, str], lang: str) -> str:
    if name in labels:
        return labels[name]
    return COLUMN_LABELS[lang].get(name, name)


def report_table(
    estimates: pd.DataFrame,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    percent: bool = True,
    decimals: int = 1,
    unit: str = "",
    waves: tuple[str, str] | None = None,
    note: str | None = None,
    lang: str = "zh",
) -> ReportTable:
    """Format an estimate table (or a wave comparison) for a report.

    Parameters
    ----------
    estimates : DataFrame
        Estimate table (``estimate, se, ci_low, ci_high, df, deff, n`` after the
        ``by`` columns and ``level``) or comparison (``estimate_old, estimate_new,
        change, se, ci_low, ci_high, p_value, significant``).
    columns : sequence of str, optional
        Columns to show, in order, among the ``by`` columns, ``level`` and
        ``estimate, se, ci, df, deff, n`` (``ci`` joins ``ci_low``/``ci_high``) or, for
        comparisons, ``estimate_old, estimate_new, change, ci, p_value, significant``.
        Default: labels, estimate, ci, n (comparisons: labels, old, new, change,
        p_value, significant).
    labels : mapping, optional
        Headers for columns (``{"county": "县"}``); defaults in :data:`COLUMN_LABELS`.
    percent : bool
        Estimates are proportions (cells ``53.2%``; changes in percentage points).
    unit : str
        Unit appended to the estimate header for non-percent tables (``"分"``).
    waves : (str, str), optional
        Headers of the previous and current wave columns of a comparison.

    Examples
    --------
    >>> cmp = pd.DataFrame({"county": ["甲县"], "estimate_old": [0.5], "estimate_new": [0.532],
    ...                     "change": [0.032], "se": [0.01], "ci_low": [0.012],
    ...                     "ci_high": [0.052], "p_value": [0.002], "significant": [True]})
    >>> report_table(cmp, waves=("2024年", "2025年")).frame.iloc[0].tolist()
    ['甲县', '50.0%', '53.2%', '+3.2', '0.002', '是']
    """
    if lang not in COLUMN_LABELS:
        raise ReportError(
            "REP012",
            f"no table headers for language {lang!r}",
            expected="one of " + ", ".join(COLUMN_LABELS),
            found=repr(lang),
            hint="Pass lang='zh' or lang='en'.",
        )
    if not isinstance(estimates, pd.DataFrame):
        raise ReportError(
            "REP013",
            "report_table needs an estimate table (a DataFrame)",
            expected="pandas.DataFrame",
            found=type(estimates).__name__,
            hint="Pass the DataFrame an analysis.estimate.estimators or analysis.estimate.waves function returned.",
        )
    words = COLUMN_LABELS[lang]
    given = dict(labels or {})
    is_cmp = "estimate_new" in estimates.columns
    keys = label_columns(estimates)
    if columns is None:
        tail = (
            ["estimate_old", "estimate_new", "change", "p_value", "significant"]
            if is_cmp
            else ["estimate", "ci", "n"]
        )
        wanted = keys + [c for c in tail if c == "ci" or c in estimates.columns]
        if "ci" in wanted and not {"ci_low", "ci_high"} <= set(estimates.columns):
            wanted.remove("ci")
    else:
        wanted = list(columns)
    known = set(keys) | set(ESTIMATE_COLUMNS) | set(CHANGE_COLUMNS) | {"ci"}
    missing = [
        c
        for c in wanted
        if c not in known
        or (c == "ci" and not {"ci_low", "ci_high"} <= set(estimates.columns))
        or (c != "ci" and c not in estimates.columns)
    ]
    if missing:
        raise ReportError(
            "REP013",
            "report_table was asked for columns the table does not have: " + ", ".join(missing),
            expected="columns among "
            + ", ".join(sorted(known & (set(estimates.columns) | {"ci"}))),
            found=", ".join(map(str, estimates.columns)),
            hint="Name columns of the estimate table; 'ci' stands for ci_low and ci_high.",
        )
    est_fmt = (lambda v: pct(v, decimals)) if percent else (lambda v: number(v, decimals))
    out: dict[str, list[str]] = {}
    n_labels = 0
    for col in wanted:
        s = estimates[col] if col != "ci" else None
        if col in keys:
            head = _header(col, given, lang)
            out[head] = ["" if pd.isna(v) else str(v) for v in s]
            n_labels += 1
            continue
        if col in ("estimate", "estimate_old", "estimate_new"):
            if col == "estimate":
                head = given.get(col) or (words["estimate%"] if percent else words["estimate"])
                if unit and not percent and col not in given:
                    head += f"（{unit}）" if lang == "zh" else f" ({unit})"
            elif waves is not None and col not in given:
                head = waves[0] if col == "estimate_old" else waves[1]
            else:
                head = _header(col, given, lang)
            out[head] = [est_fmt(v) for v in s]
        elif col == "ci":
            head = given.get("ci") or (words["change_ci"] if is_cmp else words["ci"])
            lo, hi = estimates["ci_low"], estimates["ci_high"]
            if is_cmp:
                scale = 100 if percent else 1
                out[head] = [
                    ci_range(a * scale, b * scale, percent=False, decimals=decimals)
                    for a, b in zip(lo, hi)
                ]
            else:
                out[head] = [
                    ci_range(a, b, percent=percent, decimals=decimals) for a, b in zip(lo, hi)
                ]
        elif col == "change":
            head = given.get(col) or (words["change%"] if percent else words["change"])
            out[head] = [signed(v, percent=percent, decimals=decimals) for v in s]
        elif col == "se":
            head = _header(col, given, lang)
            out[head] = [
                pct(v, decimals)
                if percent and not is_cmp
                else number(v * (100 if percent else 1), decimals + (0 if percent else 1))
                for v in s
            ]
        elif col in ("df", "n"):
            out[_header(col, given, lang)] = [count(v) for v in s]
        elif col == "deff":
            out[_header(col, given, lang)] = [number(v, 2) for v in s]
        elif col == "p_value":
            out[_header(col, given, lang)] = [p_value(v) for v in s]
        elif col == "significant":
            out[_header(col, given, lang)] = [
                "" if pd.isna(v) else (words["yes"] if bool(v) else words["no"]) for v in s
            ]
    frame = pd.DataFrame(out)
    frame.index = range(len(frame))
    return ReportTable(frame, title, note, max(n_labels, 1) if n_labels else 0, estimates.copy())

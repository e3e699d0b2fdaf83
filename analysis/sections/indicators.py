"""Indicator tables the sections state: shares of "yes", means and changes, with item labels.

Each function runs an estimator of :mod:`analysis.estimate.estimators` or :mod:`analysis.estimate.waves`
and adds an ``item`` column holding the indicator's label in the report language,
so charts (``label="item"``) and report tables read it directly. The estimate
columns are the estimators' own: every number a section states is a row here.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"county": ["A"] * 4 + ["B"] * 4, "w": [1.0] * 8,
...                    "lib": ["1", "1", "2", "1", "2", "2", "1", "2"]})
>>> d = SurveyDesign(df, weights="w", strata="county")
>>> t = yes_shares(d, {"lib": "农家书屋"})
>>> t[["item", "variable", "estimate", "n"]].values.tolist()
[['农家书屋', 'lib', 0.5, 8]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import estimate as est
from ..design.survey import SurveyDesign

__all__ = [
    "any_yes",
    "change_table",
    "choice_shares",
    "item_means",
    "item_totals",
    "no_change_is_not_significant",
    "valid_codes",
    "wide_by_domain",
    "yes_shares",
]


def _by(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _where(design: SurveyDesign, by: list[str], where: Any) -> Any:
    """Rows with a value in every ``by`` column (and in ``where``): a domain needs a label."""
    if not by:
        return where
    present = design.data[by].notna().all(axis=1).to_numpy()
    if present.all():
        return where
    if where is None:
        return present
    if isinstance(where, str):
        where = design.data.eval(where).to_numpy(dtype=bool)
    return present & np.asarray(where, dtype=bool)


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _with_items(
    table: pd.DataFrame, items: Mapping[str, str], by: list[str], drop_level: bool
) -> pd.DataFrame:
    out = table.copy()
    if drop_level and "level" in out.columns:
        out = out.drop(columns="level")
    out.insert(len(by), "item", out["variable"].map(items))
    order = {name: i for i, name in enumerate(items)}
    out = out.assign(_order=out["variable"].map(order))
    out = out.sort_values([*by, "_order"], kind="mergesort").drop(columns="_order")
    return out.reset_index(drop=True)


def yes_shares(
    design: SurveyDesign,
    items: Mapping[str, str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    yes: str = "1",
) -> pd.DataFrame:
    """Share answering ``yes`` of each item (yes/no questions, or 0/1 columns with yes="1").

    Rows missing a ``by`` value are left out of the domains (here and in the other
    functions of this module).

    Returns
    -------
    DataFrame
        ``[*by, item, variable, estimate, se, ci_low, ci_high, df, deff, n]``, items in
        the order given.
    """
    b = _by(by)
    t = est.proportion(design, list(items), by=b or None, where=_where(design, b, where))
    t = t[t["level"].map(_code) == yes]
    return _with_items(t, items, b, drop_level=True)


def item_means(
    design: SurveyDesign,
    items: Mapping[str, str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    bounds: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Mean of each numeric item, labelled: ``[*by, item, variable, estimate, ...]``.

    ``bounds`` clips the interval to the values the mean can take (``(0, 1)`` for a
    mean of shares): a t interval of a small domain can cross them.

    Examples
    --------
    >>> from analysis.design.survey import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 3.0], "y": [2.0, 4.0]}), weights="w")
    >>> item_means(d, {"y": "得分"})[["item", "estimate"]].values.tolist()
    [['得分', 3.5]]
    """
    b = _by(by)
    t = est.mean(design, list(items), by=b or None, where=_where(design, b, where))
    if bounds is not None:
        lo, hi = bounds
        t = t.assign(ci_low=t["ci_low"].clip(lo, hi), ci_high=t["ci_high"].clip(lo, hi))
    return _with_items(t, items, b, drop_level=False)


def item_totals(
    design: SurveyDesign,
    items: Mapping[str, str],
    *,
    by: str | Sequence[str] | None = None,
    yes: str | None = None,
) -> pd.DataFrame:
    """Estimated population totals of numeric items, or of ``yes`` answers (counts of units).

    A count cannot be negative: when every answer is zero or more, an interval that
    crosses zero (a symmetric interval of a skewed total) is cut at zero and the row's
    ``clipped`` column is True, for the table's note to say so.

    Examples
    --------
    >>> from analysis.design.survey import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [50.0] * 4, "y": [0.0, 0.0, 0.0, 9.0]}), weights="w")
    >>> t = item_totals(d, {"y": "人数"})
    >>> t["ci_low"].item(), t["clipped"].item()
    (0.0, True)
    """
    b = _by(by)
    t = est.total(design, list(items), by=b or None, where=_where(design, b, None))
    if yes is not None:
        t = t[t["level"].map(_code) == yes]
    counts = [
        yes is not None
        or bool((pd.to_numeric(design.data[v], errors="coerce").dropna() >= 0).all())
        for v in t["variable"]
    ]
    clipped = pd.Series(counts, index=t.index) & (t["ci_low"] < 0)
    t = t.assign(ci_low=t["ci_low"].mask(clipped, 0.0), clipped=clipped)
    return _with_items(t, items, b, drop_level=yes is not None)


def choice_shares(
    design: SurveyDesign,
    question: str,
    labels: Mapping[str, str],
    *,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Shares of each answer of a select_one question, labelled: ``[*by, item, level, ...]``.

    ``labels`` maps choice codes to labels (``SectionContext.labels(instrument, question)``);
    ``item`` holds the label (the code when it has none), ``level`` the code.

    Examples
    --------
    >>> from analysis.design.survey import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0] * 4, "m": ["1", "1", "2", "1"]}), weights="w")
    >>> choice_shares(d, "m", {"1": "外派", "2": "下派"})[["item", "estimate"]].values.tolist()
    [['外派', 0.75], ['下派', 0.25]]
    """
    b = _by(by)
    t = est.proportion(design, question, by=b or None, where=_where(design, b, None))
    codes = t["level"].map(_code)
    t = t.assign(level=codes)
    t.insert(len(b), "item", [labels.get(c, c) for c in codes])
    return t.reset_index(drop=True)


def valid_codes(frame: pd.DataFrame, columns: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """A copy with codes outside each column's choice list set missing (validation flags them).

    Examples
    --------
    >>> valid_codes(pd.DataFrame({"m": ["1", "7", None]}), {"m": ["1", "2"]})["m"].tolist()
    ['1', <NA>, <NA>]
    """
    out = {}
    for col, valid in columns.items():
        if col in frame:
            codes = frame[col].astype("string")
            out[col] = codes.where(codes.isin(set(valid)))
    return frame.assign(**out)


def any_yes(frame: pd.DataFrame, columns: Sequence[str], *, yes: str = "1") -> pd.Series:
    """1 when any of ``columns`` is ``yes``, 0 when none is; missing when none was answered.

    Examples
    --------
    >>> h = pd.DataFrame({"a": ["2", "2", None], "b": ["1", "2", None]})
    >>> any_yes(h, ["a", "b"]).tolist()
    [1.0, 0.0, nan]
    """
    present = [c for c in columns if c in frame]
    answers = frame[present].astype("string")
    hit = (answers == yes).fillna(False).any(axis=1)
    return hit.astype(float).where(answers.notna().any(axis=1))


def wide_by_domain(
    table: pd.DataFrame,
    items: Mapping[str, str],
    *,
    by: str,
    by_label: str,
    n_label: str,
    lang: str = "zh",
    percent: bool = True,
) -> Any:
    """Domains as rows, one column per item (estimate and its interval), and n.

    ``table`` is a labelled estimate table by ``by`` (e.g. :func:`item_means` with
    ``by=``); rows follow the first item's estimates, highest first.

    Examples
    --------
    >>> t = pd.DataFrame({"county": ["甲", "乙"], "variable": ["tv", "tv"], "estimate": [0.4, 0.6],
    ...                   "ci_low": [0.3, 0.5], "ci_high": [0.5, 0.7], "n": [9, 8]})
    >>> wide_by_domain(t, {"tv": "入户率"}, by="county", by_label="县", n_label="村数").frame.values.tolist()
    [['乙', '60.0%（50.0%–70.0%）', '8'], ['甲', '40.0%（30.0%–50.0%）', '9']]
    """
    from ..format import ci_range, count, number, pct
    from ..report import ReportTable

    first = None
    cols: dict[str, list[str]] = {}
    order = (
        table[table["variable"] == next(iter(items))]
        .sort_values("estimate", ascending=False, kind="mergesort")[by]
        .tolist()
    )
    cols[by_label] = order
    left, right = ("（", "）") if lang != "en" else (" (", ")")
    value = pct if percent else number
    for var, label in items.items():
        rows = table[table["variable"] == var].set_index(by).loc[order]
        cols[label] = [
            f"{value(e)}{left}{ci_range(lo, hi, percent=percent)}{right}"
            for e, lo, hi in zip(rows["estimate"], rows["ci_low"], rows["ci_high"])
        ]
        first = rows if first is None else first
    cols[n_label] = [count(v) for v in first["n"]]
    return ReportTable(pd.DataFrame(cols), label_columns=1, source=table)


def change_table(
    design: SurveyDesign,
    items: Mapping[str, str],
    *,
    old: str,
    new: str,
    wave: str = "wave",
    by: str | Sequence[str] | None = None,
    yes: str = "1",
    kind: str = "auto",
) -> pd.DataFrame:
    """Wave-over-wave change of each item (share of ``yes`` for categorical items).

    A change that is zero (both waves equal, e.g. a village count copied from the
    previous wave) is never flagged significant, whatever its p-value.

    Returns
    -------
    DataFrame
        ``[*by, item, variable, estimate_old, estimate_new, change, se, ci_low, ci_high,
        df, p_value, significant]``.
    """
    from ..estimate.waves import change

    b = _by(by)
    t = change(
        design,
        list(items),
        wave=wave,
        old=old,
        new=new,
        by=b or None,
        where=_where(design, b, None),
        kind=kind,
    )
    if "level" in t.columns:
        keep = t["level"].isna() | (t["level"].map(_code) == yes)
        t = t[keep]
    return _with_items(no_change_is_not_significant(t), items, b, drop_level=True)


def no_change_is_not_significant(table: pd.DataFrame) -> pd.DataFrame:
    """A comparison whose change is zero (both waves equal) flagged not significant, p = 1.

    Equal values in both waves (a count copied from the previous wave) have a zero
    change with a zero standard error, which a t test would call significant.

    Examples
    --------
    >>> t = pd.DataFrame({"change": [0.0, 0.1], "se": [0.0, 0.02], "p_value": [0.0, 0.001],
    ...                   "significant": [True, True]})
    >>> no_change_is_not_significant(t)[["p_value", "significant"]].values.tolist()
    [[1.0, False], [0.001, True]]
    """
    zero = np.isclose(table["change"].astype(float), 0.0, atol=1e-12) & np.isclose(
        table["se"].astype(float), 0.0, atol=1e-12
    )
    return table.assign(
        significant=table["significant"].fillna(False).astype(bool) & ~zero,
        p_value=table["p_value"].mask(zero, 1.0),
    )

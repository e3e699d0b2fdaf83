"""Likert scales, Cronbach's alpha, composite scores and rankings.

* :func:`recode_items` prepares Likert items: "don't know"/refusal codes (98, 99)
  become missing, reverse-worded items (names ending ``_r``) are turned round
  (``6 - x`` on a 1-5 agree scale), values outside the scale are an error.
* :func:`cronbach_alpha` is R's ``svycralpha``: alpha from design-weighted item
  and total variances, overall or by domain.
* :func:`composite_score` is a weighted sum of standardised (z-score) or min-max
  scaled items with declared directions, e.g. a cadre's 综合得分 from 民主测评,
  述职 and 日常考核.
* :func:`rank_scores` ranks units on a score, with ties ranked by the ``min``,
  ``dense`` or ``average`` rule (and ``max``, ``first``), within groups if asked.

Examples
--------
>>> import pandas as pd
>>> cadres = pd.DataFrame({"name": ["甲", "乙", "丙", "丁"],
...                        "民主测评": [92.0, 85, 85, 70], "述职": [88.0, 90, 90, 75],
...                        "日常考核": [4, 5, 5, 3]})
>>> cadres["综合得分"] = composite_score(
...     cadres, {"民主测评": 0.4, "述职": 0.3, "日常考核": 0.3}, method="minmax",
...     ranges={"民主测评": (0, 100), "述职": (0, 100), "日常考核": (1, 5)})
>>> rank_scores(cadres, "综合得分")[["name", "综合得分", "rank"]].round(3).values.tolist()
[['乙', 0.91, 1], ['丙', 0.91, 1], ['甲', 0.857, 3], ['丁', 0.655, 4]]
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import column_names, domains
from ..design.survey import SurveyDesign
from ..errors import EstimationError
from .tidy import check_choice, check_design

__all__ = [
    "COMPOSITE_METHODS",
    "RANK_METHODS",
    "composite_score",
    "cronbach_alpha",
    "rank_scores",
    "recode_items",
]

#: How items are put on a common scale before they are summed.
COMPOSITE_METHODS = ("zscore", "minmax", "raw")

#: Tie rules of :func:`rank_scores` (pandas' names): 1,1,3 / 1,1,2 / 1.5,1.5,3 / 2,2,3 / 1,2,3.
RANK_METHODS = ("min", "dense", "average", "max", "first")


# ---------------------------------------------------------------------------- helpers
def _frame_columns(data: pd.DataFrame, names: Any, role: str) -> list[str]:
    if isinstance(names, str):
        names = [names]
    names = list(names) if isinstance(names, Sequence | Mapping) else []
    if not names or len(set(names)) != len(names):
        raise EstimationError(
            "EST301",
            f"{role} must be a non-empty list of distinct column names",
            expected="e.g. ['q1', 'q2', 'q3']",
            found=repr(names),
            hint="List each item once.",
        )
    for name in names:
        if name not in data.columns:
            close = difflib.get_close_matches(str(name), [str(c) for c in data.columns], n=3)
            raise EstimationError(
                "EST001",
                f"{role} {name!r} is not a column of the data",
                column=str(name),
                expected="a column of the data",
                found=f"columns {[str(c) for c in data.columns][:12]}",
                hint=(f"Did you mean {', '.join(map(repr, close))}? " if close else "")
                + "Column names are case-sensitive.",
            )
    return names


def _numeric(data: pd.DataFrame, name: str) -> np.ndarray:
    col = data[name]
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        example = col.dropna()
        raise EstimationError(
            "EST302",
            f"item {name!r} is not numeric",
            column=name,
            expected="numeric codes (e.g. 1-5)",
            found=f"{col.dtype}, e.g. {example.iloc[0]!r}" if len(example) else str(col.dtype),
            hint="Map the answer labels to codes first, e.g. "
            "data[col].map({'非常同意': 5, '同意': 4, ...}).",
        )
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _out_of_range(data: pd.DataFrame, name: str, x: np.ndarray, lo: float, hi: float) -> None:
    bad = ~np.isnan(x) & ((x < lo) | (x > hi))
    if bad.any():
        idx = np.flatnonzero(bad)
        raise EstimationError(
            "EST304",
            f"item {name!r} has {idx.size} value(s) outside its range {lo:g}-{hi:g}",
            column=name,
            record=", ".join(str(data.index[i]) for i in idx[:5])
            + (" ..." if idx.size > 5 else ""),
            expected=f"values from {lo:g} to {hi:g}",
            found=f"values such as {sorted(set(x[idx].tolist()))[:5]}",
            hint="Declare codes such as 98 (不知道) or 99 (拒答) as missing codes, or correct "
            "the entries in the cleaning log.",
        )


# ---------------------------------------------------------------------------- Likert items
def recode_items(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    scale: tuple[float, float] = (1, 5),
    missing: Sequence[float] = (98, 99),
    reverse: Sequence[str] | None = None,
    suffix: str | None = "_r",
) -> pd.DataFrame:
    """Likert items ready for scoring: missing codes to NaN, reverse items turned round.

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
        Item columns, numeric codes.
    scale : (low, high)
        The answer scale, e.g. ``(1, 5)`` for 非常不同意 ... 非常同意.
    missing : list of numbers
        Codes meaning "no answer" (不知道 98, 拒答 99), set to NaN.
    reverse : list of str, optional
        Reverse-worded items (recoded ``low + high - x``).
    suffix : str or None
        Items whose name ends with it are reverse-worded too (default ``"_r"``).

    Returns
    -------
    pandas.DataFrame
        The recoded items (same names and index); the input is unchanged.

    Examples
    --------
    >>> d = pd.DataFrame({"q1": [5, 4, 98], "q2_r": [1, 2, 5]})
    >>> recode_items(d, ["q1", "q2_r"]).to_dict("list")
    {'q1': [5.0, 4.0, nan], 'q2_r': [5.0, 4.0, 1.0]}
    """
    names = _frame_columns(data, items, "items")
    lo, hi = (float(v) for v in scale)
    reversed_ = set(reverse or ()) | {n for n in names if suffix and str(n).endswith(suffix)}
    unknown = reversed_ - set(names)
    if unknown:
        raise EstimationError(
            "EST305",
            f"reverse items {sorted(unknown)} are not among the items",
            expected=f"names from {names}",
            found=sorted(unknown),
            hint="List reverse-worded items among the items too.",
        )
    out = {}
    for name in names:
        x = _numeric(data, name)
        x = np.where(np.isin(x, np.asarray(missing, dtype=np.float64)), np.nan, x)
        _out_of_range(data, name, x, lo, hi)
        out[name] = lo + hi - x if name in reversed_ else x
    return pd.DataFrame(out, index=data.index)


# ---------------------------------------------------------------------------- alpha
def cronbach_alpha(
    design: SurveyDesign,
    items: Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    name: str | None = None,
) -> pd.DataFrame:
    """Cronbach's alpha with survey weights (R's ``svycralpha``).

    ``alpha = K / (K - 1) * (1 - sum(var(item)) / var(sum of items))`` with
    design-weighted variances over the rows answering every item.

    Parameters
    ----------
    design : SurveyDesign
    items : list of str
        Two or more numeric item columns (recode them first with :func:`recode_items`).
    by, where : optional
        Domains, as in :func:`analysis.estimate.estimators.mean`.
    na_rm : bool
        Leave out rows missing an item (default, R's ``na.rm=TRUE``); False raises
        ``EST303`` when an item is missing.
    name : str, optional
        The scale's name in the output (default: the items joined with ``+``).

    Returns
    -------
    pandas.DataFrame
        ``[*by, scale, n_items, alpha, n]`` (``n``: rows answering every item).
    """
    design = check_design(design)
    names = column_names(design, items, "item")
    if len(names) < 2 or len(set(names)) != len(names):
        raise EstimationError(
            "EST301",
            "Cronbach's alpha needs two or more distinct items",
            expected="e.g. ['q1', 'q2', 'q3']",
            found=repr(list(names)),
            hint="List the items of one scale, each once.",
        )
    x = np.column_stack([_numeric(design.data, n) for n in names])
    dom = domains(design, by, where)
    missing = np.isnan(x).any(axis=1) & (dom.codes >= 0)
    if missing.any() and not na_rm:
        raise EstimationError(
            "EST303",
            f"{int(missing.sum())} row(s) miss at least one item",
            expected="every item answered (na_rm=False)",
            found="missing values",
            hint="Use na_rm=True (R's na.rm=TRUE) to leave them out.",
        )
    codes = np.where(missing, -1, dom.codes)
    w = np.where(codes >= 0, design.weights, 0.0)
    g = dom.n_domains
    slot = np.where(codes >= 0, codes, g)
    x0 = np.nan_to_num(x)
    size = np.bincount(slot, weights=w, minlength=g + 1)[:g]
    n = np.bincount(slot, weights=(w > 0).astype(float), minlength=g + 1)[:g].astype(int)
    k = len(names)
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = np.column_stack([x0, x0.sum(axis=1)])
        means = (
            np.column_stack(
                [
                    np.bincount(slot, weights=w * cols[:, j], minlength=g + 1)[:g]
                    for j in range(k + 1)
                ]
            )
            / size[:, None]
        )
        dev = cols - np.vstack([means, np.zeros((1, k + 1))])[slot]
        var = (
            np.column_stack(
                [
                    np.bincount(slot, weights=w * dev[:, j] ** 2, minlength=g + 1)[:g]
                    for j in range(k + 1)
                ]
            )
            / size[:, None]
        )
        alpha = k / (k - 1) * (1 - var[:, :k].sum(axis=1) / var[:, k])
    out = dom.table.copy()
    out["scale"] = name or "+".join(names)
    out["n_items"] = k
    out["alpha"] = np.where(n > 1, alpha, np.nan)
    out["n"] = n
    return out


# ---------------------------------------------------------------------------- composites
def _item_weights(items: Any) -> dict[str, float]:
    if isinstance(items, Mapping):
        weights = {k: v for k, v in items.items()}
    elif isinstance(items, Sequence) and not isinstance(items, str):
        weights = {k: 1.0 / len(items) for k in items}
    else:
        weights = {}
    try:
        values = [float(v) for v in weights.values()]
    except (TypeError, ValueError):
        values = [float("nan")]
    if not weights or not all(np.isfinite(v) and v > 0 for v in values):
        raise EstimationError(
            "EST305",
            "a composite score needs items with positive weights",
            expected="a list of items, or {item: weight} with weights > 0",
            found=repr(items)[:120],
            hint="e.g. {'民主测评': 0.4, '述职': 0.3, '日常考核': 0.3}; declare a reversed "
            "direction with direction={'item': -1}, not a negative weight.",
        )
    return {k: float(v) for k, v in weights.items()}


def _weighted_moments(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    ok = ~np.isnan(x) & (w > 0)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    wx, xx = w[ok], x[ok]
    m = float(np.sum(wx * xx) / np.sum(wx))
    n = ok.sum()
    var = float(np.sum(wx * (xx - m) ** 2) / np.sum(wx) * n / (n - 1))
    return m, np.sqrt(var)


def composite_score(
    data: pd.DataFrame | SurveyDesign,
    items: Sequence[str] | Mapping[str, float],
    *,
    method: str = "zscore",
    direction: Mapping[str, int] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    min_items: int | None = None,
    name: str = "score",
) -> pd.Series:
    """A weighted sum of items put on a common scale.

    Parameters
    ----------
    data : DataFrame or SurveyDesign
        With a design, z-scores use the design-weighted mean and SD (population
        values); with a DataFrame, the sample mean and SD.
    items : list of str or {item: weight}
        Items and their weights (a list weighs them equally, summing to 1).
    method : {"zscore", "minmax", "raw"}
        ``zscore``: ``(x - mean) / sd``; ``minmax``: ``(x - low) / (high - low)``
        with the declared range (or the observed one), giving 0-1; ``raw``: as is.
    direction : {item: 1 or -1}, optional
        -1 for items where lower is better: ``-z``, ``1 - scaled``, or
        ``low + high - x`` (``raw`` with a range; ``-x`` without).
    ranges : {item: (low, high)}, optional
        Declared ranges (e.g. ``(0, 100)`` for 民主测评); values outside are an error.
    min_items : int, optional
        Score rows answering at least this many items, re-weighting the answered
        ones; default: every item is required (NaN otherwise).
    name : str
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        One score per row, aligned with the data's index.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1.0, 2, 3], "b": [30.0, 20, 10]})
    >>> composite_score(d, ["a", "b"], direction={"b": -1}).round(3).tolist()
    [-1.0, 0.0, 1.0]
    """
    frame = data.data if isinstance(data, SurveyDesign) else data
    if not isinstance(frame, pd.DataFrame):
        raise EstimationError(
            "EST305",
            "composite_score takes a DataFrame or a SurveyDesign",
            expected="pandas.DataFrame or SurveyDesign",
            found=type(data).__name__,
            hint="Pass the cleaned data (or its design).",
        )
    check_choice(
        method,
        COMPOSITE_METHODS,
        "EST305",
        "scaling method",
        hint="Use 'zscore' (standardised) or 'minmax' (0-1 with declared ranges).",
    )
    weights = _item_weights(items)
    names = _frame_columns(frame, list(weights), "items")
    direction = dict(direction or {})
    ranges = dict(ranges or {})
    stray = (set(direction) | set(ranges)) - set(names)
    bad_dir = {k: v for k, v in direction.items() if v not in (1, -1)}
    if stray or bad_dir:
        raise EstimationError(
            "EST305",
            "directions must be 1 or -1, and directions and ranges must name the items",
            expected=f"items {names}",
            found=f"unknown {sorted(map(str, stray))}" if stray else f"directions {bad_dir}",
            hint="e.g. direction={'投诉次数': -1}, ranges={'民主测评': (0, 100)}.",
        )
    w_rows = np.asarray(data.weights) if isinstance(data, SurveyDesign) else np.ones(len(frame))
    scaled = np.empty((len(frame), len(names)))
    for j, item in enumerate(names):
        x = _numeric(frame, item)
        sign = direction.get(item, 1)
        rng = ranges.get(item)
        if rng is not None:
            lo, hi = (float(v) for v in rng)
            _out_of_range(frame, item, x, lo, hi)
        elif method == "minmax":
            lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        if method == "zscore":
            m, sd = _weighted_moments(x, w_rows)
            if not sd > 0:
                raise _constant(item)
            s = sign * (x - m) / sd
        elif method == "minmax":
            if not hi > lo:
                raise _constant(item)
            s = (x - lo) / (hi - lo)
            s = s if sign == 1 else 1 - s
        else:
            s = x if sign == 1 else ((lo + hi - x) if rng is not None else -x)
        scaled[:, j] = s
    wv = np.array([weights[n] for n in names])
    answered = ~np.isnan(scaled)
    total = np.nansum(scaled * wv, axis=1)
    if min_items is None:
        score = np.where(answered.all(axis=1), total, np.nan)
    else:
        share = (answered * wv).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(answered.sum(axis=1) >= min_items, total * wv.sum() / share, np.nan)
    return pd.Series(score, index=frame.index, name=name)


def _constant(item: str) -> EstimationError:
    return EstimationError(
        "EST305",
        f"item {item!r} does not vary, so it cannot be standardised",
        column=item,
        expected="at least two different values (or a declared range for minmax)",
        found="a single value",
        hint="Drop the item from the score, or declare its range with ranges=.",
    )


# ---------------------------------------------------------------------------- rankings
def rank_scores(
    table: pd.DataFrame,
    score: str,
    *,
    by: str | Sequence[str] | None = None,
    method: str = "min",
    ascending: bool = False,
    name: str = "rank",
) -> pd.DataFrame:
    """Rank rows on a score (highest first by default), with a tie rule.

    Parameters
    ----------
    table : pandas.DataFrame
    score : str
        The score column.
    by : str or list of str, optional
        Rank within these groups (e.g. within each county).
    method : {"min", "dense", "average", "max", "first"}
        Ties: ``min`` 1, 1, 3 (competition ranking, the usual 并列); ``dense`` 1, 1, 2;
        ``average`` 1.5, 1.5, 3; ``max`` 2, 2, 3; ``first`` in table order.
    ascending : bool
        Rank the lowest score first.
    name : str
        Name of the rank column.

    Returns
    -------
    pandas.DataFrame
        A copy sorted by group and rank; rows without a score come last with no rank.

    Examples
    --------
    >>> t = pd.DataFrame({"v": ["a", "b", "c", "d"], "s": [90, 95, 90, 80]})
    >>> rank_scores(t, "s", method="dense")[["v", "rank"]].values.tolist()
    [['b', 1], ['a', 2], ['c', 2], ['d', 3]]
    """
    if not isinstance(table, pd.DataFrame):
        raise EstimationError(
            "EST306",
            "rank_scores takes a DataFrame",
            expected="pandas.DataFrame",
            found=type(table).__name__,
            hint="Pass the table holding the score column.",
        )
    check_choice(
        method,
        RANK_METHODS,
        "EST306",
        "tie rule",
        hint="Use 'min' (1, 1, 3), 'dense' (1, 1, 2) or 'average' (1.5, 1.5, 3).",
    )
    by_cols = [] if by is None else _frame_columns(table, by, "by")
    _frame_columns(table, score, "score")
    values = pd.to_numeric(table[score], errors="coerce")
    if values.notna().sum() == 0:
        raise EstimationError(
            "EST306",
            f"the score column {score!r} has no numeric values",
            column=score,
            expected="numbers",
            found=str(table[score].dtype),
            hint="Compute the score first, e.g. with composite_score().",
        )
    out = table.copy()
    grouped = values.groupby([table[b] for b in by_cols]) if by_cols else values
    ranks = grouped.rank(method=method, ascending=ascending, na_option="keep")
    out[name] = ranks if method == "average" else ranks.astype("Int64")
    order = [*by_cols, name]
    return out.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)

"""Wave-over-wave change with its standard error, for independent samples and for panels.

A 百村 study revisits most of its villages every wave. The change in an estimate
between two waves then has a smaller standard error than two independent surveys
would give, because the same villages are in both: their totals are correlated.

* :func:`change` works on one design holding both waves (stack the waves with
  :func:`stack_waves` and build the design on the stacked data, strata and PSUs as
  usual). A village with the same stratum and PSU label in both waves is one PSU:
  the covariance of the two waves' estimates comes from the design's variance
  engine applied to both waves' influence values at once (R: ``svyratio(...,
  covmat=TRUE)`` and ``svycontrast``). Villages in only one wave contribute to
  their own wave. With wave-specific strata and PSUs the covariance is zero and
  the result equals :func:`change_independent`.
* :func:`change_independent` takes two designs (two independent samples): the
  variances add and the degrees of freedom add.

Both return the columns report text and charts read::

    [*by, variable, (level), estimate_old, estimate_new, change, se, ci_low,
     ci_high, df, p_value, significant]

``change = estimate_new - estimate_old``; the interval and p-value are t-based
with ``df`` degrees of freedom; ``significant`` is ``p_value < 0.05``.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> old = pd.DataFrame({"county": ["A"] * 4 + ["B"] * 4, "village": [1, 1, 2, 2, 3, 3, 4, 4],
...                     "w": [10.0] * 8, "tv": [0, 1, 0, 0, 1, 0, 1, 1]})
>>> new = old.assign(tv=[1, 1, 0, 1, 1, 1, 1, 1])
>>> both = stack_waves({"2024": old, "2025": new})
>>> d = SurveyDesign(both, weights="w", strata="county", psu="village")
>>> t = change(d, "tv", wave="wave", old="2024", new="2025")
>>> t[["estimate_old", "estimate_new", "change", "df"]].round(3).values.tolist()
[[0.5, 0.875, 0.375, 2.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..design.domains import column_names, domains
from ..design.survey import SurveyDesign
from ..errors import EstimationError
from .estimators import mean as est_mean
from .estimators import proportion as est_proportion
from .estimators import total as est_total
from .intervals import t_interval
from .levels import is_categorical, level_codes
from .tidy import (
    CHANGE_COLUMNS,
    check_choice,
    check_design,
    check_fraction,
    check_level,
    concat,
    label_frame,
    numeric_values,
)

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_KINDS",
    "change",
    "change_independent",
    "panel_units",
    "stack_waves",
]

#: What is compared: means (numeric), shares of every level (categorical), or totals.
CHANGE_KINDS = ("auto", "mean", "proportion", "total")


def _kind(design: SurveyDesign, name: str, kind: str) -> str:
    check_choice(
        kind,
        CHANGE_KINDS,
        "EST402",
        "kind of comparison",
        hint="Use 'auto' (means of numbers, shares of categories), 'mean', 'proportion' "
        "or 'total'.",
    )
    if kind == "auto":
        return "proportion" if is_categorical(design.data[name]) else "mean"
    return kind


def _finish(
    table: pd.DataFrame,
    old: np.ndarray,
    new: np.ndarray,
    var: np.ndarray,
    df: np.ndarray,
    level: float,
    alpha: float,
) -> pd.DataFrame:
    diff = new - old
    # floating-point noise of identical estimates (e.g. 5e-17) is no change at all
    scale = np.maximum(1.0, np.maximum(np.abs(old), np.abs(new)))
    diff = np.where(np.abs(diff) <= 1e-12 * scale, 0.0, diff)
    se = np.sqrt(np.maximum(var, 0.0))
    se = np.where(se <= 1e-12 * scale, 0.0, se)
    df = np.asarray(df, dtype=np.float64)
    lo, hi = t_interval(diff, se, df, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = diff / se
        p = np.where(df > 0, 2 * special.stdtr(np.where(df > 0, df, 1), -np.abs(tval)), np.nan)
    # no change with no sampling error (e.g. a fixed panel value): certainly not significant
    p = np.where((diff == 0) & (se == 0), 1.0, p)
    table = table.copy()
    table["estimate_old"] = old
    table["estimate_new"] = new
    table["change"] = diff
    table["se"] = se
    table["ci_low"] = lo
    table["ci_high"] = hi
    table["df"] = df
    table["p_value"] = p
    table["significant"] = np.asarray(p < alpha, dtype=bool) & ~np.isnan(p)
    return table


def _check_alpha(alpha: Any) -> float:
    return check_fraction(
        alpha,
        "EST402",
        "the significance level",
        example="0.05",
        hint="Pass alpha=0.05 for 'significant at 5%'.",
    )


def _wave_masks(design: SurveyDesign, wave: str, old: Any, new: Any) -> tuple:
    wave = column_names(design, wave, "wave")[0]
    labels = design.data[wave].astype(str).to_numpy()
    present = sorted(pd.unique(labels[design.data[wave].notna().to_numpy()]).tolist())
    for label in (old, new):
        if str(label) not in present:
            raise EstimationError(
                "EST401",
                f"wave {label!r} is not in column {wave!r}",
                column=wave,
                expected=f"one of {present[:10]}",
                found=repr(label),
                hint="Name the waves as they are written in the data (e.g. '2024', not 2024.0).",
            )
    if str(old) == str(new):
        raise EstimationError(
            "EST401",
            "the old and new waves are the same",
            column=wave,
            expected="two different waves",
            found=f"old={old!r}, new={new!r}",
            hint="Compare two waves, e.g. old='2024', new='2025'.",
        )
    return labels == str(old), labels == str(new)


def change(
    design: SurveyDesign,
    variables: str | Sequence[str],
    *,
    wave: str,
    old: Any,
    new: Any,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    kind: str = "auto",
    ci_level: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Change between two waves of one (stacked) design, using the panel's covariance.

    Parameters
    ----------
    design : SurveyDesign
        Both waves' rows in one design; panel villages keep their stratum and PSU
        labels across waves.
    variables : str or list of str
    wave : str
        Column naming each row's wave.
    old, new : label
        The two waves (compared as text).
    by : str or list of str, optional
        Domains (e.g. county); each domain's change is estimated.
    where : str or array_like of bool, optional
        Subpopulation.
    kind : {"auto", "mean", "proportion", "total"}
        ``auto``: shares of every level for categorical variables, means otherwise.
    ci_level, alpha : float
        Confidence level of the interval; significance level of ``significant``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, variable, (level), estimate_old, estimate_new, change, se, ci_low,
        ci_high, df, p_value, significant]``. A domain missing from one wave gets
        NaN estimates for that wave and no change.
    """
    design = check_design(design)
    level = check_level(ci_level)
    alpha = _check_alpha(alpha)
    is_old, is_new = _wave_masks(design, wave, old, new)
    names = column_names(design, variables, "variable")
    if where is None:
        base = is_old | is_new
    else:
        base = (domains(design, None, where).codes >= 0) & (is_old | is_new)
    w = np.asarray(design.weights)
    tables = []
    for name in names:
        k = _kind(design, name, kind)
        if k == "proportion":
            lev, levels = level_codes(design, name)
            missing = lev < 0
            values = [(lev == j).astype(np.float64) for j in range(len(levels))]
        else:
            y = numeric_values(design, name, k)
            missing = np.isnan(y)
            values, levels = [np.nan_to_num(y)], None
        rows = base & ~missing
        dom = domains(design, by, rows)
        codes = dom.codes
        g = dom.n_domains
        slot = np.where(codes >= 0, codes, g)
        cols, est_o, est_n = [], [], []
        for y in values:
            pair = []
            for mask, out in ((is_old, est_o), (is_new, est_n)):
                wm = np.where(mask & (codes >= 0), w, 0.0)
                size = np.bincount(slot, weights=wm, minlength=g + 1)[:g]
                tot = np.bincount(slot, weights=wm * y, minlength=g + 1)[:g]
                if k == "total":
                    est = np.where(size > 0, tot, np.nan)
                    z = wm * y
                else:
                    with np.errstate(divide="ignore", invalid="ignore"):
                        est = tot / size
                    inv = np.append(np.where(size > 0, 1 / np.where(size > 0, size, 1), 0), 0)
                    z = wm * (y - np.append(np.nan_to_num(est), 0)[slot]) * inv[slot]
                out.append(est)
                pair.append(z)
            cols.extend(pair)
        v = design.variance(np.column_stack(cols), domain=codes)  # (G, 2L, 2L)
        m = len(values)
        var = np.column_stack(
            [
                v[:, 2 * j, 2 * j] + v[:, 2 * j + 1, 2 * j + 1] - 2 * v[:, 2 * j, 2 * j + 1]
                for j in range(m)
            ]
        )
        _, df = design.domain_sizes(codes, g)
        out = label_frame(dom, name, None if levels is None else ("level", levels))
        tables.append(
            _finish(
                out,
                np.column_stack(est_o).ravel(),
                np.column_stack(est_n).ravel(),
                var.ravel(),
                np.repeat(df, m),
                level,
                alpha,
            )
        )
    return concat(tables)


def change_independent(
    old_design: SurveyDesign,
    new_design: SurveyDesign,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: str | None = None,
    kind: str = "auto",
    ci_level: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Change between two independent samples (variances and degrees of freedom add).

    Parameters
    ----------
    old_design, new_design : SurveyDesign
        The two waves' designs.
    variables : str or list of str
    by : str or list of str, optional
        Domains, present in both designs' data.
    where : str, optional
        A True/False column of both designs' data restricting the comparison.
    kind, ci_level, alpha
        As in :func:`change`.

    Returns
    -------
    pandas.DataFrame
        As :func:`change`; domains or levels present in one wave only get NaN
        for the other wave.
    """
    old_design = check_design(old_design)
    new_design = check_design(new_design)
    level = check_level(ci_level)
    alpha = _check_alpha(alpha)
    if where is not None and not isinstance(where, str):
        raise EstimationError(
            "EST403",
            "where must name a True/False column present in both waves",
            expected="a column name",
            found=type(where).__name__,
            hint="Add the condition as a column to both waves' data, or compare with change() "
            "on the stacked design.",
        )
    names = column_names(old_design, variables, "variable")
    column_names(new_design, names, "variable")
    by_cols = column_names(old_design, by, "by")
    if by_cols:
        column_names(new_design, by_cols, "by")
    tables = []
    for name in names:
        k = _kind(old_design, name, kind)
        parts = []
        for d in (old_design, new_design):
            common = dict(by=by_cols or None, where=where, ci_level=level)
            if k == "proportion":
                t = est_proportion(d, name, method="wald", **common)
            elif k == "total":
                t = est_total(d, name, **common)
            else:
                t = est_mean(d, name, **common)
            parts.append(t)
        keys = [*by_cols, "variable"] + (["level"] if "level" in parts[0].columns else [])
        for t in parts:
            t["_key"] = t[keys].astype(str).agg("\x1f".join, axis=1)
        merged = parts[0].merge(parts[1], on="_key", how="outer", suffixes=("_o", "_n"))
        out = pd.DataFrame({c: merged[f"{c}_o"].combine_first(merged[f"{c}_n"]) for c in keys})
        tables.append(
            _finish(
                out,
                merged["estimate_o"].to_numpy(dtype=np.float64),
                merged["estimate_n"].to_numpy(dtype=np.float64),
                (merged["se_o"] ** 2 + merged["se_n"] ** 2).to_numpy(dtype=np.float64),
                (merged["df_o"] + merged["df_n"]).to_numpy(dtype=np.float64),
                level,
                alpha,
            )
        )
    return concat(tables)


def stack_waves(frames: Mapping[Any, pd.DataFrame], *, wave: str = "wave") -> pd.DataFrame:
    """Stack the waves' data into one frame with a wave column (first).

    Parameters
    ----------
    frames : {wave label: DataFrame}
        In time order, e.g. ``{"2024": data_2024, "2025": data_2025}``.
    wave : str
        Name of the new wave column.

    Returns
    -------
    pandas.DataFrame
        The rows of every wave (union of columns), with a fresh index.
    """
    if not isinstance(frames, Mapping) or len(frames) < 2:
        raise EstimationError(
            "EST403",
            "stack_waves needs two or more waves",
            expected="{'2024': frame, '2025': frame}",
            found=type(frames).__name__,
            hint="Pass a dict from wave label to that wave's cleaned data.",
        )
    pieces = []
    for label, frame in frames.items():
        if not isinstance(frame, pd.DataFrame) or wave in frame.columns:
            raise EstimationError(
                "EST403",
                f"wave {label!r} is not a DataFrame, or already has a {wave!r} column",
                column=wave,
                expected=f"DataFrames without a {wave!r} column",
                found=type(frame).__name__,
                hint=f"Choose another name with wave=..., or drop the existing {wave!r} column.",
            )
        pieces.append(frame.assign(**{wave: str(label)}))
    out = pd.concat(pieces, ignore_index=True)
    return out[[wave, *[c for c in out.columns if c != wave]]]


def panel_units(
    data: pd.DataFrame, *, wave: str, unit: str | Sequence[str], old: Any, new: Any
) -> pd.DataFrame:
    """Which units (e.g. villages) are in both waves: the panel, and the others.

    Returns
    -------
    pandas.DataFrame
        One row per unit: the unit columns, ``in_old``, ``in_new`` and ``status``
        (``"panel"``, ``"old only"``, ``"new only"``).

    Examples
    --------
    >>> d = pd.DataFrame({"wave": ["2024", "2024", "2025", "2025"],
    ...                   "village": ["v1", "v2", "v1", "v3"]})
    >>> panel_units(d, wave="wave", unit="village", old="2024", new="2025")["status"].tolist()
    ['panel', 'old only', 'new only']
    """
    units = [unit] if isinstance(unit, str) else list(unit)
    for col in [wave, *units]:
        if col not in data.columns:
            raise EstimationError(
                "EST001",
                f"column {col!r} is not in the data",
                column=col,
                expected="the wave and unit columns",
                found=f"columns {list(map(str, data.columns))[:12]}",
                hint="Check the names (case-sensitive).",
            )
    labels = data[wave].astype(str)
    seen_old = data.loc[labels == str(old), units].drop_duplicates()
    seen_new = data.loc[labels == str(new), units].drop_duplicates()
    out = seen_old.assign(in_old=True).merge(
        seen_new.assign(in_new=True), on=units, how="outer", sort=False
    )
    out["in_old"] = out["in_old"].fillna(False).astype(bool)
    out["in_new"] = out["in_new"].fillna(False).astype(bool)
    out["status"] = np.where(
        out["in_old"] & out["in_new"], "panel", np.where(out["in_old"], "old only", "new only")
    )
    return out.reset_index(drop=True)

"""Covariances between the rows of an estimate table, contrasts and differences.

:func:`vcov` returns an estimate table (mean, total, ratio or proportion, with ``by``
domains) together with the covariance matrix of its estimates, computed from the
influence values of every row through :meth:`SurveyDesign.variance`, as R's
``svyby(..., covmat=TRUE)`` and ``vcov()`` do. :func:`contrast` then gives linear
combinations of the estimates with SEs and intervals (R's ``svycontrast``), and
:func:`difference` the difference between two rows, its SE, interval and p-value:
what a report sentence "A is higher than B" needs.

The covariance matrix travels with the table in ``table.attrs["vcov"]`` (a square
DataFrame labelled by the row labels, see :func:`row_labels`) with the degrees of
freedom of the intervals in ``table.attrs["df"]``: R's ``degf`` of all the rows any
estimate of the table uses.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"county": ["A"] * 4 + ["B"] * 4,
...                    "village": [1, 1, 2, 2, 3, 3, 4, 4],
...                    "w": [10.0, 10, 12, 12, 8, 8, 9, 9],
...                    "income": [3.0, 4, 6, 5, 2, 3, 4, 8]})
>>> d = SurveyDesign(df, weights="w", strata="county", psu="village")
>>> t = vcov(d, "mean", "income", by="county")
>>> row_labels(t)
['A:income', 'B:income']
>>> diff = difference(t, "A:income", "B:income")
>>> round(diff.estimate, 4), round(diff.se, 4), round(diff.p_value, 3), diff.higher()
(0.238, 2.0062, 0.916, False)
>>> contrast(t, {"A:income": 1, "B:income": -1})[["estimate", "se"]].round(4).values.tolist()
[[0.238, 2.0062]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import column_names, domains
from ..design.survey import SurveyDesign
from ..design.variance import UnitTotals, stage_variance
from ..errors import EstimationError
from .estimators import mean, proportion, ratio, total
from .intervals import t_quantile
from .levels import is_categorical, level_codes
from .tidy import check_design, check_level, numeric_values, variable_rows

__all__ = ["VCOV_STATISTICS", "Difference", "contrast", "difference", "row_labels", "vcov"]

#: The statistics :func:`vcov` covers (quantiles have no linearisation to combine).
VCOV_STATISTICS = ("mean", "total", "ratio", "proportion")

_FIXED = ("variable", "level", "estimate", "se", "ci_low", "ci_high", "df", "deff", "n")


def row_labels(table: pd.DataFrame) -> list[str]:
    """The label of each row of an estimate table: its ``by`` values, variable and level.

    Joined with ``:`` as R's ``svyby`` names its estimates (``"A:income"``,
    ``"A:tv:1"``).

    Examples
    --------
    >>> row_labels(pd.DataFrame({"county": ["A"], "variable": ["tv"], "level": [1]}))
    ['A:tv:1']
    """
    by = [c for c in table.columns if c not in _FIXED]
    parts = [table[c].astype(str) for c in by] + [table["variable"].astype(str)]
    if "level" in table.columns:
        parts.append(table["level"].astype(str))
    out = parts[0]
    for p in parts[1:]:
        out = out + ":" + p
    return out.tolist()


def _influence_columns(
    design: SurveyDesign,
    table: pd.DataFrame,
    statistic: str,
    names: list[str],
    denominator: str | None,
    by: Any,
    where: Any,
    na_rm: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Covariance matrix from the influence values of the table's rows, and the ``(n,)``
    mask of the rows any estimate uses.

    Every estimate linearises as ``z = (a - c b) / s`` on its domain's rows: ``a = w y``,
    ``b = w`` (or ``w x`` for ratios, none for totals), ``c`` the domain's estimate and
    ``s`` its weighted size (or denominator total). Uncalibrated designs reduce ``a`` and
    ``b`` to totals per (sampling unit, domain) with two bincounts, so the ``(n, k)``
    matrix is never formed; calibrated designs need it for their residualisation.
    """
    dom = domains(design, by, where)
    g = dom.n_domains
    w = design.weights
    est = table["estimate"].to_numpy(dtype=np.float64)
    blocks: list[np.ndarray] = []  # (units or rows, k of the variable), in table order
    used = np.zeros(design.n_rows, dtype=bool)
    pos = 0
    for name in names:
        if statistic == "proportion" or (
            statistic == "total" and is_categorical(design.data[name])
        ):
            lev, levels = level_codes(design, name)
            rows = variable_rows(design, dom, lev < 0, na_rm, name)
            m = len(levels)
            share = est[pos : pos + g * m].reshape(g, m)
            per_level = []
            for j in range(m):
                a = w * (lev == j)
                if statistic == "total":
                    per_level.append(_reduce(design, rows.codes, g, a, None, None, None))
                else:
                    per_level.append(_reduce(design, rows.codes, g, a, w, share[:, j], rows.size))
            # table order: domains outer, levels inner
            blocks.append(np.stack(per_level, axis=2).reshape(per_level[0].shape[0], g * m))
            pos += g * m
        elif statistic == "ratio":
            y = numeric_values(design, name, "ratio")
            x = numeric_values(design, denominator, "ratio")  # type: ignore[arg-type]
            rows = variable_rows(design, dom, np.isnan(y) | np.isnan(x), na_rm, name)
            tx = rows.dot(w, np.where(rows.codes >= 0, x, 0.0))
            blocks.append(_reduce(design, rows.codes, g, w * y, w * x, est[pos : pos + g], tx))
            pos += g
        else:
            y = numeric_values(design, name, statistic)
            rows = variable_rows(design, dom, np.isnan(y), na_rm, name)
            if statistic == "total":
                blocks.append(_reduce(design, rows.codes, g, w * y, None, None, None))
            else:
                blocks.append(
                    _reduce(design, rows.codes, g, w * y, w, est[pos : pos + g], rows.size)
                )
            pos += g
        used |= rows.codes >= 0
    z = np.concatenate(blocks, axis=1)
    if design.is_calibrated:
        return np.atleast_2d(design.variance(z)), used
    n_units = design.stages[-1].n_units
    totals = UnitTotals(np.zeros(n_units, dtype=np.intp), np.arange(n_units), z, 1)
    v = stage_variance(
        design.stages,
        totals,
        lonely_psu=design.lonely_psu,
        adjust_domain_lonely=design.adjust_domain_lonely,
    )
    return v[0], used


def _reduce(
    design: SurveyDesign,
    codes: np.ndarray,
    g: int,
    a: np.ndarray,
    b: np.ndarray | None,
    centre: np.ndarray | None,
    scale: np.ndarray | None,
) -> np.ndarray:
    """``(a - centre[d] b) / scale[d]`` on the rows of each domain ``d`` (0 elsewhere):
    ``(n_units, g)`` unit totals for uncalibrated designs, ``(n, g)`` rows otherwise."""
    inside = codes >= 0
    if design.is_calibrated:
        d = np.where(inside, codes, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = a if b is None else a - centre[d] * b  # type: ignore[index]
            if scale is not None:
                z = z / scale[d]
        out = np.zeros((design.n_rows, g))
        out[np.flatnonzero(inside), codes[inside]] = z[inside]
        return np.where(np.isfinite(out), out, 0.0)
    n_units = design.stages[-1].n_units
    size = n_units * g
    key = np.where(inside, design.unit_codes * g + codes, size)

    def total(values: np.ndarray) -> np.ndarray:
        v = np.where(inside, values, 0.0)
        return np.bincount(key, weights=v, minlength=size + 1)[:size].reshape(n_units, g)

    out = total(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        if b is not None:
            out = out - total(b) * centre[None, :]  # type: ignore[index]
        if scale is not None:
            out = out / scale[None, :]
    return np.where(np.isfinite(out), out, 0.0)


def vcov(
    design: SurveyDesign,
    statistic: str,
    variables: str | Sequence[str],
    *,
    denominator: str | None = None,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
    method: str = "logit",
) -> pd.DataFrame:
    """An estimate table with the covariance matrix of its estimates.

    Parameters
    ----------
    design : SurveyDesign
    statistic : {"mean", "total", "ratio", "proportion"}
        The estimator (as :func:`~analysis.estimate.estimators.mean` etc.).
    variables : str or list of str
        The analysed columns (numerators of a ratio).
    denominator : str, optional
        The denominator of ``statistic="ratio"``.
    by, where, na_rm, ci_level
        As in :func:`~analysis.estimate.estimators.mean`.
    method : str
        The interval of proportions (as :func:`~analysis.estimate.estimators.proportion`).

    Returns
    -------
    pandas.DataFrame
        The estimator's table; ``attrs["vcov"]`` holds the ``(k, k)`` covariance matrix
        labelled by :func:`row_labels` (R's ``vcov(svyby(..., covmat=TRUE))``) and
        ``attrs["df"]`` the degrees of freedom of contrasts.

    Raises
    ------
    EstimationError
        ``EST520`` for another statistic (quantiles have no covariances), ``EST521`` for
        a ratio without a denominator.
    """
    design = check_design(design)
    check_level(ci_level)
    if statistic not in VCOV_STATISTICS:
        raise EstimationError(
            "EST520",
            f"vcov() cannot give covariances of {statistic!r} estimates",
            expected=" / ".join(VCOV_STATISTICS),
            found=repr(statistic),
            hint="Covariances come from linearised estimators; quantiles have none (as in R).",
        )
    if (statistic == "ratio") != (denominator is not None):
        raise EstimationError(
            "EST521",
            "a denominator goes with statistic='ratio' and only with it",
            expected="vcov(design, 'ratio', 'income', denominator='members')",
            found=f"statistic={statistic!r}, denominator={denominator!r}",
            hint="Pass denominator= for ratios, and leave it out for other statistics.",
        )
    names = column_names(design, variables, "variable")
    opts = dict(by=by, where=where, na_rm=na_rm, ci_level=ci_level)
    if statistic == "mean":
        table = mean(design, names, **opts)
    elif statistic == "total":
        table = total(design, names, **opts)
    elif statistic == "ratio":
        table = ratio(design, names, denominator, **opts)  # type: ignore[arg-type]
    else:
        table = proportion(design, names, method=method, **opts)
    v, used = _influence_columns(design, table, statistic, names, denominator, by, where, na_rm)
    labels = row_labels(table)
    table.attrs["vcov"] = pd.DataFrame(v, index=labels, columns=labels)
    _, df = design.domain_sizes(np.where(used, 0, -1), 1)
    table.attrs["df"] = int(df[0])
    return table


def _table_vcov(table: Any) -> tuple[np.ndarray, np.ndarray, list[str], int]:
    if not isinstance(table, pd.DataFrame) or "vcov" not in table.attrs:
        raise EstimationError(
            "EST522",
            "the table carries no covariance matrix",
            expected="a table made by estimate.vcov()",
            found=type(table).__name__,
            hint="Make the table with vcov(design, 'mean', 'income', by='county') instead of "
            "mean(...): contrasts need the covariances between its rows.",
        )
    v = table.attrs["vcov"]
    labels = list(v.index)
    if len(labels) != len(table):
        raise EstimationError(
            "EST522",
            "the table's rows no longer match its covariance matrix",
            expected=f"{len(labels)} rows, as made by vcov()",
            found=f"{len(table)} rows",
            hint="Contrast the table vcov() returned, before filtering or sorting its rows.",
        )
    return (
        table["estimate"].to_numpy(dtype=np.float64),
        v.to_numpy(dtype=np.float64),
        labels,
        int(table.attrs.get("df", 0)),
    )


def _weights_matrix(weights: Any, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    k = len(labels)
    if isinstance(weights, Mapping) and not all(isinstance(v, Mapping) for v in weights.values()):
        weights = {"contrast": weights}
    if isinstance(weights, Mapping):
        names = [str(n) for n in weights]
        rows = []
        for combo in weights.values():
            row = np.zeros(k)
            for label, coef in combo.items():
                if label not in labels:
                    raise EstimationError(
                        "EST523",
                        f"the contrast names a row {label!r} the table does not have",
                        expected="row labels of the table (estimate.row_labels(table))",
                        found=repr(label),
                        hint=f"Use one of {labels[:8]}{' ...' if k > 8 else ''}.",
                    )
                row[labels.index(label)] = float(coef)
            rows.append(row)
        return np.vstack(rows), names
    mat = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if mat.ndim != 2 or mat.shape[1] != k:
        raise EstimationError(
            "EST523",
            "the contrast weights do not match the rows of the table",
            expected=f"{k} weights per contrast (one per row)",
            found=f"shape {np.shape(weights)}",
            hint="Give one coefficient per row, or a dict {row label: coefficient}.",
        )
    return mat, [f"contrast {i + 1}" for i in range(mat.shape[0])]


def contrast(table: pd.DataFrame, weights: Any, *, ci_level: float = 0.95) -> pd.DataFrame:
    """Linear combinations of the estimates of a table, with SEs (R's ``svycontrast``).

    Parameters
    ----------
    table : pandas.DataFrame
        A table made by :func:`vcov`.
    weights : sequence, 2-D array or dict
        One coefficient per row (a contrast), several such rows, ``{row label:
        coefficient}`` (rows left out count 0), or ``{name: {row label: coefficient}}``
        for several named contrasts.
    ci_level : float
        Confidence level of the t interval (``df`` from ``table.attrs["df"]``).

    Returns
    -------
    pandas.DataFrame
        ``contrast, estimate, se, ci_low, ci_high, df, p_value`` (two-sided test of zero).
    """
    level = check_level(ci_level)
    est, v, labels, df = _table_vcov(table)
    mat, names = _weights_matrix(weights, labels)
    value = mat @ est
    var = np.einsum("ij,jk,ik->i", mat, v, mat)
    se = np.sqrt(np.maximum(var, 0.0))
    q = float(t_quantile(0.5 + level / 2, df)) if df > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(value) / se
    p = _two_sided(t, df)
    return pd.DataFrame(
        {
            "contrast": names,
            "estimate": value,
            "se": se,
            "ci_low": value - q * se,
            "ci_high": value + q * se,
            "df": df,
            "p_value": p,
        }
    )


def _two_sided(t: np.ndarray, df: int) -> np.ndarray:
    from scipy import special

    if df <= 0:
        return np.full(np.shape(t), np.nan)
    with np.errstate(invalid="ignore"):
        return special.betainc(df / 2.0, 0.5, df / (df + t * t))


@dataclass(frozen=True)
class Difference:
    """The difference ``first - second`` between two estimates of one table.

    Attributes
    ----------
    first, second : str
        The row labels compared.
    estimate, se, ci_low, ci_high : float
        The difference, its SE and t interval.
    df : int
        Degrees of freedom of the interval and test.
    p_value : float
        Two-sided p-value of "no difference".
    """

    first: str
    second: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    p_value: float

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the difference is significant at level ``alpha`` (two-sided)."""
        return bool(self.p_value < alpha)

    def higher(self, alpha: float = 0.05) -> bool:
        """True when ``first`` is significantly higher than ``second`` at level ``alpha``.

        For the sentence, :func:`analysis.format.difference_phrase` takes
        ``(first, second, estimate, significant())``.
        """
        return bool(self.estimate > 0 and self.significant(alpha))


def difference(
    table: pd.DataFrame, first: str | int, second: str | int, *, ci_level: float = 0.95
) -> Difference:
    """Difference between two rows of a :func:`vcov` table (e.g. two counties).

    Parameters
    ----------
    table : pandas.DataFrame
    first, second : str or int
        Row labels (:func:`row_labels`) or positions.
    ci_level : float

    Returns
    -------
    Difference
    """
    _, _, labels, _ = _table_vcov(table)
    picked = []
    for which in (first, second):
        if isinstance(which, (int, np.integer)) and not isinstance(which, bool):
            if not -len(labels) <= int(which) < len(labels):
                raise EstimationError(
                    "EST523",
                    f"row {which} is not in the table",
                    expected=f"a position 0..{len(labels) - 1}",
                    found=repr(which),
                    hint="Name the rows by their labels (estimate.row_labels(table)).",
                )
            picked.append(labels[int(which)])
        else:
            picked.append(str(which))
    combo = {picked[0]: 1.0}
    combo[picked[1]] = combo.get(picked[1], 0.0) - 1.0
    res = contrast(table, {"difference": combo}, ci_level=ci_level)
    r = res.iloc[0]
    return Difference(
        picked[0],
        picked[1],
        float(r["estimate"]),
        float(r["se"]),
        float(r["ci_low"]),
        float(r["ci_high"]),
        int(r["df"]),
        float(r["p_value"]),
    )

"""Design-based estimates as tidy tables: mean, proportion, total, ratio, quantile.

Every estimator takes the design first and returns a :class:`pandas.DataFrame`
with the ``by`` columns, ``variable``, ``level`` (proportions and totals of
categorical variables) or ``quantile`` (quantiles), then the fixed columns

``estimate, se, ci_low, ci_high, df, deff, n``

* ``se`` is the Taylor-linearised standard error (R's ``svymean``, ``svytotal``,
  ``svyratio``; the Woodruff SE for quantiles, R's ``svyquantile``).
* ``ci_low``/``ci_high`` use Student's t with ``df`` degrees of freedom (R's
  ``confint(..., df=degf(design))``), or R's ``svyciprop`` method for proportions.
* ``df`` is R's ``degf`` of the estimation domain: PSUs minus strata among the
  domain's rows (the whole design without ``by``/``where``/missing values).
* ``deff`` is R's ``deff=TRUE`` design effect: the variance over the variance of
  simple random sampling *without* replacement of the domain's ``n`` units from
  a population of the domain's estimated size (NaN for quantiles).
* ``n`` is the number of rows used (in the domain, with a non-missing value).

Missing values of the analysed variables are left out as R's ``na.rm=TRUE``
does: the rows stay in the design (the domain loses them), so the standard
errors keep every stratum and PSU. Domains (``by``, ``where``) work the same way:
the frame is never filtered. Each estimate reuses the strata and PSU codes
computed when the design was built, and domain codes are cached on the design.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"county": ["A"] * 4 + ["B"] * 4,
...                    "village": [1, 1, 2, 2, 1, 1, 2, 2],
...                    "w": [10.0, 10, 12, 12, 8, 8, 9, 9],
...                    "tv": [1, 0, 1, 1, 0, 1, 1, 1],
...                    "income": [3.0, 4, 6, 5, 2, 3, 4, 8]})
>>> design = SurveyDesign(df, weights="w", strata="county", psu="village")
>>> mean(design, "income").round(4).to_dict("records")[0]  # R: svymean(~income, d, deff=TRUE)
... # doctest: +NORMALIZE_WHITESPACE
{'variable': 'income', 'estimate': 4.4872, 'se': 0.9442, 'ci_low': 0.4244,
 'ci_high': 8.55, 'df': 2, 'deff': 2.3035, 'n': 8}
>>> proportion(design, "tv", by="county")[["county", "level", "estimate", "n"]]
  county level  estimate  n
0      A     0  0.227273  4
1      A     1  0.772727  4
2      B     0  0.235294  4
3      B     1  0.764706  4
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import DomainRows, column_names, domains
from ..design.replicate import ReplicateDesign
from ..design.rowpass import borrow
from ..design.survey import SurveyDesign
from ..errors import EstimationError
from . import engine_quantiles, engines
from . import replicate as _replicate
from .intervals import PROPORTION_METHODS, proportion_interval, t_interval
from .levels import is_categorical, level_table, rows_present
from .quantile_rules import (
    QUANTILE_RULES,
    domain_segments,
    interval_limits,
    point_quantiles,
    quantile_stats,
)
from .tidy import (
    ESTIMATE_COLUMNS,
    check_choice,
    check_denominator,
    check_design,
    check_level,
    concat,
    constant_domains,
    numeric_values,
    safe_div,
    srs_deff,
    tidy_table,
    variable_rows,
)

__all__ = ["ESTIMATE_COLUMNS", "mean", "proportion", "quantile", "ratio", "total"]

QUANTILE_INTERVALS = ("mean", "beta", "xlogit", "asin")


def _variance(
    design: SurveyDesign, z: np.ndarray, rows: DomainRows, scale: np.ndarray | None = None
) -> np.ndarray:
    """``(G,)`` variances of the domain totals of ``z / scale`` (``scale`` per domain).

    Dividing after the reduction is exact: the variance is quadratic in ``z`` and each
    domain (calibrated designs included) is linearised on its own.
    """
    v = design._domain_variance(z[:, None], rows.codes, rows.n_domains)[:, 0, 0]
    return v if scale is None else safe_div(v, scale * scale)


def _centred(design: SurveyDesign, rows: DomainRows, y: np.ndarray):
    """Weighted total and mean of ``y`` per domain, the influence values ``w (y - ybar)``
    and the weighted sum of squared deviations (two passes, as R centres before summing).
    """
    w = design.weights
    if rows.slot is None:
        ty = rows.dot(w, y)
        ybar = safe_div(ty, rows.size)
        e = y - float(ybar[0])
        we = w * e
        return ty, ybar, we, rows.dot(we, e)
    # Domains: the same arithmetic in two row-length buffers (fresh memory is slow to map);
    # borrow: numpy's bincount and take copy read-only codes, "clip" spares take a buffer.
    slot, g = borrow(rows.slot), rows.n_domains
    buf = np.multiply(w, y)
    ty = np.bincount(slot, weights=buf, minlength=g + 1)[:g]
    ybar = safe_div(ty, rows.size)
    np.take(np.append(ybar, 0.0), slot, out=buf, mode="clip")
    e = np.subtract(y, buf, out=buf)
    we = w * e
    np.multiply(we, e, out=e)
    ss = np.bincount(slot, weights=e, minlength=g + 1)[:g]
    return ty, ybar, we, ss


def _result(est, se, df, level, deff, n) -> dict[str, np.ndarray]:
    lo, hi = t_interval(est, se, df, level)
    return dict(estimate=est, se=se, ci_low=lo, ci_high=hi, df=df, deff=deff, n=n)


# ---------------------------------------------------------------------------- mean / total
def mean(
    design: SurveyDesign,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Weighted means with design-based SEs (R's ``svymean``/``svyby``).

    Parameters
    ----------
    design : SurveyDesign
    variables : str or list of str
        Numeric (or True/False) columns.
    by : str or list of str, optional
        Domain columns: one row per observed combination.
    where : str or array_like of bool, optional
        Subpopulation (a boolean column or mask); the design is kept whole.
    na_rm : bool
        Leave out missing values (default, R's ``na.rm=TRUE``); False raises ``EST003``.
    ci_level : float
        Confidence level of ``ci_low``/``ci_high``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, variable, estimate, se, ci_low, ci_high, df, deff, n]``.
    """
    if engines.is_engine(design):  # DuckDB / Dask: the same reduction where the data is
        return engines.mean(design, variables, by=by, where=where, na_rm=na_rm, ci_level=ci_level)
    design = check_design(design)
    if isinstance(design, ReplicateDesign):
        return _replicate.mean(
            design, variables, by=by, where=where, na_rm=na_rm, ci_level=ci_level
        )
    level = check_level(ci_level)
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    tables = []
    for name in names:
        y = numeric_values(design, name, "mean")
        rows = variable_rows(design, dom, np.isnan(y), na_rm, name)
        _, ybar, we, ss = _centred(design, rows, y)
        v = _variance(design, we, rows, rows.size)  # influence: w (y - ybar) / W
        const = constant_domains(rows, we, ss)
        del we
        deff = srs_deff(v, ss, rows.size, rows.n, 1.0)
        if const.any():  # exactly: SE 0 and no design effect (R: rounding noise)
            v, deff = np.where(const, 0.0, v), np.where(const, np.nan, deff)
        tables.append(
            tidy_table(dom, name, _result(ybar, np.sqrt(v), rows.df, level, deff, rows.n))
        )
    return concat(tables)


def total(
    design: SurveyDesign,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Estimated population totals (R's ``svytotal``).

    A categorical (text, category or True/False) variable gives the estimated
    number of population units at each level, with a ``level`` column.

    Parameters
    ----------
    design : SurveyDesign
    variables : str or list of str
    by, where, na_rm, ci_level
        As in :func:`mean`.

    Returns
    -------
    pandas.DataFrame
        ``[*by, variable, (level), estimate, se, ci_low, ci_high, df, deff, n]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.design.survey import SurveyDesign
    >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "w": [2.0, 2.0, 3.0, 3.0],
    ...                    "y": [1.0, 3.0, 2.0, 6.0]})
    >>> total(SurveyDesign(df, weights="w", strata="s"), "y")[["estimate", "se"]]
       estimate         se
    0      32.0  12.649111
    """
    if engines.is_engine(design):  # DuckDB / Dask: the same reduction where the data is
        return engines.total(design, variables, by=by, where=where, na_rm=na_rm, ci_level=ci_level)
    design = check_design(design)
    if isinstance(design, ReplicateDesign):
        return _replicate.total(
            design, variables, by=by, where=where, na_rm=na_rm, ci_level=ci_level
        )
    level = check_level(ci_level)
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    tables = []
    for name in names:
        if is_categorical(design.data[name]):
            tables.append(level_table(design, dom, name, na_rm, level, "total", "wald"))
            continue
        y = numeric_values(design, name, "total")
        rows = variable_rows(design, dom, np.isnan(y), na_rm, name)
        ty, _, we, ss = _centred(design, rows, y)
        del we
        v = _variance(design, design.weights * y, rows)
        deff = srs_deff(v, ss, rows.size, rows.n, rows.size * rows.size)
        tables.append(tidy_table(dom, name, _result(ty, np.sqrt(v), rows.df, level, deff, rows.n)))
    return concat(tables)


# ---------------------------------------------------------------------------- ratio
def ratio(
    design: SurveyDesign,
    numerator: str | Sequence[str],
    denominator: str,
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Ratios of two totals, e.g. income per household member (R's ``svyratio``).

    Rows missing the numerator or the denominator are left out of both totals.

    Parameters
    ----------
    design : SurveyDesign
    numerator : str or list of str
        Numeric column(s) on top.
    denominator : str
        Numeric column below; its domain totals must not be zero (``EST006``).
    by, where, na_rm, ci_level
        As in :func:`mean`.

    Returns
    -------
    pandas.DataFrame
        ``variable`` reads ``"numerator/denominator"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.design.survey import SurveyDesign
    >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "w": [2.0, 2.0, 3.0, 3.0],
    ...                    "inc": [10.0, 30.0, 20.0, 60.0], "members": [2, 3, 4, 5]})
    >>> ratio(SurveyDesign(df, weights="w", strata="s"), "inc", "members")[["variable", "estimate"]]
          variable  estimate
    0  inc/members  8.648649
    """
    if engines.is_engine(design):  # DuckDB / Dask: the same reduction where the data is
        return engines.ratio(
            design, numerator, denominator, by=by, where=where, na_rm=na_rm, ci_level=ci_level
        )
    design = check_design(design)
    if isinstance(design, ReplicateDesign):
        return _replicate.ratio(
            design, numerator, denominator, by=by, where=where, na_rm=na_rm, ci_level=ci_level
        )
    level = check_level(ci_level)
    nums = column_names(design, numerator, "numerator")
    if not isinstance(denominator, str):
        raise EstimationError(
            "EST001",
            "ratio() takes one denominator column",
            expected="a column name",
            found=repr(denominator),
            hint="Call ratio() once per denominator.",
        )
    den = column_names(design, denominator, "denominator")[0]
    dom = domains(design, by, where)
    w = design.weights
    x = numeric_values(design, den, "ratio")
    tables = []
    for name in nums:
        y = numeric_values(design, name, "ratio")
        label = f"{name}/{den}"
        rows = variable_rows(design, dom, np.isnan(y) | np.isnan(x), na_rm, label)
        ty = rows.dot(w, y)
        tx = rows.dot(w, x)
        check_denominator(tx, rows.n, dom, den)
        r = safe_div(ty, tx)
        resid = (y - rows.spread(r) * x) * rows.spread(safe_div(1.0, tx))
        v = _variance(design, w * resid, rows)
        rbar = safe_div(rows.sum(w * resid), rows.size)  # R's svyvar centres again
        d = resid - rows.spread(rbar)
        ss = rows.sum(w * d * d)
        deff = srs_deff(v, ss, rows.size, rows.n, rows.size * rows.size)
        tables.append(tidy_table(dom, label, _result(r, np.sqrt(v), rows.df, level, deff, rows.n)))
    return concat(tables)


# ---------------------------------------------------------------------------- proportion
def proportion(
    design: SurveyDesign,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    method: str = "logit",
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """The share of every level of a categorical variable (R's ``svymean`` + ``svyciprop``).

    Parameters
    ----------
    design : SurveyDesign
    variables : str or list of str
        Categorical columns (text, category, True/False or coded numbers). A
        pandas Categorical reports every category, including unobserved ones (0).
    by, where, na_rm, ci_level
        As in :func:`mean`.
    method : {"logit", "wald", "beta", "xlogit", "asin", "likelihood"}
        Confidence interval, as R's ``svyciprop(method=)``: ``"logit"`` (R's
        default, from the design-based logistic fit), ``"wald"`` (R's ``"mean"``:
        estimate +- t SE), ``"beta"`` (Korn-Graubard-type, with an effective sample
        size), ``"xlogit"`` (Wald on the logit scale), ``"asin"`` and ``"likelihood"``
        (profile likelihood of the logistic fit, scaled to the design variance).
        Levels with an estimate of exactly 0 or 1 get the interval ``[p, p]``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, variable, level, estimate, se, ci_low, ci_high, df, deff, n]``.
    """
    if engines.is_engine(design):  # DuckDB / Dask: the same reduction where the data is
        return engines.proportion(
            design, variables, by=by, where=where, method=method, na_rm=na_rm, ci_level=ci_level
        )
    design = check_design(design)
    if isinstance(design, ReplicateDesign):
        return _replicate.proportion(
            design, variables, method=method, by=by, where=where, na_rm=na_rm, ci_level=ci_level
        )
    level = check_level(ci_level)
    check_method(method)
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    return concat(
        [level_table(design, dom, nm, na_rm, level, "proportion", method) for nm in names]
    )


def check_method(method: Any) -> str:
    """A proportion's interval method, or ``EST007``."""
    if method not in PROPORTION_METHODS:
        raise EstimationError(
            "EST007",
            f"unknown confidence interval method {method!r} for proportions",
            expected=" / ".join(m for m in PROPORTION_METHODS if m != "mean"),
            found=repr(method),
            hint="Use method='logit' (R's default), 'wald', 'beta', 'xlogit', 'asin' or "
            "'likelihood'.",
        )
    return method


# ---------------------------------------------------------------------------- quantile
def quantile(
    design: SurveyDesign,
    variables: str | Sequence[str],
    q: float | Sequence[float] = 0.5,
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    qrule: str = "math",
    interval: str = "mean",
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Weighted quantiles with Woodruff confidence intervals (R's ``svyquantile``, survey 4.x).

    Parameters
    ----------
    design : SurveyDesign
    variables : str or list of str
        Numeric columns.
    q : float or list of float
        Probabilities in [0, 1], e.g. ``[0.25, 0.5, 0.75]``.
    qrule : {"math", "school", "hf7"}
        Quantile rule; ``"math"`` is R's default (the inverse of the weighted CDF).
    interval : {"mean", "beta", "xlogit", "asin"}
        How the Woodruff interval of the CDF at the quantile is built (R's
        ``interval.type``; ``"mean"`` is R's default). The SE is the interval's
        width over ``2 * qt(1 - alpha / 2, df)``, as R reports it.
    by, where, na_rm, ci_level
        As in :func:`mean`.

    Returns
    -------
    pandas.DataFrame
        ``[*by, variable, quantile, estimate, se, ci_low, ci_high, df, deff, n]``;
        ``deff`` is NaN. A confidence limit beyond the data is NaN, as in R.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.design.survey import SurveyDesign
    >>> df = pd.DataFrame({"s": [1] * 5 + [2] * 5, "w": [1.0] * 5 + [2.0] * 5,
    ...                    "y": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]})
    >>> quantile(SurveyDesign(df, weights="w", strata="s"), "y", [0.25, 0.5])[
    ...     ["quantile", "estimate"]]
       quantile  estimate
    0      0.25       4.0
    1      0.50       7.0
    """
    if engines.is_engine(design):  # DuckDB / Dask: a few passes, no sort of the records
        return engine_quantiles.quantile(
            design,
            variables,
            q,
            by=by,
            where=where,
            qrule=qrule,
            interval=interval,
            na_rm=na_rm,
            ci_level=ci_level,
        )
    design = check_design(design)
    level = check_level(ci_level)
    check_choice(
        qrule,
        QUANTILE_RULES,
        "EST009",
        "quantile rule",
        hint="Use qrule='math' (R's default), 'school' or 'hf7'.",
    )
    check_choice(
        interval,
        QUANTILE_INTERVALS,
        "EST009",
        "quantile interval type",
        hint="Use interval='mean' (R's default), 'beta', 'xlogit' or 'asin'.",
    )
    probs = _probabilities(q)
    if isinstance(design, ReplicateDesign):
        return _replicate.quantile(
            design,
            variables,
            probs,
            qrule=qrule,
            interval=interval,
            by=by,
            where=where,
            na_rm=na_rm,
            ci_level=ci_level,
        )
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    g = dom.n_domains
    with np.errstate(divide="ignore"):  # (weights of 0: 1 / inf = 0, as in R)
        w_r = 1.0 / (1.0 / design.weights)  # R stores 1/w and works with 1/(1/w)
    tables = []
    for name in names:
        y = numeric_values(design, name, "quantile")
        rows = variable_rows(design, dom, np.isnan(y), na_rm, name)
        segments = domain_segments(y, w_r, rows.codes, g)
        qhat = point_quantiles(qrule, segments, probs)
        present = rows_present(design, rows)
        lo = np.full(qhat.shape, np.nan)
        hi = np.full(qhat.shape, np.nan)
        for j in range(len(probs)):
            below = (y <= rows.spread(qhat[:, j])).astype(np.float64)
            _, pbar, we, _ = _centred(design, rows, below)
            se_p = np.sqrt(_variance(design, we, rows, rows.size))
            pl, pu = _woodruff_probabilities(interval, pbar, se_p, rows.df, level, present)
            lo[:, j], hi[:, j] = interval_limits(qrule, segments, pl, pu)
        stats = quantile_stats(qhat, lo, hi, rows.df, rows.n, level)
        tables.append(tidy_table(dom, name, stats, extra=("quantile", probs)))
    return concat(tables)


def _woodruff_probabilities(method, p, se, df, level, rows_present):
    """The interval of the CDF at the quantile (R's ``woodruffCI``), without [p, p] fixing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "mean":
            return t_interval(p, se, df, level)
        lo, hi = proportion_interval(method, p, se, df, level, n_rows=rows_present)
        # R has no special case for p in {0, 1}: its formulas give NaN there.
        bad = (p == 0) | (p == 1)
        return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _probabilities(q: Any) -> list[float]:
    values = [q] if np.isscalar(q) else list(q)
    try:
        probs = [float(v) for v in values]
    except (TypeError, ValueError):
        probs = []
    if not probs or any(not 0 <= p <= 1 for p in probs):
        raise EstimationError(
            "EST008",
            "quantile probabilities must be numbers between 0 and 1",
            expected="e.g. q=0.5 or q=[0.25, 0.5, 0.75]",
            found=repr(q),
            hint="Use fractions, not percentages (0.9 rather than 90).",
        )
    return probs

"""Shares and totals of the levels of a categorical variable, for every domain at once.

The rows are reduced once, with one ``bincount`` on the combined code of
(domain, sampling unit, level): that table holds the weighted count of every
level in every unit, and every variance needed afterwards (of the shares, of the
level totals, of R's logistic fit for ``svyciprop``) is arithmetic on it.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> from analysis.design.domains import domains
>>> df = pd.DataFrame({"s": [1, 1, 1, 2, 2, 2], "w": [1.0, 2, 1, 2, 1, 1],
...                    "tv": ["yes", "no", "yes", "yes", "yes", "no"]})
>>> d = SurveyDesign(df, weights="w", strata="s")
>>> level_table(d, domains(d), "tv", True, 0.95, "proportion", "wald")[["level", "estimate"]]
  level  estimate
0    no     0.375
1   yes     0.625
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import DomainRows, Domains, column_codes
from ..design.rowpass import keyed_sums
from ..design.survey import SurveyDesign
from ..design.variance import UnitTotals, group_sum, stage_variance
from ..errors import EstimationError
from .intervals import (
    _linkinv,
    _mu_eta,
    logit_fit,
    logit_start_terms,
    proportion_interval,
    t_interval,
)
from .profile import likelihood_interval
from .tidy import safe_div, tidy_table, variable_rows

__all__ = ["is_categorical", "level_codes", "level_table"]

LevelVariance = Callable[[np.ndarray, np.ndarray], np.ndarray]


def is_categorical(col: pd.Series) -> bool:
    """Text, category and True/False columns are categorical; numbers are not."""
    return (
        isinstance(col.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(col.dtype)
        or not pd.api.types.is_numeric_dtype(col.dtype)
    )


def level_codes(design: SurveyDesign, name: str) -> tuple[np.ndarray, list[Any]]:
    """Level code of each row (``-1`` missing) and the levels in order.

    A pandas Categorical keeps all its categories (unobserved ones too); other
    columns use their observed values, sorted. The codes are computed once per design
    and column (:func:`analysis.design.domains.column_codes`) and are read-only.
    """
    codes, labels = column_codes(design, name)
    return codes, list(labels)


def level_table(
    design: SurveyDesign,
    dom: Domains,
    name: str,
    na_rm: bool,
    level: float,
    kind: str,
    method: str,
    reduced: tuple[UnitTotals, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Shares (``kind="proportion"``) or totals (``kind="total"``) of every level.

    Parameters
    ----------
    design : SurveyDesign
    dom : Domains
    name : str
        Categorical column.
    na_rm : bool
        Leave missing values out.
    level : float
        Confidence level.
    kind : {"proportion", "total"}
    method : str
        Proportion CI method (see :func:`analysis.estimate.intervals.proportion_interval`).
    reduced : (UnitTotals, numpy.ndarray), optional
        The weighted level counts per (domain, unit) of the variable's rows and their row
        sums, already reduced (:func:`analysis.estimate.batch.estimate_many` reduces the rows
        once for several estimates); by default the rows are reduced here.
    """
    lev_codes, levels = level_codes(design, name)
    n_lev = len(levels)
    if n_lev == 0:
        raise EstimationError(
            "EST005",
            f"{name!r} has no values",
            column=name,
            expected="at least one non-missing value",
            found="all missing",
            hint="Check the column: every row is missing.",
        )
    rows = variable_rows(design, dom, lev_codes < 0, na_rm, name)
    g = rows.n_domains
    counts, variance = _level_variances(design, rows, lev_codes, n_lev, reduced)
    size = rows.size
    p = safe_div(counts, size[:, None])
    # a domain whose rows all have one level: shares exactly 0 and 1, SE 0, no deff
    single = (counts > 0).sum(axis=1) == 1
    if single.any():
        p[single] = counts[single] > 0
    n, df = rows.n, rows.df
    if kind == "total":
        est = counts
        v = variance(np.zeros_like(p), np.ones(g))
    else:
        est = p
        v = variance(p, size)
    se = np.sqrt(v)
    deff = level_deff(v, p, size, n, kind)
    if kind == "proportion" and single.any():
        se[single] = 0.0
        deff[single] = np.nan
    if kind == "total":
        lo, hi = t_interval(est, se, df[:, None], level)
    elif method in ("wald", "mean"):
        lo, hi = proportion_interval("wald", p, se, df[:, None], level)
    elif method == "likelihood":
        present = rows_present(design, rows)
        fit = _logit_fit(design, rows, lev_codes, present, counts, variance, full=True)
        lo, hi = _likelihood(fit, counts, size, n, present, df, level)
    else:
        present = rows_present(design, rows)
        coef = logit_se = None
        if method == "logit":
            coef, logit_se = _logit_fit(design, rows, lev_codes, present, counts, variance)
        lo, hi = proportion_interval(
            method,
            p,
            se,
            df[:, None],
            level,
            n_rows=present[:, None],
            logit_coef=coef,
            logit_se=logit_se,
        )
    return tidy_table(
        dom,
        name,
        dict(estimate=est, se=se, ci_low=lo, ci_high=hi, df=df, deff=deff, n=n),
        extra=("level", levels),
    )


def level_deff(
    v: np.ndarray, p: np.ndarray, size: np.ndarray, n: np.ndarray, kind: str
) -> np.ndarray:
    """R's design effects of level shares or totals (``(g, L)``), from their variances.

    The SRS variance is R's ``svyvar`` of the level indicator, with the finite
    population correction R applies (``(N - n) / (N n)``); domains larger in rows than
    in weights get NaN, as in R. Shared by the Taylor, replicate and engine estimators.

    Examples
    --------
    >>> level_deff(np.array([[0.01]]), np.array([[0.5]]), np.array([100.0]),
    ...            np.array([10]), "proportion").round(4).tolist()
    [[0.4]]
    """
    sz, nn = size[:, None], n[:, None]
    scale = sz * sz if kind == "total" else np.ones_like(sz)
    with np.errstate(divide="ignore", invalid="ignore"):
        svyvar = p * (1 - p) * nn / (nn - 1)  # R's svyvar of the level indicator
        deff = v / (svyvar * scale * (sz - nn) / (sz * nn))
    return np.where(sz < nn, np.nan, deff)


def rows_present(design: SurveyDesign, rows: DomainRows) -> np.ndarray:
    """R's ``nrow(subset)``: the domain's rows (every row for calibrated designs)."""
    if design.is_calibrated:
        return np.full(rows.n_domains, float(design.n_rows))
    if design.has_zero_weights:  # rows of weight 0 stay in R's subset
        inside = rows.codes >= 0
        return np.bincount(rows.codes[inside], minlength=rows.n_domains).astype(np.float64)
    return rows.n.astype(np.float64)


def _level_unit_totals(
    design: SurveyDesign, codes: np.ndarray, lev_codes: np.ndarray, g: int, n_lev: int
) -> tuple[UnitTotals, np.ndarray]:
    """Unit totals of ``w * [level == l]`` for every level, in one bincount."""
    unit = design.unit_codes
    n_units = design.stages[-1].n_units
    w = design.weights
    size = g * n_units
    inside_all = g == 1 and codes.min() >= 0
    if size * n_lev <= max(1 << 23, 4 * design.n_rows):

        def key_of(rows: slice) -> np.ndarray:  # (domain, unit, level) cells, by blocks
            if inside_all:
                key = unit[rows] * n_lev
            else:
                c = codes[rows]
                key = c * n_units
                key += unit[rows]
                key *= n_lev
            key += lev_codes[rows]
            if not inside_all:
                key[c < 0] = size * n_lev
            return key

        cells = size * n_lev + 1
        dense = keyed_sums(key_of, design.n_rows, cells, w[:, None])[: size * n_lev, 0]
        dense = dense.reshape(size, n_lev)
        tw = dense.sum(axis=1)
        present = np.flatnonzero(tw > 0)  # weights are positive in uncalibrated designs
        return UnitTotals(present // n_units, present % n_units, dense[present], g), tw[present]
    inside = codes >= 0
    pair = (codes * n_units + unit)[inside]
    pcodes, uniques = pd.factorize(pair, sort=True)
    m = len(uniques)
    flat = np.bincount(
        pcodes * n_lev + lev_codes[inside], weights=w[inside], minlength=m * n_lev
    ).reshape(m, n_lev)
    uniques = np.asarray(uniques, dtype=np.intp)
    return UnitTotals(uniques // n_units, uniques % n_units, flat, g), flat.sum(axis=1)


def _level_variances(
    design: SurveyDesign,
    rows: DomainRows,
    lev_codes: np.ndarray,
    n_lev: int,
    reduced: tuple[UnitTotals, np.ndarray] | None = None,
) -> tuple[np.ndarray, LevelVariance]:
    """Weighted level counts ``(G, L)`` and a function ``(centre, scale) -> (G, L)``
    giving the variances of the domain totals of ``w * (1[level == l] - centre) / scale``.
    """
    g = rows.n_domains
    codes = rows.codes
    if design.is_calibrated:
        w = design.weights
        cell = np.where(codes >= 0, codes * n_lev + np.maximum(lev_codes, 0), g * n_lev)
        counts = np.bincount(cell, weights=w, minlength=g * n_lev + 1)[: g * n_lev]

        def by_rows(centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
            out = np.empty((g, n_lev))
            inv = rows.spread(safe_div(1.0, scale))
            for lv in range(n_lev):
                z = w * ((lev_codes == lv) - rows.spread(centre[:, lv])) * inv
                out[:, lv] = design._domain_variance(z[:, None], codes, g)[:, 0, 0]
            return out

        return counts.reshape(g, n_lev), by_rows
    if reduced is None:
        ut, tw = _level_unit_totals(design, codes, lev_codes, g, n_lev)
    else:
        ut, tw = reduced
    counts = group_sum(ut.totals, ut.domain, g)

    def by_units(centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
        lin = (ut.totals - centre[ut.domain] * tw[:, None]) * safe_div(1.0, scale)[ut.domain][
            :, None
        ]
        v = stage_variance(
            design.stages,
            UnitTotals(ut.domain, ut.unit, lin, g),
            lonely_psu=design.lonely_psu,
            adjust_domain_lonely=design.adjust_domain_lonely,
            diagonal=True,
        )
        return v

    return counts, by_units


def _logit_fit(
    design: SurveyDesign,
    rows: DomainRows,
    lev_codes: np.ndarray,
    present: np.ndarray,
    counts: np.ndarray,
    variance: LevelVariance,
    *,
    full: bool = False,
) -> tuple[np.ndarray, ...]:
    """R's ``svyciprop(method="logit")``: the svyglm intercept per level and its SE.

    svyglm fits ``y ~ 1`` (quasibinomial) with the weights rescaled by their mean
    over the domain's rows; its sandwich variance is the variance of the totals
    of ``w (y - mu) / (W mu.eta)``. With ``full`` also the last working-weight sums
    and the rescaled weight sums ``s1``, ``s0`` (for the likelihood interval).
    """
    n_lev = counts.shape[1]
    mean_w = safe_div(rows.size, present)
    start_w, start_wz, start_dev, wz1 = _logit_start_sums(
        design.weights, None if rows.slot is None else rows.codes, lev_codes, mean_w, n_lev
    )
    # the rescaled weights of y = 1 rows are the level counts over the mean weight
    s1 = counts / mean_w[:, None]
    s0 = present[:, None] - s1  # the rescaled weights sum to the number of rows
    coef, used = logit_fit(
        s1,
        s0,
        np.broadcast_to(start_w[:, None], s1.shape),
        2 * wz1 - start_wz[:, None],  # rows with y = 0 contribute -Wz1
        np.broadcast_to(start_dev[:, None], s1.shape),
        weights_used=True,
    )
    mu = _linkinv(coef)
    v = variance(mu, rows.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(v) / _mu_eta(coef)
    return (coef, se, used, s1, s0) if full else (coef, se)


def _likelihood(fit, counts, size, n, present, df, level) -> tuple[np.ndarray, np.ndarray]:
    """R's ``svyciprop(method="likelihood")`` for every (domain, level) cell.

    The dispersion is R's ``summary.svyglm``'s: ``svyvar`` of the Pearson residuals
    ``(y - mu) / sqrt(mu (1 - mu))``, with the design weights.
    """
    coef, se, used, s1, s0 = fit
    mu = _linkinv(coef)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(mu * (1 - mu))
        r1, r0 = (1 - mu) / sd, -mu / sd
        w1 = counts
        w0 = size[:, None] - counts
        rbar = (w1 * r1 + w0 * r0) / size[:, None]
        nn = n[:, None].astype(np.float64)
        disp = (w1 * (r1 - rbar) ** 2 + w0 * (r0 - rbar) ** 2) / size[:, None] * nn / (nn - 1)
    lo = np.full(coef.shape, np.nan)
    hi = np.full(coef.shape, np.nan)
    for g, j in np.ndindex(coef.shape):
        lo[g, j], hi[g, j] = likelihood_interval(
            float(coef[g, j]),
            float(se[g, j]),
            float(used[g, j]),
            float(s1[g, j]),
            float(s0[g, j]),
            float(disp[g, j]),
            float(present[g]),
            float(df[g]),
            level,
        )
    p = safe_div(counts, size[:, None])
    degenerate = (p == 0) | (p == 1)
    return np.where(degenerate, p, lo), np.where(degenerate, p, hi)


#: Rows per block of :func:`_logit_start_sums`: the per-row terms stay in the CPU cache.
_BLOCK = 1 << 16


def _logit_start_sums(
    w: np.ndarray, codes: np.ndarray | None, lev_codes: np.ndarray, mean_w: np.ndarray, n_lev: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-domain sums of :func:`logit_start_terms` and ``Wz1`` per (domain, level) cell.

    The terms are computed block by block and only their sums are kept, so no
    row-length temporary is allocated. ``codes`` is None when one domain holds every row.

    Returns
    -------
    (W, Wz, dev, Wz1) : tuple of numpy.ndarray
        ``(G,)`` sums of the working weights, of the working weight times the working
        response of a ``y = 1`` row, of the deviances; ``(G, L)`` sums of the second
        over the rows of each level.
    """
    g = mean_w.size
    sum_w, sum_wz, sum_dev = np.zeros(g), np.zeros(g), np.zeros(g)
    cells = np.zeros(g * n_lev)
    for start in range(0, w.size, _BLOCK):
        block = slice(start, start + _BLOCK)
        if codes is None:
            terms = logit_start_terms(w[block] / mean_w[0])
            sum_w[0] += terms[0].sum()
            sum_wz[0] += terms[1].sum()
            sum_dev[0] += terms[2].sum()
            cells += np.bincount(lev_codes[block], weights=terms[1], minlength=n_lev)
            continue
        c = codes[block]
        inside = c >= 0
        dom = c[inside]
        terms = logit_start_terms(w[block][inside] / mean_w[dom])
        sum_w += np.bincount(dom, weights=terms[0], minlength=g)
        sum_wz += np.bincount(dom, weights=terms[1], minlength=g)
        sum_dev += np.bincount(dom, weights=terms[2], minlength=g)
        cell = dom * n_lev
        cell += lev_codes[block][inside]
        cells += np.bincount(cell, weights=terms[1], minlength=g * n_lev)
    return sum_w, sum_wz, sum_dev, cells.reshape(g, n_lev)

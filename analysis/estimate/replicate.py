"""Estimates on replicate-weight designs: every replicate re-estimates the statistic.

The estimators of :mod:`analysis.estimate.estimators` hand a
:class:`~analysis.design.replicate.ReplicateDesign` to the functions here. Each
statistic is a ratio of weighted sums, so the estimates of all replicates come from
one product of the replicate weights with the per-row values
(:meth:`~analysis.design.replicate.ReplicateDesign.replicate_totals`), and the variance
is R's ``svrVar`` of the replicate estimates. Numbers follow R's ``svymean``,
``svytotal``, ``svyratio``, ``svyciprop`` and ``svyquantile`` methods for
``svyrep.design`` objects, including their design effects and ``degf``:

* ``df`` is R's ``degf`` of the domain: the rank of its rows' replicate weights minus 1;
* proportions' ``"logit"`` interval refits the logistic model on every replicate
  (R's ``svyglm`` on a replicate design), starting from the full-sample fit;
* quantiles use Woodruff's interval with the replicate variance of the CDF.

Examples
--------
>>> import pandas as pd
>>> from analysis.design import SurveyDesign
>>> from analysis.design.resampling import as_replicate
>>> df = pd.DataFrame({"s": [1] * 4 + [2] * 4, "v": [1, 1, 2, 2, 3, 3, 4, 4],
...                    "w": [2.0, 2, 3, 3, 1, 1, 2, 2], "y": [1.0, 2, 3, 4, 5, 6, 7, 9]})
>>> d = as_replicate(SurveyDesign(df, weights="w", strata="s", psu="v"), "JKn")
>>> round(float(mean(d, "y")["se"].iloc[0]), 6)
0.873809
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import DomainRows, Domains, column_names, domains
from ..design.replicate import ReplicateDesign
from ..errors import EstimationError
from .intervals import (
    PROPORTION_METHODS,
    _linkinv,
    _mu_eta,
    logit_fit,
    logit_start_terms,
    proportion_interval,
    t_interval,
)
from .levels import is_categorical, level_codes, level_deff
from .quantile_rules import (
    QUANTILE_RULES,
    domain_segments,
    interval_limits,
    point_quantiles,
    quantile_stats,
)
from .tidy import (
    check_choice,
    check_denominator,
    check_level,
    concat,
    numeric_values,
    safe_div,
    srs_deff,
    tidy_table,
    variable_rows,
)

__all__ = ["mean", "proportion", "quantile", "ratio", "replicate_cells", "total"]

_QUANTILE_INTERVALS = ("mean", "beta", "xlogit", "asin")


def _result(est, se, df, level, deff, n) -> dict[str, np.ndarray]:
    lo, hi = t_interval(est, se, np.asarray(df).reshape((-1,) + (1,) * (np.ndim(est) - 1)), level)
    return dict(estimate=est, se=se, ci_low=lo, ci_high=hi, df=df, deff=deff, n=n)


def _totals(design: ReplicateDesign, rows: DomainRows, values: list[np.ndarray | None]):
    """Full-sample ``(G, k)`` and replicate ``(G, R, k)`` domain totals of the columns
    (``None``: the weights alone)."""
    codes = None if rows.slot is None else rows.codes
    return design.replicate_totals(values, codes, rows.n_domains)


def _ss(design: ReplicateDesign, rows: DomainRows, y: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Weighted sums of squared deviations from a per-domain centre (R's ``svyvar``)."""
    e = y - rows.spread(centre)
    if rows.slot is None:
        return np.array([np.einsum("i,i,i->", design.weights, e, e)])
    e *= e
    e *= design.weights
    return rows.sum(e)


def _mean_parts(design: ReplicateDesign, rows: DomainRows, y: np.ndarray):
    """Domain means, their replicates ``(G, R)`` and variances, from one product."""
    y0 = np.where(rows.codes >= 0, y, 0.0) if np.isnan(y).any() else y
    full, reps = _totals(design, rows, [y0, None])
    est = safe_div(full[:, 0], full[:, 1])
    rep = safe_div(reps[..., 0], reps[..., 1])
    return est, rep, design.replicate_variance(rep, est)


# ---------------------------------------------------------------------------- mean / total
def mean(
    design: ReplicateDesign,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Means on a replicate design (R's ``svymean`` for ``svyrep.design``)."""
    level = check_level(ci_level)
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    tables = []
    for name in names:
        y = numeric_values(design, name, "mean")
        rows = variable_rows(design, dom, np.isnan(y), na_rm, name)
        est, _, v = _mean_parts(design, rows, y)
        deff = srs_deff(v, _ss(design, rows, y, est), rows.size, rows.n, 1.0)
        tables.append(tidy_table(dom, name, _result(est, np.sqrt(v), rows.df, level, deff, rows.n)))
    return concat(tables)


def total(
    design: ReplicateDesign,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Totals on a replicate design (R's ``svytotal``); categorical variables by level."""
    level = check_level(ci_level)
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    tables = []
    for name in names:
        if is_categorical(design.data[name]):
            tables.append(_level_table(design, dom, name, na_rm, level, "total", "wald"))
            continue
        y = numeric_values(design, name, "total")
        rows = variable_rows(design, dom, np.isnan(y), na_rm, name)
        y0 = np.where(rows.codes >= 0, y, 0.0)
        full, reps = _totals(design, rows, [y0])
        est, rep = full[:, 0], reps[..., 0]
        v = design.replicate_variance(rep, est)
        ss = _ss(design, rows, y0, safe_div(est, rows.size))
        deff = srs_deff(v, ss, rows.size, rows.n, rows.size * rows.size)
        tables.append(tidy_table(dom, name, _result(est, np.sqrt(v), rows.df, level, deff, rows.n)))
    return concat(tables)


# ---------------------------------------------------------------------------- ratio
def ratio(
    design: ReplicateDesign,
    numerator: str | Sequence[str],
    denominator: str,
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Ratios on a replicate design (R's ``svyratio``: ratios of replicate means)."""
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
    x = numeric_values(design, den, "ratio")
    tables = []
    for name in nums:
        y = numeric_values(design, name, "ratio")
        label = f"{name}/{den}"
        rows = variable_rows(design, dom, np.isnan(y) | np.isnan(x), na_rm, label)
        inside = rows.codes >= 0
        y0, x0 = np.where(inside, y, 0.0), np.where(inside, x, 0.0)
        full, reps = _totals(design, rows, [y0, x0])
        check_denominator(full[:, 1], rows.n, dom, den)
        r = safe_div(full[:, 0], full[:, 1])
        v = design.replicate_variance(safe_div(reps[..., 0], reps[..., 1]), r)
        # R: deff(svytotal(y - r x)), the replicate variance of that total over its SRS one
        d = y0 - rows.spread(r) * x0
        dfull, dreps = _totals(design, rows, [d])
        vd = design.replicate_variance(dreps[..., 0], dfull[:, 0])
        ss = _ss(design, rows, d, safe_div(dfull[:, 0], rows.size))
        deff = srs_deff(vd, ss, rows.size, rows.n, rows.size * rows.size)
        tables.append(tidy_table(dom, label, _result(r, np.sqrt(v), rows.df, level, deff, rows.n)))
    return concat(tables)


# ---------------------------------------------------------------------------- proportion
def proportion(
    design: ReplicateDesign,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    method: str = "logit",
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Shares of every level on a replicate design (R's ``svymean`` + ``svyciprop``)."""
    level = check_level(ci_level)
    if method not in PROPORTION_METHODS:
        raise EstimationError(
            "EST007",
            f"unknown confidence interval method {method!r} for proportions",
            expected=" / ".join(m for m in PROPORTION_METHODS if m != "mean"),
            found=repr(method),
            hint="Use method='logit' (R's default), 'wald', 'beta', 'xlogit' or 'asin'.",
        )
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    return concat(
        [_level_table(design, dom, nm, na_rm, level, "proportion", method) for nm in names]
    )


def _level_table(
    design: ReplicateDesign,
    dom: Domains,
    name: str,
    na_rm: bool,
    level: float,
    kind: str,
    method: str,
) -> pd.DataFrame:
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
    counts, rep_counts = _cell_totals(design, rows.codes, lev_codes, rows.n_domains, n_lev)
    size = counts.sum(axis=1)
    p = safe_div(counts, size[:, None])
    rep_p = safe_div(rep_counts, rep_counts.sum(axis=2, keepdims=True))
    n, df = rows.n, rows.df
    if kind == "total":
        est = counts
        v = design.replicate_variance(rep_counts, counts)
    else:
        est = p
        v = design.replicate_variance(rep_p, p)
    se = np.sqrt(v)
    deff = level_deff(v, p, size, n, kind)
    if kind == "total":
        lo, hi = t_interval(est, se, df[:, None], level)
    else:
        coef = logit_se = None
        if method == "logit":
            coef = _logit_full(design, rows, lev_codes, counts, n.astype(np.float64))
            betas = _logit_refit(rep_p, coef)
            with np.errstate(invalid="ignore"):
                logit_se = np.sqrt(design.replicate_variance(betas, coef))
        lo, hi = proportion_interval(
            "wald" if method == "mean" else method,
            p,
            se,
            df[:, None],
            level,
            n_rows=n[:, None].astype(np.float64),
            logit_coef=coef,
            logit_se=logit_se,
        )
    return tidy_table(
        dom,
        name,
        dict(estimate=est, se=se, ci_low=lo, ci_high=hi, df=df, deff=deff, n=n),
        extra=("level", levels),
    )


def _cell_totals(
    design: ReplicateDesign, codes: np.ndarray, cell: np.ndarray, g: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the (domain, cell) pairs, ``(G, k)``, and of every replicate,
    ``(G, R, k)``, from the cell codes (``codes < 0``: no domain; ``cell`` is used
    where ``codes >= 0``) in one pass: the totals of the ``G k`` cells."""
    pair = codes * k
    pair += cell
    pair[codes < 0] = -1
    full, reps = design.replicate_totals(None, pair, g * k)
    return full.reshape(g, k), reps[..., 0].reshape(g, k, -1).transpose(0, 2, 1)


def _logit_full(
    design: ReplicateDesign,
    rows: DomainRows,
    lev_codes: np.ndarray,
    counts: np.ndarray,
    present: np.ndarray,
) -> np.ndarray:
    """The full-sample svyglm intercept per (domain, level): R's ``glm`` from ``mustart``."""
    g, n_lev = counts.shape
    mean_w = safe_div(rows.size, present)
    w = design.weights
    if rows.slot is None:  # one domain holding every row (no level missing)
        start_w, start_wz1, start_dev = logit_start_terms(w / mean_w[0])
        by_dom = [np.array([[a.sum()]]) for a in (start_w, start_dev)]
        wz1 = np.bincount(lev_codes, weights=start_wz1, minlength=n_lev)
    else:
        codes = rows.codes
        if rows.slot is codes:  # every row in a domain: no gathers
            dom_in, lev_in, w_in = codes, lev_codes, w
        else:
            inside = codes >= 0
            dom_in, lev_in, w_in = codes[inside], lev_codes[inside], w[inside]
        start_w, start_wz1, start_dev = logit_start_terms(w_in / mean_w[dom_in])
        by_dom = [
            np.bincount(dom_in, weights=a, minlength=g)[:, None] for a in (start_w, start_dev)
        ]
        wz1 = np.bincount(dom_in * n_lev + lev_in, weights=start_wz1, minlength=g * n_lev)
    wz1 = wz1.reshape(g, n_lev)
    s1 = counts / mean_w[:, None]
    s0 = present[:, None] - s1
    return logit_fit(
        s1,
        s0,
        np.broadcast_to(by_dom[0], s1.shape),
        2 * wz1 - wz1.sum(axis=1, keepdims=True),
        np.broadcast_to(by_dom[1], s1.shape),
    )


def _logit_refit(
    p: np.ndarray, start: np.ndarray, *, epsilon: float = 1e-8, maxit: int = 25
) -> np.ndarray:
    """R's ``glm.fit(y ~ 1, weights = w_r / sum(w_r), start = beta0)`` per replicate.

    ``p`` is ``(G, R, L)`` replicate proportions (the weights summing to 1, ``s1 = p``),
    ``start`` the ``(G, L)`` full-sample intercepts.
    """
    s1 = np.asarray(p, dtype=np.float64)
    s0 = 1.0 - s1
    st = s1 + s0
    eta = np.broadcast_to(start[:, None, :], s1.shape).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mu = _linkinv(eta)
        devold = 2 * (s1 * np.log(1 / mu) + s0 * np.log(1 / (1 - mu)))
        done = np.zeros(s1.shape, dtype=bool)
        for _ in range(maxit):
            me = _mu_eta(eta)
            coef = eta + (s1 - mu * st) / (me * st)
            coef = np.where(done, eta, coef)
            mu = _linkinv(coef)
            dev = 2 * (s1 * np.log(1 / mu) + s0 * np.log(1 / (1 - mu)))
            done = done | (np.abs(dev - devold) / (0.1 + np.abs(dev)) < epsilon)
            eta = coef
            devold = dev
            if done.all():
                break
    return eta


# ---------------------------------------------------------------------------- quantile
def quantile(
    design: ReplicateDesign,
    variables: str | Sequence[str],
    q: Sequence[float],
    *,
    by: str | Sequence[str] | None = None,
    where: Any = None,
    qrule: str = "math",
    interval: str = "mean",
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Quantiles with Woodruff intervals on a replicate design (R's ``svyquantile``).

    R's ``svyquantile`` for replicate designs (survey 4.1.1) does not pass
    ``interval.type`` on to ``woodruffCI``: the interval of the CDF is always the
    ``"mean"`` one. baicun does the same, so ``interval`` is checked but has no effect.
    """
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
        _QUANTILE_INTERVALS,
        "EST009",
        "quantile interval type",
        hint="Use interval='mean' (R's default), 'beta', 'xlogit' or 'asin'.",
    )
    probs = list(q)
    names = column_names(design, variables, "variable")
    dom = domains(design, by, where)
    g = dom.n_domains
    w = design.weights
    tables = []
    for name in names:
        y = numeric_values(design, name, "quantile")
        rows = variable_rows(design, dom, np.isnan(y), na_rm, name)
        segments = domain_segments(y, w, rows.codes, g)
        qhat = point_quantiles(qrule, segments, probs)
        lo = np.full(qhat.shape, np.nan)
        hi = np.full(qhat.shape, np.nan)
        for j in range(len(probs)):
            below = (y <= rows.spread(qhat[:, j])).astype(np.float64)
            pbar, _, v = _mean_parts(design, rows, below)
            pl, pu = t_interval(pbar, np.sqrt(v), rows.df, level)  # R: see the docstring
            lo[:, j], hi[:, j] = interval_limits(qrule, segments, pl, pu)
        stats = quantile_stats(qhat, lo, hi, rows.df, rows.n, level)
        tables.append(tidy_table(dom, name, stats, extra=("quantile", probs)))
    return concat(tables)


# ---------------------------------------------------------------------------- crosstab cells
def replicate_cells(
    design: ReplicateDesign,
    codes: np.ndarray,
    cell: np.ndarray,
    g: int,
    k: int,
    *,
    shares: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted cell counts ``(G, k)`` and the replicate covariances ``(G, k, k)`` of the
    domains' cell shares (``shares=True``, R's ``svymean(mm)`` in ``svychisq``) or totals.
    """
    full, reps = _cell_totals(design, codes, cell, g, k)
    if shares:
        theta = safe_div(full, full.sum(axis=1, keepdims=True))
        thetas = safe_div(reps, reps.sum(axis=2, keepdims=True))
    else:
        theta, thetas = full, reps
    if design.mse:
        dev = thetas - theta[:, None, :]
    else:
        dev = thetas - thetas[:, design.rscales > 0].mean(axis=1, keepdims=True)
    dev = dev * np.sqrt(design.rscales)[None, :, None]
    return full, design.scale * np.einsum("grk,grl->gkl", dev, dev)

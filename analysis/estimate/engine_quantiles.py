"""Quantiles on an :class:`~analysis.design.engines.EngineDesign`, without sorting the records.

R's ``qrule="math"`` quantile is the smallest value whose cumulative weight reaches
``p`` times the total. An engine finds it in a few passes: each pass totals the weights of
the candidate range in 1,024 bins per domain and keeps the bin where the cumulative weight
passes the target, until one bin holds few enough rows to total them by value. The
Woodruff interval needs the share of weight at or below the quantile (and its variance,
from the same unit totals as a mean) and two more searches, for the confidence limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.engines import EngineDesign, EngineDomains
from ..design.engines.sources import COUNT
from ..design.engines.terms import Term, W, accurate, col, maximum, minimum, param
from ..errors import EstimationError
from .engines import _no_na_rm, _nonempty, _numeric, _var
from .quantile_rules import quantile_stats
from .tidy import check_level, concat, safe_div, tidy_table

__all__ = ["QUANTILE_BINS", "QUANTILE_FINAL_ROWS", "quantile"]

#: Bins per refinement pass of a quantile search, and the rows a final pass may group by value.
QUANTILE_BINS = 1024
QUANTILE_FINAL_ROWS = 200_000


def _inverse_cdf(
    design: EngineDesign,
    dom: EngineDomains,
    name: str,
    weight: Term,
    p: np.ndarray,
    total: np.ndarray,
) -> np.ndarray:
    """``(G,)`` quantile ``p`` of ``name`` in each domain by R's ``qrule="math"``, without
    sorting the records (``total``: each domain's total weight, correctly rounded).

    Each pass totals the weights of the candidate range in 1,024 bins per domain (bins are
    monotone in the value) and keeps the bin where the cumulative weight passes
    ``p * total``; when that bin holds few rows, one last pass totals its rows by value.
    The first pass finds each domain's smallest and largest values: 3-4 passes in all.
    Weights are totalled correctly rounded and cumulated in extended precision, as
    :func:`~analysis.estimate.quantile_rules.cumulative_weights` does, so that exact hits
    (``cum == p * total``, common with equal weights) go the same way.
    """
    g = dom.n_domains
    y = col(name)
    ends = design.reduce(dom, {"lo": minimum(y), "hi": maximum(y)}, present=[name], units=False)
    lo = np.full(g, np.inf)
    hi = np.full(g, np.inf)
    lo[ends.domain] = ends.column("lo")
    hi[ends.domain] = ends.column("hi")
    smallest = lo.copy()
    target = p * total
    result = np.full(g, np.nan)
    active = np.isfinite(target) & np.isfinite(lo)
    exact = np.zeros(g, dtype=bool)
    for _ in range(16):
        if not active.any():
            break
        with np.errstate(invalid="ignore"):
            width = np.where(exact, 0.0, (hi - lo) / QUANTILE_BINS)
        params = {
            "lo": np.where(active, lo, np.inf),
            "hi": np.where(active, hi, np.inf),
            "width": np.where(active, width, 0.0),
        }
        key = {"bin": y.bin(param("lo"), param("hi"), param("width"), QUANTILE_BINS)}
        terms = {"w": accurate(weight), "lo": minimum(y), "hi": maximum(y)}
        red = design.reduce(dom, terms, present=[name], params=params, units=False, key_terms=key)
        frame = red.frame.assign(__dom=red.domain).sort_values(["__dom", "bin"])
        for d, part in frame.groupby("__dom", sort=False):
            if not active[d]:
                continue
            inside = part[np.isfinite(part["bin"].to_numpy())]
            under = np.longdouble(part.loc[part["bin"] == -np.inf, "w"].sum())
            cum = (under + np.cumsum(inside["w"].to_numpy(dtype=np.longdouble))).astype(float)
            k = int(np.searchsorted(cum, target[d], side="right"))  # bins with cum <= target
            if k > 0 and p[d] - cum[k - 1] / total[d] == 0:  # an exact hit: R keeps that value
                result[d] = inside["hi"].iloc[k - 1]
                active[d] = False
                continue
            k = min(k, len(inside) - 1)
            if exact[d] or inside["lo"].iloc[k] == inside["hi"].iloc[k]:
                result[d] = inside["lo"].iloc[k]
                active[d] = False
                continue
            lo[d], hi[d] = inside["lo"].iloc[k], inside["hi"].iloc[k]
            exact[d] = inside[COUNT].iloc[k] <= QUANTILE_FINAL_ROWS
    return _second_value_rule(design, dom, name, weight, target, result, smallest)


def _second_value_rule(design, dom, name, weight, target, result, smallest):
    """R's ``qrule_math`` returns the *second* row's value when the target is below the
    first row's weight: for a smallest value held by one row, that is the next value."""
    first = np.isfinite(result) & (result == smallest)
    if not first.any():
        return result
    y = col(name)
    at = np.where(first, smallest, np.inf)
    key = {"bin": y.bin(param("lo"), param("hi"), param("width"), 1)}
    params = {"lo": at, "hi": at, "width": np.zeros_like(at)}
    terms = {"w": accurate(weight), "next": minimum(y)}
    red = design.reduce(dom, terms, present=[name], params=params, units=False, key_terms=key)
    frame = red.frame.assign(__dom=red.domain)
    for d in np.flatnonzero(first):
        rows = frame[frame["__dom"] == d]
        one = rows[rows["bin"] == smallest[d]]
        above = rows[rows["bin"] == np.inf]
        alone = len(one) and one[COUNT].iloc[0] == 1 and one["w"].iloc[0] > target[d]
        if alone and len(above):
            result[d] = above["next"].iloc[0]
    return result


def quantile(
    design: EngineDesign,
    variables: str | Sequence[str],
    q: float | Sequence[float] = 0.5,
    *,
    by: Any = None,
    where: Any = None,
    qrule: str = "math",
    interval: str = "mean",
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`analysis.estimate.quantile` on an engine design (``qrule="math"``).

    Per probability: a search for the quantile (:func:`_inverse_cdf`, 3-4 passes), two
    passes for the share of weight at or below it (the Woodruff variance), and searches
    for the two confidence limits.
    """
    from .estimators import _probabilities, _woodruff_probabilities

    level = check_level(ci_level)
    _no_na_rm(na_rm)
    if qrule != "math":
        raise EstimationError(
            "EST542",
            f"a design over an engine computes quantiles with qrule='math', not {qrule!r}",
            expected="qrule='math'",
            found=repr(qrule),
            hint="Use qrule='math' (R's default), or read the data into a SurveyDesign.",
        )
    probs = _probabilities(q)
    names = design.check_columns(variables, "variable")
    dom = design.domains(by, where)
    g = dom.n_domains
    one = Term("num", (1.0,))
    w_r = one / (one / W)  # R stores 1/w and works with 1/(1/w)
    tables = []
    for name in names:
        _numeric(design, name, "quantile")
        y = col(name)
        sizes = design.reduce(dom, {"w": accurate(w_r)}, present=[name], units=False)
        _nonempty(sizes, name)
        total_r = sizes.by_domain(sizes.column("w"))
        first = design.reduce(dom, {"w": W, "wy": W * y}, present=[name])
        size = first.by_domain(first.column("w"))
        n, df = design.domain_sizes(first)
        present = n.astype(np.float64)
        qhat = np.full((g, len(probs)), np.nan)
        lo = np.full(qhat.shape, np.nan)
        hi = np.full(qhat.shape, np.nan)
        for j, p in enumerate(probs):
            qhat[:, j] = _inverse_cdf(design, dom, name, w_r, np.full(g, p), total_r)
            below = y.below(param("q"))
            share = design.reduce(dom, {"wb": W * below}, present=[name], params={"q": qhat[:, j]})
            pbar = safe_div(share.by_domain(share.column("wb")), size)
            e = below - param("c")
            cen = design.reduce(
                dom, {"we": W * e}, present=[name], params={"q": qhat[:, j], "c": pbar}
            )
            se_p = np.sqrt(safe_div(_var(design, cen, cen.column("we")), size * size))
            pl, pu = _woodruff_probabilities(interval, pbar, se_p, df, level, present)
            ok_l = ~(np.isnan(pl) | (pl < 0))
            ok_u = ~(np.isnan(pu) | (pu > 1))
            limit_l = _inverse_cdf(design, dom, name, w_r, np.where(ok_l, pl, np.nan), total_r)
            limit_u = _inverse_cdf(design, dom, name, w_r, np.where(ok_u, pu, np.nan), total_r)
            lo[:, j] = np.where(ok_l, limit_l, np.nan)
            hi[:, j] = np.where(ok_u, limit_u, np.nan)
        stats = quantile_stats(qhat, lo, hi, df, n, level)
        tables.append(tidy_table(dom, name, stats, extra=("quantile", probs)))
    return concat(tables)

"""Weighted quantile rules of R's ``svyquantile`` (survey >= 4.1) and Woodruff intervals.

A rule maps sorted values with weights to the ``p``-th quantile:

* ``"math"`` (R's default ``qrule="math"``): the smallest value whose cumulative
  weight share reaches ``p`` (R's ``qrule_math``, including its handling of a ``p``
  below the first weight share, which returns the second value as R does);
* ``"school"``: as ``"math"``, but the midpoint of the two neighbouring values when
  the share is hit exactly;
* ``"hf7"``: linear interpolation, R's ``qrule_hf7`` (type 7 of ``quantile()``).

Cumulative weights are summed in extended precision, as R's ``cumsum`` does, so
that the ``cumw <= p * sum(w)`` comparisons give R's answer on exact ties.

Examples
--------
>>> import numpy as np
>>> x = np.array([1.0, 2.0, 3.0, 4.0])
>>> w = np.array([1.0, 1.0, 1.0, 1.0])
>>> cum, total = cumulative_weights(w)
>>> [apply_rule("math", x, cum, total, p) for p in (0.25, 0.5, 0.6)]
[1.0, 2.0, 3.0]
>>> apply_rule("school", x, cum, total, 0.5), apply_rule("hf7", x, cum, total, 0.5)
(2.5, 2.5)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "QUANTILE_RULES",
    "apply_rule",
    "cumulative_weights",
    "domain_segments",
    "interval_limits",
    "point_quantiles",
    "quantile_stats",
]

QUANTILE_RULES = ("math", "school", "hf7")


def cumulative_weights(w: np.ndarray) -> tuple[np.ndarray, float]:
    """R's ``cumsum(w)`` and ``sum(w)`` (long-double accumulation, rounded to double)."""
    cum = np.cumsum(np.asarray(w, dtype=np.longdouble)).astype(np.float64)
    return cum, float(cum[-1]) if cum.size else 0.0


def apply_rule(rule: str, x: np.ndarray, cum: np.ndarray, total: float, p: float) -> float:
    """The ``p``-th quantile of sorted ``x`` with cumulative weights ``cum``.

    Parameters
    ----------
    rule : {"math", "school", "hf7"}
    x : numpy.ndarray
        Values sorted increasingly (ties in row order), zero weights removed.
    cum : numpy.ndarray
        Cumulative weights of ``x`` (:func:`cumulative_weights`).
    total : float
        Sum of the weights.
    p : float
        Probability in [0, 1].

    Returns
    -------
    float
    """
    n = x.size
    if n == 0 or np.isnan(p):
        return float("nan")
    if rule == "hf7":
        if n == 1:
            return float(x[0])
        pk = np.concatenate(([0.0], cum[:-1])) / cum[n - 2]
        return _approx_linear(pk, x, p)
    k = int(np.searchsorted(cum, p * total, side="right"))  # how many cum <= p * total
    pos = k if k >= 1 else 1  # R's `last()` returns 1 when none is true
    posnext = pos if pos == n else pos + 1
    wlow = p - cum[pos - 1] / total
    if wlow == 0:
        if rule == "school":
            return float((x[pos - 1] + x[posnext - 1]) / 2)
        return float(x[pos - 1])
    return float(x[posnext - 1])


def _approx_linear(xp: np.ndarray, yp: np.ndarray, v: float) -> float:
    """R's ``approx(xp, yp, v, rule = 2)`` for increasing ``xp`` (C ``approx1``)."""
    n = xp.size
    if v <= xp[0]:
        return float(yp[0])
    if v >= xp[n - 1]:
        return float(yp[n - 1])
    i, j = 0, n - 1
    while i < j - 1:
        ij = (i + j) // 2
        if v < xp[ij]:
            j = ij
        else:
            i = ij
    if v == xp[j]:
        return float(yp[j])
    if v == xp[i]:
        return float(yp[i])
    return float(yp[i] + (yp[j] - yp[i]) * ((v - xp[i]) / (xp[j] - xp[i])))


def domain_segments(
    y: np.ndarray, w: np.ndarray, codes: np.ndarray, n_domains: int
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Each domain's values sorted (ties in row order, as R's ``order()``) with their weights.

    Rows with a weight of 0 or outside every domain (code ``-1``) are left out.

    Returns
    -------
    list of (values, cumulative weights, total)
        One entry per domain, for :func:`apply_rule`.

    Examples
    --------
    >>> segs = domain_segments(np.array([3.0, 1.0, 2.0]), np.ones(3), np.array([0, 0, 1]), 2)
    >>> [list(map(float, xs)) for xs, _, _ in segs]
    [[1.0, 3.0], [2.0]]
    """
    usable = np.flatnonzero((codes >= 0) & (w != 0))
    order = usable[np.argsort(y[usable], kind="stable")]
    dcode = codes[order].astype(np.int16 if n_domains < 32768 else np.int64)
    order = order[np.argsort(dcode, kind="stable")]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(codes[order], minlength=n_domains))))
    segments = []
    for d in range(n_domains):
        seg = order[bounds[d] : bounds[d + 1]]
        cum, tot = cumulative_weights(w[seg])
        segments.append((y[seg], cum, tot))
    return segments


def point_quantiles(qrule: str, segments: list, probs: list[float]) -> np.ndarray:
    """``(G, len(probs))`` quantiles of each domain's segment under ``qrule``."""
    return np.array(
        [[apply_rule(qrule, xs, cum, tot, p) for p in probs] for xs, cum, tot in segments]
    ).reshape(len(segments), len(probs))


def interval_limits(
    qrule: str, segments: list, p_low: np.ndarray, p_high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The quantiles at the ends of each domain's CDF interval (Woodruff's limits).

    An end outside [0, 1] or missing gives NaN, as R does.
    """
    lo = np.full(len(segments), np.nan)
    hi = np.full(len(segments), np.nan)
    for d, (xs, cum, tot) in enumerate(segments):
        if not (np.isnan(p_low[d]) or p_low[d] < 0):
            lo[d] = apply_rule(qrule, xs, cum, tot, float(p_low[d]))
        if not (np.isnan(p_high[d]) or p_high[d] > 1):
            hi[d] = apply_rule(qrule, xs, cum, tot, float(p_high[d]))
    return lo, hi


def quantile_stats(qhat, lo, hi, df, n, level: float) -> dict:
    """The tidy statistics of quantiles: the SE is the interval's width over ``2 t(df)``."""
    from .intervals import t_quantile

    crit = t_quantile(1 - (1 - level) / 2, df)[:, None]
    return dict(
        estimate=qhat,
        se=(hi - lo) / (2 * crit),
        ci_low=lo,
        ci_high=hi,
        df=df,
        deff=np.full(qhat.shape, np.nan),
        n=n,
    )

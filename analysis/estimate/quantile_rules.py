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

__all__ = ["QUANTILE_RULES", "apply_rule", "cumulative_weights"]

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

"""Confidence intervals for design-based estimates, computed as R's survey package does.

* :func:`t_interval`: estimate +- t(df) x SE, R's ``confint(..., df=degf(design))``.
* :func:`proportion_interval`: R's ``svyciprop`` methods ``"logit"`` (the default;
  R fits ``svyglm(y ~ 1, family=quasibinomial)``), ``"wald"`` (R's ``"mean"``),
  ``"beta"``, ``"xlogit"``, ``"asin"`` and ``"likelihood"`` (R's profile of the
  svyglm deviance, in :mod:`~analysis.estimate.profile`).
* :func:`logit_fit`: R's ``glm.fit`` iterations for an intercept-only logistic
  model, reproduced step by step so that the logit interval matches R to the
  last digits (R stops at a deviance tolerance of 1e-8, so its intercept differs
  from the exact logit of the proportion around the 9th digit).

Examples
--------
>>> lo, hi = t_interval(10.0, 2.0, 20, 0.95)
>>> round(float(lo), 6), round(float(hi), 6)
(5.828073, 14.171927)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "PROPORTION_METHODS",
    "expit",
    "logit_fit",
    "proportion_interval",
    "t_interval",
    "t_quantile",
]

#: CI methods of :func:`proportion_interval`; ``"mean"`` is R's name for ``"wald"``.
PROPORTION_METHODS = ("logit", "wald", "mean", "beta", "xlogit", "asin", "likelihood")

_THRESH = 30.0
_SPECIAL: list[Any] = []


def _special() -> Any:
    """``scipy.special``, imported on first use (it costs ~0.1 s at start-up)."""
    if not _SPECIAL:
        from scipy import special

        _SPECIAL.append(special)
    return _SPECIAL[0]


_EPS = np.finfo(np.float64).eps


def t_quantile(p: float | np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """R's ``qt(p, df)``: NaN for ``df <= 0``, the normal quantile for ``df = inf``.

    ``scipy.special.stdtrit`` gives the same numbers as ``scipy.stats.t.ppf`` (which calls
    it) without importing ``scipy.stats``, which would take most of a second at start-up;
    ``scipy.special`` itself is imported on the first call.
    """
    df = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = _special().stdtrit(np.where(df > 0, df, np.nan), p)
    return np.asarray(out, dtype=np.float64)


def t_interval(estimate, se, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``estimate + se * qt(c(a, 1 - a), df)`` with ``a = (1 - level) / 2`` (R's ``tconfint``).

    Examples
    --------
    >>> lo, hi = t_interval([0.5], [0.1], [10], 0.9)
    >>> [round(float(x), 6) for x in (lo[0], hi[0])]
    [0.318754, 0.681246]
    """
    a = (1 - level) / 2
    est = np.asarray(estimate, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    return est + se * t_quantile(a, df), est + se * t_quantile(1 - a, df)


def expit(eta):
    """R's ``survey:::expit``: ``exp(eta) / (1 + exp(eta))``."""
    e = np.exp(eta)
    return e / (1 + e)


def _linkinv(eta: np.ndarray) -> np.ndarray:
    """R's binomial ``linkinv`` (C code, with its thresholds)."""
    eta = np.asarray(eta, dtype=np.float64)
    with np.errstate(over="ignore"):
        e = np.where(eta < -_THRESH, _EPS, np.where(eta > _THRESH, 1 / _EPS, np.exp(eta)))
    return e / (1 + e)


def _mu_eta(eta: np.ndarray) -> np.ndarray:
    """R's binomial ``mu.eta`` (C code, with its thresholds)."""
    eta = np.asarray(eta, dtype=np.float64)
    with np.errstate(over="ignore"):
        opexp = 1 + np.exp(eta)
        out = np.exp(eta) / (opexp * opexp)
    return np.where((eta > _THRESH) | (eta < -_THRESH), _EPS, out)


def logit_start_terms(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row terms of R's first IRLS iteration for an intercept-only logistic fit.

    R starts from ``mustart = (t * y + 0.5) / (t + 1)`` (binomial ``initialize``).
    For a 0/1 response the terms of a row with ``y = 0`` mirror those with
    ``y = 1``, so one set of terms serves both (closed forms of R's
    ``linkfun``/``linkinv``/``mu.eta``/``dev.resids``, equal up to rounding).

    Parameters
    ----------
    t : numpy.ndarray
        Rescaled prior weights (R's svyglm uses ``w / mean(w)``).

    Returns
    -------
    (W, Wz1, dev) : tuple of numpy.ndarray
        Working weight; working weight x working response of a ``y = 1`` row (a
        ``y = 0`` row has ``-Wz1``); the row's deviance at the starting values (the
        same for both responses). R's thresholds at ``|eta| > 30`` would only matter
        for a weight 5e12 times the mean weight.

    Examples
    --------
    >>> import numpy as np
    >>> w, wz, dev = logit_start_terms(np.array([1.0]))
    >>> mustart = 1.5 / 2  # R: (t * 1 + 0.5) / (t + 1)
    >>> eta = np.log(mustart / (1 - mustart))
    >>> me = np.exp(eta) / (1 + np.exp(eta)) ** 2
    >>> bool(np.isclose(w[0], me)), bool(np.isclose(wz[0], me * (eta + (1 - mustart) / me)))
    (True, True)
    """
    t = np.asarray(t, dtype=np.float64)
    two = t * 2.0
    two += 1.0  # 2t + 1
    a = two + 1.0  # 2t + 2
    w = np.multiply(a, a)
    np.divide(two, w, out=w)  # mu.eta = mu (1 - mu) = (2t + 1) / (2t + 2)^2 at the start
    w *= t  # working weight t * mu.eta^2 / var = t * mu.eta
    np.divide(a, two, out=a)  # 1 / mu = (2t + 2) / (2t + 1) for y = 1
    wz1 = np.log(two)  # logit(mustart) of a y = 1 row; y = 0 rows have the opposite
    wz1 += a  # working response eta + (1 - mu) / mu.eta
    wz1 *= w
    del a
    dev = np.reciprocal(two, out=two)
    np.log1p(dev, out=dev)  # log(1 / mu) = log(1 / (1 - mu0))
    dev *= t
    dev *= 2.0
    return w, wz1, dev


def logit_fit(
    s1: np.ndarray,
    s0: np.ndarray,
    start_w: np.ndarray,
    start_wz: np.ndarray,
    start_dev: np.ndarray,
    *,
    epsilon: float = 1e-8,
    maxit: int = 25,
    weights_used: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """R's ``glm.fit`` for ``y ~ 1`` with a logit link, vectorised over cells.

    Parameters
    ----------
    s1, s0 : numpy.ndarray
        Sums of the rescaled weights of rows with ``y = 1`` and ``y = 0``.
    start_w, start_wz, start_dev : numpy.ndarray
        Sums over the rows of :func:`logit_start_terms` (first iteration).
    epsilon, maxit : float, int
        R's ``glm.control`` defaults.
    weights_used : bool
        Also return the sum of the working weights of the last iteration (computed
        from the previous iterate, as R's ``qr``), whose inverse is ``summary.glm``'s
        ``cov.unscaled``.

    Returns
    -------
    numpy.ndarray
        The fitted intercept (logit scale) of each cell, as R returns it (and the
        working-weight sums with ``weights_used``).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([1.0, 1.0, 1.0, 1.0])  # three rows with y = 1, one with y = 0
    >>> w, wz, dev = logit_start_terms(t)
    >>> b = logit_fit(np.array([3.0]), np.array([1.0]), np.array([w.sum()]),
    ...               np.array([wz[:3].sum() - wz[3]]), np.array([dev.sum()]))
    >>> round(float(b[0]), 8), round(float(np.log(3)), 8)
    (1.09861229, 1.09861229)
    """
    s1 = np.asarray(s1, dtype=np.float64)
    s0 = np.asarray(s0, dtype=np.float64)
    devold = np.asarray(start_dev, dtype=np.float64).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = start_wz / start_w
    done = np.zeros(coef.shape, dtype=bool)
    st = s1 + s0
    used = np.array(start_w, dtype=np.float64, copy=True)
    for it in range(1, maxit + 1):
        if it > 1:
            eta = coef
            mu = _linkinv(eta)
            me = _mu_eta(eta)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = eta + (s1 - mu * st) / (me * st)
            coef = np.where(done, coef, step)
            used = np.where(done, used, me * me / (mu * (1 - mu)) * st)
        mu = _linkinv(coef)
        with np.errstate(divide="ignore"):
            dev = 2 * (s1 * np.log(1 / mu) + s0 * np.log(1 / (1 - mu)))
        converged = np.abs(dev - devold) / (0.1 + np.abs(dev)) < epsilon
        done = done | converged
        if done.all():
            break
        devold = np.where(done, devold, dev)
    return (coef, used) if weights_used else coef


def proportion_interval(
    method: str,
    p: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    level: float,
    *,
    n_rows: np.ndarray | None = None,
    logit_coef: np.ndarray | None = None,
    logit_se: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of a proportion by one of R's ``svyciprop`` methods.

    Parameters
    ----------
    method : {"logit", "wald", "mean", "beta", "xlogit", "asin"}
        R's method name (``"wald"`` is R's ``"mean"``).
    p, se : numpy.ndarray
        Estimated proportions and their standard errors.
    df : numpy.ndarray
        Design degrees of freedom (broadcast against ``p``).
    level : float
        Confidence level.
    n_rows : numpy.ndarray, optional
        Rows of the (domain) design, for ``"beta"`` (R's ``nrow(design)``).
    logit_coef, logit_se : numpy.ndarray, optional
        R's svyglm intercept and its SE, for ``"logit"``.

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        Where the proportion is 0 or 1 (no variance), every method returns the
        degenerate interval ``[p, p]`` (R gives NaN or a non-converged fit there).

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = proportion_interval("xlogit", np.array([0.2]), np.array([0.05]),
    ...                              np.array([30]), 0.95)
    >>> round(float(lo[0]), 6), round(float(hi[0]), 6)
    (0.116654, 0.321239)
    """
    p = np.asarray(p, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    df = np.broadcast_to(np.asarray(df, dtype=np.float64), p.shape)
    a = (1 - level) / 2
    special = _special()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method in ("wald", "mean"):
            lo, hi = t_interval(p, se, df, level)
        elif method == "xlogit":
            eta = np.log(p / (1 - p))
            se_eta = se / (p * (1 - p))
            lo, hi = t_interval(eta, se_eta, df, level)
            lo, hi = expit(lo), expit(hi)
        elif method == "asin":
            eta = np.arcsin(np.sqrt(p))
            se_eta = se * 0.5 / (np.sqrt(p) * np.sqrt(1 - p))
            lo, hi = t_interval(eta, se_eta, df, level)
            lo, hi = np.sin(lo) ** 2, np.sin(hi) ** 2
        elif method == "beta":
            alpha = 1 - level
            n_eff = p * (1 - p) / (se * se)
            nr = np.broadcast_to(np.asarray(n_rows, dtype=np.float64), p.shape)
            n_eff = n_eff * (t_quantile(alpha / 2, nr - 1) / t_quantile(alpha / 2, df)) ** 2
            lo = special.betaincinv(n_eff * p, n_eff * (1 - p) + 1, alpha / 2)
            hi = special.betaincinv(n_eff * p + 1, n_eff * (1 - p), 1 - alpha / 2)
        elif method == "logit":
            # R: confint.svyglm(method="Wald", ddf=df) on the svyglm intercept
            tlevel = 1 - 2 * special.ndtr(t_quantile(a, df))
            a2 = (1 - tlevel) / 2
            lo = expit(logit_coef + logit_se * special.ndtri(a2))
            hi = expit(logit_coef + logit_se * special.ndtri(1 - a2))
            bad = ~(df > 0)
            lo = np.where(bad, np.nan, lo)
            hi = np.where(bad, np.nan, hi)
        else:  # pragma: no cover - validated by callers
            raise ValueError(method)
    degenerate = (p == 0) | (p == 1)
    lo = np.where(degenerate, p, lo)
    hi = np.where(degenerate, p, hi)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)

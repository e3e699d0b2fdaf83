"""Regression on replicate-weight designs: the model is refitted with every replicate.

R's ``svyglm`` for ``svyrep.design`` objects fits the model with the full-sample
weights, then refits it once per replicate with ``glm.fit(weights = w_r / sum(w_r),
start = beta)``; the covariance of the coefficients is ``svrVar`` of the replicate
coefficients. :func:`replicate_coefficient_cov` does the same, following ``glm.fit``'s
iterations and deviance test so that the numbers agree with R to rounding error.

Examples
--------
>>> import numpy as np
>>> X = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
>>> y = np.array([1.0, 2.5, 2.9, 4.2])
>>> b = _refit(X, y, np.full(4, 0.25), np.zeros(2), "gaussian")
>>> [round(float(v), 6) for v in b]
[0.15, 1.0]
"""

from __future__ import annotations

import numpy as np

from ..design.replicate import ReplicateDesign
from ..estimate.intervals import _linkinv, _mu_eta

__all__ = ["replicate_coefficient_cov"]

_EPSILON = 1e-8
_MAXIT = 25
_DBL_EPS = np.finfo(np.float64).eps


def _family_parts(family: str):
    if family == "binomial":

        def dev(y, mu, t):
            with np.errstate(divide="ignore", invalid="ignore"):
                a = np.where(y > 0, y * np.log(y / mu), 0.0)
                b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
            return float(np.sum(2 * t * (a + b)))

        return _linkinv, _mu_eta, lambda mu: mu * (1 - mu), dev
    if family == "poisson":

        def linkinv(eta):
            return np.maximum(np.exp(eta), _DBL_EPS)

        def dev(y, mu, t):
            with np.errstate(divide="ignore", invalid="ignore"):
                a = np.where(y > 0, y * np.log(y / mu), 0.0)
            return float(np.sum(2 * t * (a - (y - mu))))

        return linkinv, linkinv, lambda mu: mu, dev
    return (
        lambda eta: eta,
        lambda eta: np.ones_like(eta),
        lambda mu: np.ones_like(mu),
        lambda y, mu, t: float(np.sum(t * (y - mu) ** 2)),
    )


def _refit(X: np.ndarray, y: np.ndarray, t: np.ndarray, start: np.ndarray, family: str):
    """R's ``glm.fit(X, y, weights = t, start = start)`` coefficients."""
    linkinv, mu_eta, variance, dev_of = _family_parts(family)
    good = t > 0
    Xg, yg, tg = X[good], y[good], t[good]
    eta = Xg @ start
    mu = linkinv(eta)
    devold = dev_of(yg, mu, tg)
    coef = start
    for _ in range(_MAXIT):
        me = mu_eta(eta)
        z = eta + (yg - mu) / me
        w = np.sqrt(tg * me * me / variance(mu))
        coef, *_ = np.linalg.lstsq(Xg * w[:, None], z * w, rcond=None)
        eta = Xg @ coef
        mu = linkinv(eta)
        dev = dev_of(yg, mu, tg)
        if abs(dev - devold) / (abs(dev) + 0.1) < _EPSILON:
            break
        devold = dev
    return coef


def replicate_coefficient_cov(
    design: ReplicateDesign,
    X: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    beta: np.ndarray,
    family: str,
) -> np.ndarray:
    """Covariance of the coefficients from one refit per replicate (R's ``svyglm``).

    Parameters
    ----------
    design : ReplicateDesign
    X, y : numpy.ndarray
        Model matrix and response of the rows used.
    rows : numpy.ndarray
        Positions of those rows in the design.
    beta : numpy.ndarray
        Full-sample coefficients (the start of every refit).
    family : {"gaussian", "binomial", "poisson"}

    Returns
    -------
    numpy.ndarray
        ``(p, p)``.
    """
    weights = design.replicate_rows(rows)
    betas = np.empty((weights.shape[1], beta.size))
    for r in range(weights.shape[1]):
        wr = weights[:, r]
        betas[r] = _refit(X, y, wr / wr.sum(), beta, family)
    if design.mse:
        dev = betas - beta
    else:
        dev = betas - betas[design.rscales > 0].mean(axis=0)
    dev = dev * np.sqrt(design.rscales)[:, None]
    return design.scale * (dev.T @ dev)

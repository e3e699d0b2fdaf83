"""R's ``svyciprop(method="likelihood")``: a profile-likelihood interval for a proportion.

R fits ``svyglm(y ~ 1, family=quasibinomial)`` and calls ``confint(fit,
method="likelihood")``: it profiles the deviance of the intercept-only fit on a grid of
intercepts (steps of a fifth of the profile's reach, in design SEs, up to nine each
way), turns it into signed roots ``z`` (scaled by the svyglm dispersion), passes an
FMM cubic spline (R's ``spline()``) through ``(intercept, z)``, and reads the
intercepts where ``z`` crosses the cutoffs by linear interpolation of the spline's
points (R's ``approx()``). The cutoffs are ``t(df) x sqrt(lambda)``, ``lambda`` being the
ratio of the design variance of the intercept to its model-based variance, so the
interval is as wide as the design says, with the likelihood's asymmetry.

Everything is reproduced step by step so that the intervals agree with R to ~1e-10:
the spline of Forsythe, Malcolm and Moler (``fmm``) and R's evenly spaced output points.

Examples
--------
>>> import numpy as np
>>> x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
>>> xs, ys = r_spline(x, x ** 3, 5)
>>> [round(float(v), 10) for v in ys]  # the FMM spline reproduces a cubic
[0.0, 1.0, 8.0, 27.0, 64.0]
>>> float(r_approx(np.array([0.0, 1.0]), np.array([10.0, 20.0]), 0.25))
12.5
"""

from __future__ import annotations

import numpy as np

__all__ = ["fmm_spline", "likelihood_interval", "r_approx", "r_spline"]

_MAXSTEPS = 10  # MASS profile.glm's maxsteps (R's survey copy)


def fmm_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients ``b, c, d`` of the FMM cubic spline through ``(x, y)`` (sorted ``x``).

    The end conditions match the third derivatives of the cubics through the first and
    last four points (Forsythe, Malcolm and Moler 1977), R's ``spline(method="fmm")``.
    On ``[x[i], x[i+1]]`` the spline is ``y[i] + h (b[i] + h (c[i] + h d[i]))``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 3:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
        return b, c, d
    last = n - 1
    # tridiagonal system: b diagonal, d off-diagonal, c right-hand side
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, last):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[last] = -d[last - 1]
    c[0] = c[last] = 0.0
    if n > 3:
        c0 = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        cn = c[last - 1] / (x[last] - x[last - 2]) - c[last - 2] / (x[last - 1] - x[last - 3])
        c[0] = c0 * d[0] * d[0] / (x[3] - x[0])
        c[last] = -cn * d[last - 1] * d[last - 1] / (x[last] - x[last - 3])
    for i in range(1, n):  # elimination
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[last] = c[last] / b[last]  # back substitution
    for i in range(last - 1, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[last] = (y[last] - y[last - 1]) / d[last - 1] + d[last - 1] * (c[last - 1] + 2.0 * c[last])
    for i in range(last):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[last] = 3.0 * c[last]
    d[last] = d[last - 1]
    return b, c, d


def _spline_eval(x, y, b, c, d, u: np.ndarray) -> np.ndarray:
    n = x.size
    out = np.empty(u.size)
    i = 0
    for k, ul in enumerate(u):
        if ul < x[i] or (i < n - 1 and x[i + 1] < ul):
            i, j = 0, n
            while j > i + 1:
                m = (i + j) // 2
                if ul < x[m]:
                    j = m
                else:
                    i = m
        h = ul - x[i]
        out[k] = y[i] + h * (b[i] + h * (c[i] + h * d[i]))
    return out


def _seq(start: float, stop: float, n: int) -> np.ndarray:
    """R's ``seq.int(start, stop, length.out=n)`` (exact ends, halves from each end)."""
    out = np.empty(n)
    out[0] = start
    if n > 1:
        out[-1] = stop
    if n > 2:
        by = (stop - start) / (n - 1)
        for i in range(1, n - 1):
            out[i] = start + i * by if i < n // 2 else stop - (n - 1 - i) * by
    return out


def r_spline(x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """R's ``spline(x, y, n)`` (method ``"fmm"``): ``n`` evenly spaced points of the spline."""
    order = np.argsort(x, kind="stable")
    xs, ys = np.asarray(x, dtype=np.float64)[order], np.asarray(y, dtype=np.float64)[order]
    b, c, d = fmm_spline(xs, ys)
    u = _seq(float(xs[0]), float(xs[-1]), n)
    return u, _spline_eval(xs, ys, b, c, d, u)


def r_approx(x: np.ndarray, y: np.ndarray, v: float) -> float:
    """R's ``approx(x, y, xout=v)`` (linear, NA outside, ties averaged)."""
    xs, inverse = np.unique(np.asarray(x, dtype=np.float64), return_inverse=True)
    ys = np.bincount(inverse, weights=np.asarray(y, dtype=np.float64)) / np.bincount(inverse)
    if xs.size == 0 or not xs[0] <= v <= xs[-1]:
        return float("nan")
    i, j = 0, xs.size - 1
    while i < j - 1:
        m = (i + j) // 2
        if v < xs[m]:
            j = m
        else:
            i = m
    if v == xs[j]:
        return float(ys[j])
    if v == xs[i]:
        return float(ys[i])
    return float(ys[i] + (ys[j] - ys[i]) * ((v - xs[i]) / (xs[j] - xs[i])))


def _deviance(eta: float, s1: float, s0: float) -> float:
    mu = 1.0 / (1.0 + np.exp(-eta))
    return 2.0 * (s1 * np.log(1.0 / mu) + s0 * np.log(1.0 / (1.0 - mu)))


def likelihood_interval(
    coef: float,
    se: float,
    weights_used: float,
    s1: float,
    s0: float,
    dispersion: float,
    n_rows: float,
    df: float,
    level: float,
) -> tuple[float, float]:
    """The profile-likelihood interval of a proportion (R's ``svyciprop`` ``"likelihood"``).

    Parameters
    ----------
    coef, se : float
        The svyglm intercept and its design-based SE (logit scale).
    weights_used : float
        Sum of the working weights of the fit's last iteration (R's ``naive.cov`` is its
        inverse).
    s1, s0 : float
        Sums of the rescaled weights (``w / mean(w)``) of the rows with ``y = 1`` and 0.
    dispersion : float
        R's ``summary.svyglm`` dispersion: ``svyvar`` of the Pearson residuals.
    n_rows : float
        Rows of the fit (R's ``NROW(Y)``).
    df : float
        Degrees of freedom (``degf`` of the domain).
    level : float
        Confidence level.

    Returns
    -------
    (low, high) : tuple of float
        On the proportion scale; NaN with ``df <= 0`` (R stops there).
    """
    from scipy import special  # imported on first use: `import analysis` stays light

    if not df > 0 or not np.isfinite(coef) or not se > 0:
        return float("nan"), float("nan")
    lam = se * se * weights_used
    alpha = float(special.ndtr(special.stdtrit(df, (1 - level) / 2) * np.sqrt(lam)) / 2)
    # R: sqrt(qf(alpha, 1, n - 1, lower.tail=FALSE)), which is |qt(alpha / 2, n - 1)|
    # (computed in the lower tail: alpha can be ~1e-12 when the design effect is large)
    zmax = float(-special.stdtrit(n_rows - 1.0, alpha / 2))
    step_size = zmax / 5 * se
    dev0 = _deviance(coef, s1, s0)
    points = [(coef, 0.0)]
    for sign in (-1.0, 1.0):
        step, z = 0, 0.0
        while True:
            step += 1
            if not (step < _MAXSTEPS and abs(z) < zmax):
                break
            bi = coef + sign * step * step_size
            zz = (_deviance(bi, s1, s0) - dev0) / dispersion
            z = sign * np.sqrt(max(zz, 0.0))
            points.append((bi, z))
    pts = sorted(points, key=lambda t: t[1])
    par = np.array([p[0] for p in pts])
    zs = np.array([p[1] for p in pts])
    sx, sy = r_spline(par, zs, 3 * par.size)
    cut = float(special.ndtri(2 * alpha))
    lo = r_approx(sy, sx, cut)
    hi = r_approx(sy, sx, -cut)
    return float(special.expit(lo)), float(special.expit(hi))

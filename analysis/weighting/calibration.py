"""Calibration to known population totals (GREG), as R's ``calibrate``.

The weights are changed as little as possible (in R's linear or raking distance)
so that the weighted totals of the model-matrix columns of ``formula`` equal the
population totals: ``~ county + members`` calibrates to the number of households
per county and the total number of household members. The returned design's
standard errors use the residuals of the influence values from the weighted
regression on those columns (R's ``greg_calibration`` variance).

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"village": [1, 2, 3, 4, 5, 6], "w": [10.0, 12, 11, 9, 8, 10],
...                    "members": [3, 5, 4, 6, 2, 4], "y": [1.0, 3, 2, 5, 4, 6]})
>>> d = SurveyDesign(df, weights="w", psu="village")
>>> c = calibrate(d, "members", {"Intercept": 60, "members": 250})
>>> round(float(c.weights.sum()), 6), round(float(c.weights @ df["members"]), 6)
(60.0, 250.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.survey import SurveyDesign
from ..errors import WeightingError
from ..models.formulas import model_frame, r_style_name
from .population import check_design, column_list

__all__ = ["CALIBRATION_FUNCTIONS", "calibrate"]

#: R's ``calfun`` options provided here.
CALIBRATION_FUNCTIONS = ("linear", "raking", "logit")

_SOME_THRESHOLD = 20.0  # R's grake rescales the weights when every ratio exceeds this


def _population_vector(names: list[str], population: Any) -> np.ndarray:
    """Totals in model-matrix column order, from names (the formula's or R's) or a plain sequence."""
    aliases = {r_style_name(n): n for n in names}
    if isinstance(population, pd.Series):
        population = population.to_dict()
    if isinstance(population, Mapping):
        values: dict[str, float] = {}
        unknown = []
        for key, value in population.items():
            name = key if key in names else aliases.get(str(key))
            if name is None:
                unknown.append(key)
            else:
                values[name] = value
        missing = [n for n in names if n not in values]
        if unknown or missing:
            raise WeightingError(
                "WGT009",
                "the population totals do not match the calibration variables",
                expected=f"one total for each model-matrix column: {names}",
                found=(f"unknown names {unknown[:6]}" if unknown else "")
                + ("; " if unknown and missing else "")
                + (f"no total for {missing[:6]}" if missing else ""),
                hint="Name the totals as the columns above (the formula's names, or R's such as "
                "'(Intercept)' and 'stypeH'); 'Intercept' is the population size.",
            )
        raw = [values[n] for n in names]
    elif isinstance(population, Sequence | np.ndarray) and not isinstance(population, str):
        raw = list(population)
        if len(raw) != len(names):
            raise WeightingError(
                "WGT009",
                f"{len(raw)} population totals for {len(names)} calibration columns",
                expected=f"totals for {names}",
                found=f"{len(raw)} values",
                hint="Give one total per column, in this order, or a dict keyed by name.",
            )
    else:
        raise WeightingError(
            "WGT009",
            "the population totals must be a dict, a Series or a list of numbers",
            expected=f"totals for {names}",
            found=type(population).__name__,
            hint="e.g. {'Intercept': 295100, 'members': 1180000}.",
        )
    try:
        out = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        out = np.full(len(names), np.nan)
    if not np.isfinite(out).all():
        raise WeightingError(
            "WGT009",
            "the population totals must be finite numbers",
            expected="numbers",
            found=repr(raw)[:120],
            hint="Check the census totals for blanks or text.",
        )
    return out


def _bounds(bounds: Any) -> tuple[float, float]:
    if bounds is None:
        return -np.inf, np.inf
    try:
        lower, upper = (float(b) for b in bounds)
    except (TypeError, ValueError):
        lower, upper = np.nan, np.nan
    if not lower < upper:
        raise WeightingError(
            "WGT011",
            "calibration bounds must be (lower, upper) with lower < upper",
            expected="bounds on the ratio new/old weight, e.g. (0.5, 2.0)",
            found=repr(bounds),
            hint="Give two numbers around 1, lower first.",
        )
    return lower, upper


def _logit_calfun(lower: float, upper: float):
    """R's ``cal.logit``: ``g`` between the bounds on a logistic curve, ``g(0) = 1``."""
    span = (upper - lower) / ((upper - 1) * (1 - lower))

    def fm1(u):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(span * u)
            return (lower * (upper - 1) + upper * (1 - lower) * e) / (
                upper - 1 + (1 - lower) * e
            ) - 1

    def df(u):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(span * u)
            den = upper - 1 + (1 - lower) * e
            return upper * (1 - lower) * e * span / den - (
                (lower * (upper - 1) + upper * (1 - lower) * e) * ((1 - lower) * e * span)
            ) / (den * den)

    return fm1, df


def _calfun(name: str, lower: float, upper: float):
    """R's ``cal.linear``/``cal.raking``/``cal.logit``: ``Fm1(u)`` (g - 1) and its derivative."""
    if name == "logit":
        return _logit_calfun(lower, upper)
    if name == "linear":

        def fm1(u):
            return np.minimum(np.maximum(u + 1, lower), upper) - 1

        def df(u):
            return ((u < upper - 1) & (u > lower - 1)).astype(np.float64)

    else:

        def fm1(u):
            with np.errstate(over="ignore"):
                return np.minimum(np.maximum(np.exp(u), lower), upper) - 1

        def df(u):
            with np.errstate(over="ignore"):
                return np.where((u < upper - 1) & (u > lower - 1), np.exp(u), 0.0)

    return fm1, df


def _grake(mm, ww, sigma2, population, fm1, df, *, epsilon, max_iter):
    """R's ``grake``: Newton steps on the calibration equations, step-halving when needed."""
    sample_total = mm.T @ ww
    p = mm.shape[1]
    eta = np.zeros(p)
    xeta = mm @ eta / sigma2
    g = 1 + fm1(xeta)
    deriv = df(xeta)
    it = 1
    scales = population / sample_total
    scale = None
    if np.min(scales) > _SOME_THRESHOLD:
        scale = float(np.mean(scales))
        ww = ww * scale
        sample_total = sample_total * scale
    rs = 1.0 / np.sqrt(sigma2)
    failed = None
    while True:
        tmat = (mm * (ww * rs * deriv)[:, None]).T @ (mm * rs[:, None])
        misfit = population - sample_total - mm.T @ (ww * fm1(xeta))
        deta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = mm @ eta / sigma2
        g = 1 + fm1(xeta)
        deriv = df(xeta)
        while it < max_iter and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = mm @ eta / sigma2
            g = 1 + fm1(xeta)
            deriv = df(xeta)
        misfit = population - sample_total - mm.T @ (ww * fm1(xeta))
        achieved = np.abs(misfit) / (1 + np.abs(population))
        if np.all(achieved < epsilon):
            break
        it += 1
        if it > max_iter:
            failed = float(np.max(achieved))
            break
    if scale is not None:
        g = g * scale
    return g, failed


def _residualiser(a: np.ndarray, w_c: np.ndarray):
    """R's ``qr.resid(qr(A), x / w) * w`` (rows with ``w = 0`` stay zero)."""
    q, _ = np.linalg.qr(a)
    inv = np.zeros_like(w_c)
    np.divide(1.0, w_c, out=inv, where=w_c != 0)

    def residualise(z: np.ndarray) -> np.ndarray:
        y = z * inv[:, None]
        return (y - q @ (q.T @ y)) * w_c[:, None]

    return residualise


def calibrate(
    design: SurveyDesign,
    formula: str,
    population: Any,
    *,
    calfun: str = "linear",
    bounds: tuple[float, float] | None = None,
    variance: str | None = None,
    max_iter: int = 50,
    epsilon: float = 1e-7,
) -> SurveyDesign:
    """Calibrate the weights to population totals (R's ``calibrate``).

    Parameters
    ----------
    design : SurveyDesign
    formula : str
        Right-hand side of a model formula, e.g. ``"C(county) + members"``; the
        intercept stands for the population size (drop it with ``- 1``).
    population : dict, Series or list
        Population total of every model-matrix column, keyed by the formula's column
        names (``"Intercept"``, ``"C(county)[T.和政县]"``, ``"members"``) or by
        R's (``"(Intercept)"``, ``"county和政县"``), or a list in column order.
    calfun : {"linear", "raking", "logit"}
        R's calibration distance. Linear without bounds is the GREG estimator
        (R's ``regcalibrate``); with bounds, raking or logit, R's iterative ``grake``.
        ``"logit"`` (Deville and Saerndal's bounded distance) keeps every ratio of new
        to old weight strictly inside ``bounds``, which it requires.
    bounds : (float, float), optional
        Bounds on the ratio of new to old weight, e.g. ``(0.5, 2.0)``.
    variance : str, optional
        Column proportional to the variance of each row in the calibration model
        (R's ``variance=``/``lambda``).
    max_iter, epsilon : int, float
        Iterations and relative tolerance of ``grake`` (R's defaults).

    Returns
    -------
    SurveyDesign
        A calibrated design with R's GREG variance.

    Raises
    ------
    WeightingError
        ``WGT008`` formula, ``WGT009`` totals, ``WGT010`` singular or failed
        calibration, ``WGT011`` bounds or negative weights, ``WGT015`` arguments,
        ``WGT020`` logit calibration without finite bounds around 1.
    """
    design = check_design(design)
    if calfun not in CALIBRATION_FUNCTIONS:
        raise WeightingError(
            "WGT015",
            f"unknown calibration function {calfun!r}",
            expected=" / ".join(CALIBRATION_FUNCTIONS),
            found=repr(calfun),
            hint="Use calfun='linear' (GREG), 'raking' or 'logit' (with bounds).",
        )
    lower, upper = _bounds(bounds)
    if calfun == "logit" and not (np.isfinite(lower) and np.isfinite(upper) and lower < 1 < upper):
        raise WeightingError(
            "WGT020",
            "logit calibration needs finite bounds around 1",
            expected="bounds=(lower, upper) with lower < 1 < upper, e.g. (0.5, 2.0)",
            found=repr(bounds),
            hint="The logit distance keeps every weight ratio strictly inside the bounds; "
            "give them (R's calibrate(calfun='logit') requires them too).",
        )
    _, X = model_frame(
        design.data,
        formula,
        error=WeightingError,
        code="WGT008",
        role="calibration",
        missing="raise",
    )
    names = [str(c) for c in X.columns]
    mm = X.to_numpy(dtype=np.float64)
    pop = _population_vector(names, population)
    ww = np.asarray(design.weights, dtype=np.float64)
    if variance is None:
        sigma2 = np.ones(len(ww))
    else:
        col = column_list(design, variance, "variance")[0]
        sigma2 = pd.to_numeric(design.data[col], errors="coerce").to_numpy(dtype=np.float64)
        if not (np.isfinite(sigma2).all() and (sigma2 > 0).all()):
            raise WeightingError(
                "WGT008",
                f"the variance column {col!r} must be positive numbers",
                column=col,
                expected="finite values > 0",
                found="missing, zero or negative values",
                hint="Use a size measure that is positive for every row, or no variance.",
            )
    whalf = np.sqrt(ww)
    sample_total = mm.T @ ww
    if (sample_total == 0).any():
        keep = ~((pop == 0) & (mm == 0).all(axis=0))
        mm, pop, names = mm[:, keep], pop[keep], [n for n, k in zip(names, keep) if k]
    if calfun == "linear" and np.isinf(lower) and np.isinf(upper):
        a = mm * (whalf / np.sqrt(sigma2))[:, None]
        try:
            t_t = np.linalg.solve(a.T @ a, pop - mm.T @ ww)
        except np.linalg.LinAlgError:
            raise _singular(names) from None
        g = 1 + (mm @ t_t) / sigma2
        w_c = g * whalf * np.sqrt(sigma2)
    else:
        fm1, df = _calfun(calfun, lower, upper)
        g, failed = _grake(
            mm, ww, sigma2, pop, fm1, df, epsilon=float(epsilon), max_iter=int(max_iter)
        )
        if failed is not None:
            raise WeightingError(
                "WGT010",
                f"calibration did not converge in {max_iter} iterations",
                expected=f"relative misfit below {epsilon}",
                found=f"largest relative misfit {failed:.3g}",
                hint="Widen the bounds, collapse sparse categories, or check that the totals "
                "are attainable (e.g. a total far outside what the sample can reach).",
            )
        a = mm * whalf[:, None]
        w_c = g * whalf
    new = ww * g
    if not np.isfinite(new).all():
        raise _singular(names)
    if (new < 0).any():
        raise WeightingError(
            "WGT011",
            f"linear calibration gave {int((new < 0).sum())} negative weight(s)",
            expected="non-negative weights",
            found=f"smallest weight {new.min():.4g}",
            hint="Bound the weight ratios, e.g. bounds=(0.2, 5), or use calfun='raking' "
            "(always positive); or calibrate on fewer, broader categories.",
        )
    return design.with_calibration(new, _residualiser(a, w_c))


def _singular(names: list[str]) -> WeightingError:
    return WeightingError(
        "WGT010",
        "the calibration equations are singular",
        expected="calibration variables that are not linear combinations of each other",
        found=f"columns {names}",
        hint="Remove redundant calibration variables (e.g. a category total that equals the "
        "population size minus the others, or a variable that is constant in the sample).",
    )

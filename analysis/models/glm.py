"""Design-based regression (R's ``svyglm``): linear and logistic models with survey weights.

The coefficients are those of a weighted GLM fitted with statsmodels (the
weights rescaled to mean 1, as R does); their covariance is the design-based
sandwich: the influence values ``estfun @ A^{-1}`` (score contributions times
the inverse information) go through the design's variance engine, so strata,
clusters, finite population corrections, calibration and lonely-PSU policies
are all accounted for. Residual degrees of freedom are R's: design degrees of
freedom minus the number of coefficients plus one.

The fit follows R's ``glm.fit`` step by step (starting values, deviance
convergence test, iteration limit), so coefficients and standard errors agree
with R to rounding error, not only to the convergence tolerance.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"county": np.repeat(["甲县", "乙县"], 40),
...                    "village": np.repeat(np.arange(8), 10),
...                    "w": rng.uniform(5, 15, 80), "age": rng.integers(20, 70, 80)})
>>> df["joined"] = (rng.uniform(size=80) < 0.2 + 0.006 * (df["age"] - 20)).astype(int)
>>> d = SurveyDesign(df, weights="w", strata="county", psu="village")
>>> m = logistic_regression(d, "joined ~ age + C(county)")
>>> m.coefficients.columns.tolist()
['term', 'estimate', 'se', 't', 'p_value', 'ci_low', 'ci_high', 'df']
>>> m.coefficients["term"].tolist(), m.df
(['Intercept', 'age', 'C(county)[T.甲县]'], 4)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import linalg, optimize, stats
from statsmodels.genmod import families

from ..design.domains import domains
from ..design.survey import SurveyDesign
from ..errors import EstimationError
from ..estimate.intervals import t_interval
from ..estimate.tidy import check_design, check_level
from .formulas import model_frame, response_vector

__all__ = [
    "FAMILIES",
    "Regression",
    "linear_regression",
    "logistic_regression",
    "regression",
]

#: Families: R's ``gaussian()``, ``quasibinomial()`` (``binomial``/``logistic`` alias it) and
#: ``quasipoisson()`` (``poisson`` aliases it; log link, for counts).
FAMILIES = ("gaussian", "binomial", "logistic", "quasibinomial", "poisson", "quasipoisson")

# R's glm.control() defaults
_EPSILON = 1e-8
_MAXIT = 25
_SEPARATION_SUSPECT = 1e-6  # a fitted probability this close to 0 or 1 triggers the LP check


class _RBinomial(families.Binomial):
    """statsmodels' Binomial family starting from R's ``mustart = (t y + 0.5) / (t + 1)``."""

    def __init__(self, prior: np.ndarray) -> None:
        super().__init__()
        self._prior = prior

    def starting_mu(self, y):
        return (self._prior * y + 0.5) / (self._prior + 1)


class _RPoisson(families.Poisson):
    """statsmodels' Poisson family starting from R's ``mustart = y + 0.1``."""

    def starting_mu(self, y):
        return np.asarray(y, dtype=np.float64) + 0.1


@dataclass(frozen=True)
class Regression:
    """A fitted design-based regression.

    Attributes
    ----------
    formula, family : str
    coefficients : pandas.DataFrame
        ``term, estimate, se, t, p_value, ci_low, ci_high, df`` (t-based, R's
        ``summary(svyglm)`` and ``confint``).
    cov : pandas.DataFrame
        Design-based covariance matrix of the coefficients (R's ``vcov``).
    df : int
        Residual degrees of freedom (design df - coefficients + 1).
    n : int
        Rows used (non-missing formula variables, positive weight, in ``where``).
    iterations : int
        IRLS iterations.
    fit : statsmodels results
        The weighted GLM fit (its own standard errors are *not* design-based).
    model_spec : formulaic.ModelSpec
        The model matrix's terms, to build it for new data (:meth:`predict`).
    """

    formula: str
    family: str
    coefficients: pd.DataFrame
    cov: pd.DataFrame
    df: int
    n: int
    iterations: int
    fit: Any
    model_spec: Any

    def odds_ratios(self, ci_level: float = 0.95) -> pd.DataFrame:
        """Exponentiated coefficients of a logistic model with their intervals."""
        if self.family != "binomial":
            raise EstimationError(
                "EST204",
                "odds ratios are for logistic models",
                expected="family='binomial'",
                found=self.family,
                hint="Use the coefficients of a linear model as they are (exponentiate a "
                "Poisson model's for rate ratios).",
            )
        c = self.coefficients
        lo, hi = t_interval(c["estimate"], c["se"], c["df"], check_level(ci_level))
        return pd.DataFrame(
            {
                "term": c["term"],
                "odds_ratio": np.exp(c["estimate"]),
                "ci_low": np.exp(lo),
                "ci_high": np.exp(hi),
                "p_value": c["p_value"],
            }
        )

    def predict(self, data: pd.DataFrame) -> np.ndarray:
        """Fitted means (probabilities for logistic models) for new rows."""
        X = self.model_spec.get_model_matrix(data, na_action="raise")
        eta = np.asarray(X, dtype=np.float64) @ self.coefficients["estimate"].to_numpy()
        if self.family == "gaussian":
            return eta
        return np.exp(eta) if self.family == "poisson" else 1 / (1 + np.exp(-eta))


def _family_name(family: str) -> str:
    if family not in FAMILIES:
        raise EstimationError(
            "EST204",
            f"unknown model family {family!r}",
            expected=" / ".join(FAMILIES),
            found=repr(family),
            hint="Use 'gaussian' (linear), 'binomial' (logistic) or 'poisson' (counts).",
        )
    if family in ("poisson", "quasipoisson"):
        return "poisson"
    return "gaussian" if family == "gaussian" else "binomial"


def _response(y: pd.DataFrame | None, formula: str, family: str) -> tuple[np.ndarray, str]:
    if y is None:
        raise EstimationError(
            "EST208",
            f"the model formula {formula!r} has no response",
            expected="'response ~ terms'",
            found=formula,
            hint="Put the outcome on the left of '~', e.g. 'joined ~ has_room'.",
        )
    got = response_vector(y)
    if got is None:
        raise EstimationError(
            "EST205",
            "the response is categorical with more than two categories "
            f"({', '.join(map(str, y.columns[:4]))})",
            expected="a numeric, 0/1 or True/False response",
            found=f"{y.shape[1]} indicator columns",
            hint="Model one category against the rest, e.g. \"I(participation == '经常') ~ ...\".",
        )
    values, name = got
    if family == "poisson" and (values < 0).any():
        raise EstimationError(
            "EST205",
            f"a Poisson model needs a non-negative response, but {name!r} has negative values",
            column=name,
            expected="counts or other values >= 0",
            found=f"{int((values < 0).sum())} negative value(s)",
            hint="Use a linear model for a response that can be negative.",
        )
    if family == "binomial" and ((values < 0) | (values > 1)).any():
        bad = values[(values < 0) | (values > 1)]
        raise EstimationError(
            "EST205",
            f"logistic regression needs a response between 0 and 1, but {name!r} has "
            f"values such as {bad[0]:g}",
            column=name,
            expected="0/1, True/False or proportions",
            found=f"{bad.size} value(s) outside [0, 1]",
            hint="Use an indicator, e.g. 'I(score >= 60) ~ ...', or a linear model.",
        )
    return values, name


def _check_rank(X: np.ndarray, names: list[str]) -> None:
    """``EST206`` naming the terms R would alias: each column in span of the ones before."""
    (r,) = linalg.qr(X, mode="r", check_finite=False)
    diag = np.abs(np.diag(r))
    if diag.size == X.shape[1] and diag.min() > 1e-9 * max(diag.max(), 1e-300):
        return
    kept: list[int] = []
    aliased = []
    for j in range(X.shape[1]):
        col = X[:, j]
        if kept:
            coef, *_ = np.linalg.lstsq(X[:, kept], col, rcond=None)
            resid = col - X[:, kept] @ coef
        else:
            resid = col
        if np.linalg.norm(resid) <= 1e-7 * max(np.linalg.norm(col), 1e-300):
            aliased.append(names[j])
        else:
            kept.append(j)
    if aliased:
        raise EstimationError(
            "EST206",
            f"{len(aliased)} model term(s) are linear combinations of the others",
            expected="terms that are not collinear",
            found=f"aliased: {aliased}",
            hint="Drop a redundant term (e.g. a category present in only one county together "
            "with C(county), or a variable that is constant among the analysed rows).",
        )


def _separated(X: np.ndarray, y: np.ndarray, names: list[str]) -> list[str]:
    """Terms of a direction that separates y = 1 from y = 0 (Konis's linear program)."""
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    one, zero = y >= 1, y <= 0
    mid = ~(one | zero)
    sign = np.where(one, 1.0, -1.0)
    a_ub = -(Xs[~mid] * sign[~mid][:, None])
    res = optimize.linprog(
        c=a_ub.sum(axis=0),
        A_ub=a_ub,
        b_ub=np.zeros(a_ub.shape[0]),
        A_eq=Xs[mid] if mid.any() else None,
        b_eq=np.zeros(int(mid.sum())) if mid.any() else None,
        bounds=[(-1, 1)] * X.shape[1],
        method="highs",
    )
    if res.status != 0 or -res.fun <= 1e-7 * max(1, len(y)):
        return []
    return [n for n, b in zip(names, res.x) if abs(b) > 1e-6]


def _fit(y, X, t, family):
    if family == "gaussian":
        # R starts from mu = y; any start gives the weighted least-squares solution in
        # the first iteration and convergence in the second, as in R.
        fam = families.Gaussian()
    elif family == "poisson":
        fam = _RPoisson()
    else:
        fam = _RBinomial(t)
    model = sm.GLM(y, X, family=fam, var_weights=t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(
            method="IRLS", maxiter=_MAXIT, tol=0.1 * _EPSILON, rtol=_EPSILON, wls_method="lstsq"
        )
        mu = np.asarray(res.mu)
        resid = np.asarray(res.resid_working)
    return model, res, mu, resid


def regression(
    design: SurveyDesign,
    formula: str,
    *,
    family: str = "gaussian",
    where: Any = None,
    ci_level: float = 0.95,
) -> Regression:
    """Fit a design-based GLM (R's ``svyglm``).

    Parameters
    ----------
    design : SurveyDesign
    formula : str
        ``"response ~ terms"`` (formulaic, as statsmodels): ``C(x)`` categorical,
        ``I(x == 'a')`` expressions, ``Q('a.b')`` for names that are not Python names.
        Rows with a missing value in any formula variable are left out (R's
        ``na.omit``), keeping the design whole.
    family : {"gaussian", "binomial", "logistic", "quasibinomial", "poisson", "quasipoisson"}
        Linear, logistic or log-linear (count) regression (R's ``gaussian()``,
        ``quasibinomial()``, ``quasipoisson()``).
    where : str or array_like of bool, optional
        Subpopulation (R's ``svyglm(subset=)``).
    ci_level : float
        Confidence level of ``ci_low``/``ci_high``.

    Returns
    -------
    Regression

    Raises
    ------
    EstimationError
        ``EST201`` formula, ``EST202`` perfect separation, ``EST203`` no convergence,
        ``EST204`` family, ``EST205`` response, ``EST206`` collinear terms,
        ``EST207`` no usable rows, ``EST208`` no response.
    """
    design = check_design(design)
    level = check_level(ci_level)
    fam = _family_name(family)
    data = design.data.reset_index(drop=True)
    y_frame, x_frame = model_frame(
        data, formula, error=EstimationError, code="EST201", role="model"
    )
    y, name = _response(y_frame, formula, fam)
    w = np.asarray(design.weights)
    if where is None:
        inside = np.ones(design.n_rows, dtype=bool)
    else:
        inside = domains(design, None, where).codes >= 0
    # R rescales the weights by their mean over the rows of the (subset) design
    pool = inside if (where is not None and not design.is_calibrated) else slice(None)
    mean_w = float(w[pool].mean())
    kept = np.asarray(x_frame.index, dtype=np.intp)  # positions: the index was reset
    position = np.full(design.n_rows, -1, dtype=np.intp)
    position[kept] = np.arange(kept.size)
    used = (position >= 0) & inside & (w > 0)
    rows = np.flatnonzero(used)
    pos = position[rows]
    if rows.size == 0:
        raise EstimationError(
            "EST207",
            "no row can be used: every row misses a formula variable or is outside where=",
            expected="rows with all formula variables answered",
            found="0 rows",
            hint="Check the variables for missing values and the where= condition.",
        )
    X = x_frame.to_numpy(dtype=np.float64)[pos]
    yv = y[pos]
    names = [str(c) for c in x_frame.columns]
    _check_rank(X, names)
    t = w[rows] / mean_w
    model, res, mu, resid = _fit(yv, X, t, fam)
    converged = bool(res.converged)
    if fam == "binomial":
        suspect = not converged or np.min(np.minimum(mu, 1 - mu)) < _SEPARATION_SUSPECT
        if suspect:
            terms = _separated(X, yv, names)
            if terms:
                raise EstimationError(
                    "EST202",
                    f"the response {name!r} is perfectly separated: some terms predict it "
                    "without error, so their coefficients are infinite",
                    column=name,
                    expected="both outcomes at every value of the terms",
                    found=f"separating terms: {terms}",
                    hint="Merge or drop the categories in which every unit has the same "
                    "outcome (cross-tabulate them with the response), or drop the term.",
                )
    if not converged:
        raise EstimationError(
            "EST203",
            f"the model did not converge in {_MAXIT} iterations",
            expected="convergence of the weighted fit",
            found=f"deviance change still above {_EPSILON:g}",
            hint="Rescale large covariates (e.g. income in 10,000 yuan), drop sparse "
            "categories, or check the response coding.",
        )
    a_inv = np.asarray(res.normalized_cov_params)
    estfun = X * (resid * np.asarray(model.weights))[:, None]
    z = np.zeros((design.n_rows, X.shape[1]))
    z[rows] = estfun @ a_inv
    cov = design.variance(z, domain=used)
    _, dom_df = design.domain_sizes(np.where(used, 0, -1), 1)
    df = int(dom_df[0]) + 1 - X.shape[1]
    est = np.asarray(res.params, dtype=np.float64)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = est / se
    if df > 0:
        p = 2 * stats.t.sf(np.abs(tval), df)
        lo, hi = t_interval(est, se, df, level)
    else:
        p = lo = hi = np.full(est.shape, np.nan)
    coefficients = pd.DataFrame(
        {
            "term": names,
            "estimate": est,
            "se": se,
            "t": tval,
            "p_value": p,
            "ci_low": lo,
            "ci_high": hi,
            "df": df,
        }
    )
    return Regression(
        formula=formula,
        family=fam,
        coefficients=coefficients,
        cov=pd.DataFrame(cov, index=names, columns=names),
        df=df,
        n=int(rows.size),
        iterations=int(res.fit_history["iteration"]),
        fit=res,
        model_spec=x_frame.model_spec,
    )


def linear_regression(design: SurveyDesign, formula: str, **kwargs: Any) -> Regression:
    """Design-based linear regression (R's ``svyglm`` with ``gaussian()``).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.design.survey import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(6), "w": [1.0, 2, 1, 2, 1, 2],
    ...                    "x": [1.0, 2, 3, 4, 5, 6], "y": [2.0, 4.1, 5.9, 8.2, 9.9, 12.1]})
    >>> linear_regression(SurveyDesign(df, weights="w", psu="psu"), "y ~ x").coefficients[
    ...     ["term", "estimate"]].round(3).values.tolist()
    [['Intercept', 0.038], ['x', 2.008]]
    """
    return regression(design, formula, family="gaussian", **kwargs)


def logistic_regression(design: SurveyDesign, formula: str, **kwargs: Any) -> Regression:
    """Design-based logistic regression (R's ``svyglm`` with ``quasibinomial()``)."""
    return regression(design, formula, family="binomial", **kwargs)

"""Post-stratification and raking to census tables, as R's ``postStratify`` and ``rake``.

Both return a new design whose weights add up to the census counts and whose
standard errors account for the calibration: before the PSU totals are formed,
the influence values are replaced by their residuals from the post-strata
(R's ``svyrecvar`` ``postStrata`` step), through
:meth:`~analysis.design.survey.SurveyDesign.with_calibration`.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> from analysis import estimate as est
>>> df = pd.DataFrame({"county": ["A", "A", "A", "B", "B", "B"],
...                    "village": [1, 2, 3, 4, 5, 6],
...                    "sex": ["f", "m", "f", "m", "f", "m"],
...                    "w": [10.0, 12, 11, 9, 8, 10], "y": [1.0, 3, 2, 5, 4, 6]})
>>> d = SurveyDesign(df, weights="w", psu="village")
>>> ps = post_stratify(d, "county", {"A": 40, "B": 20})
>>> ps.weights.sum().round(6), ps.is_calibrated
(np.float64(60.0), True)
>>> r = rake(d, {"county": {"A": 40, "B": 20}, "sex": {"f": 30, "m": 30}})
>>> est.total(r, "sex")["estimate"].round(6).tolist()
[30.0, 30.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..design.survey import SurveyDesign
from ..design.variance import group_sum
from ..errors import WeightingError
from .population import (
    SampleCells,
    check_design,
    column_list,
    missing_in_population,
    population_counts,
    sample_cells,
)

__all__ = ["post_stratify", "rake"]

#: R's ``svyrecvar`` residualises raked influence values with this many backfitting sweeps.
RAKING_SWEEPS = 10


def _inverse(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x, dtype=np.float64)
    np.divide(1.0, x, out=out, where=x != 0)
    return out


def _poststratum(
    weights: np.ndarray, cells: SampleCells, counts: np.ndarray, role: str, partial: bool
) -> np.ndarray:
    """New weights: each cell's weights scaled to its population count."""
    sample = np.bincount(cells.codes, weights=weights, minlength=cells.n_cells)
    missing_in_population(cells, counts, sample, role)
    empty = np.flatnonzero((sample == 0) & (counts > 0))
    if empty.size and not partial:
        raise WeightingError(
            "WGT005",
            f"{empty.size} categor{'y' if empty.size == 1 else 'ies'} of the {role} "
            f"population table only {'has' if empty.size == 1 else 'have'} sampled units "
            "with weight 0",
            column=", ".join(cells.variables),
            expected="sampled units with a positive weight in every population category",
            found=cells.describe(int(empty[0])),
            hint="Merge the category with a neighbour, or pass partial=True to ignore it.",
        )
    factor = np.where(sample > 0, np.nan_to_num(counts) * _inverse(sample), 1.0)
    return weights * factor[cells.codes]


def _poststratum_residual(codes: np.ndarray, n_cells: int, old: np.ndarray, new: np.ndarray):
    """R's residuals from the post-strata: ``x - psw * rowsum(x oldw / psw) / sum(oldw)``."""
    psw = np.where((new == 0) & (old == 0), 1.0, new)
    ratio = old * _inverse(psw)
    inv_total = _inverse(np.bincount(codes, weights=old, minlength=n_cells))

    def residualise(z: np.ndarray) -> np.ndarray:
        sums = group_sum(z * ratio[:, None], codes, n_cells)
        return z - (sums * inv_total[:, None])[codes] * psw[:, None]

    return residualise


def post_stratify(
    design: SurveyDesign, by: str | Sequence[str], population: Any, *, partial: bool = False
) -> SurveyDesign:
    """Post-stratify a design to census counts (R's ``postStratify``).

    Parameters
    ----------
    design : SurveyDesign
    by : str or list of str
        The post-stratification variable(s); several variables are crossed.
    population : mapping, Series or DataFrame
        Population count of every category (see :mod:`analysis.weighting.population`).
    partial : bool
        Ignore population categories the sample does not have (R's ``partial=TRUE``).

    Returns
    -------
    SurveyDesign
        A calibrated design: the weights of each post-stratum add up to its
        population count, and standard errors use R's post-stratified variance.

    Raises
    ------
    WeightingError
        ``WGT001`` unknown column, ``WGT002`` missing categories in the data,
        ``WGT003`` malformed table, ``WGT004`` sample category not in the table,
        ``WGT005`` table category not in the sample.
    """
    design = check_design(design)
    variables = column_list(design, by, "post-stratification")
    cells = sample_cells(design, variables, "post-stratification")
    role = "post-stratification"
    counts = population_counts(cells, population, role, partial=partial)
    old = np.asarray(design.weights)
    new = _poststratum(old, cells, counts, role, partial)
    return design.with_calibration(new, _poststratum_residual(cells.codes, cells.n_cells, old, new))


def _margins(margins: Any) -> list[tuple[Any, Any]]:
    if isinstance(margins, Mapping):
        items = list(margins.items())
    elif isinstance(margins, Sequence) and not isinstance(margins, str):
        items = list(margins)
    else:
        items = []
    if not items or not all(isinstance(m, tuple) and len(m) == 2 for m in items):
        raise WeightingError(
            "WGT015",
            "raking margins must map each margin's variable(s) to its census table",
            expected="{'county': {...}, 'sex': {...}} or [('county', table), ...]",
            found=repr(margins)[:120],
            hint="Give at least one margin; use a tuple of names, e.g. ('county', 'sex'), "
            "for a crossed margin.",
        )
    return [(list(k) if isinstance(k, tuple) else k, table) for k, table in items]


def _raking_residual(steps: list[tuple[np.ndarray, int, np.ndarray]]):
    """R's raking residuals: backfitting sweeps ``x - psw * ave(x / psw, margin)``.

    Rows with weight 0 (possible after an earlier weighting step) are left out of
    the cell means (R would give NaN).
    """
    prepared = []
    for codes, n_cells, psw in steps:
        inv = _inverse(psw)
        count = np.bincount(codes, weights=(psw > 0).astype(np.float64), minlength=n_cells)
        prepared.append((codes, n_cells, psw, inv, _inverse(count)))

    def residualise(z: np.ndarray) -> np.ndarray:
        for _ in range(RAKING_SWEEPS):
            for codes, n_cells, psw, inv, inv_count in prepared:
                means = group_sum(z * inv[:, None], codes, n_cells) * inv_count[:, None]
                z = z - means[codes] * psw[:, None]
        return z

    return residualise


def rake(
    design: SurveyDesign,
    margins: Any,
    *,
    epsilon: float = 1.0,
    max_iter: int = 10,
    strict: bool = True,
) -> SurveyDesign:
    """Rake a design to the margins of census tables (R's ``rake``).

    Iterative proportional fitting: post-stratify to each margin in turn, and
    repeat until the weighted table of all margin variables changes by less than
    ``epsilon`` between two rounds.

    Parameters
    ----------
    design : SurveyDesign
    margins : mapping or list of pairs
        ``{variable(s): census table}``; a tuple of names gives a crossed margin.
        Every margin must add up to the same population total.
    epsilon : float
        Convergence tolerance, as R's ``control$epsilon``: in weight units when
        >= 1 (R's default 1), otherwise a fraction of the sum of the weights.
    max_iter : int
        Maximum number of rounds (R's ``control$maxit``, default 10).
    strict : bool
        Raise ``WGT007`` when raking does not converge (default). With False, warn
        and return the last round's design, as R does.

    Returns
    -------
    SurveyDesign
        A calibrated design; standard errors use R's raking variance.

    Raises
    ------
    WeightingError
        As :func:`post_stratify` for each margin, ``WGT006`` margins with different
        totals, ``WGT007`` no convergence, ``WGT015`` bad arguments.
    """
    design = check_design(design)
    try:
        eps_value = float(epsilon)
        iters = int(max_iter)
    except (TypeError, ValueError):
        eps_value, iters = float("nan"), 0
    if not (eps_value > 0) or iters < 1 or iters != max_iter:
        raise WeightingError(
            "WGT015",
            "raking needs epsilon > 0 and max_iter >= 1",
            expected="epsilon > 0 (>= 1: weight units; < 1: fraction of the total), "
            "max_iter a positive integer",
            found=f"epsilon={epsilon!r}, max_iter={max_iter!r}",
            hint="Use R's defaults epsilon=1, max_iter=10, or e.g. epsilon=1e-6, max_iter=50.",
        )
    specs = []
    for key, table in _margins(margins):
        variables = column_list(design, key, "raking margin")
        role = f"raking margin {'×'.join(variables)!r}"
        cells = sample_cells(design, variables, role)
        counts = population_counts(cells, table, role)
        missing_in_population(cells, counts, np.bincount(cells.codes, weights=design.weights), role)
        specs.append((variables, role, cells, counts))
    totals = [float(np.nansum(c)) for *_, c in specs]
    if max(totals) - min(totals) > 1e-6 * max(totals):
        raise WeightingError(
            "WGT006",
            "the raking margins add up to different population totals",
            expected="the same total in every margin",
            found=", ".join(f"{role}: {t:,.6g}" for (_, role, _, _), t in zip(specs, totals)),
            hint="Take every margin from the same census and reference date, or rescale them "
            "to one total; raking to inconsistent margins cannot converge.",
        )
    all_vars = list(dict.fromkeys(v for variables, *_ in specs for v in variables))
    table_cells = sample_cells(design, all_vars, "raking")
    old = np.asarray(design.weights)
    tol = eps_value * old.sum() if eps_value < 1 else eps_value

    def table(w: np.ndarray) -> np.ndarray:
        return np.bincount(table_cells.codes, weights=w, minlength=table_cells.n_cells)

    old_table = table(old)
    w = old
    converged = False
    steps: list[tuple[np.ndarray, int, np.ndarray]] = []
    delta = float("nan")
    for _ in range(iters):
        steps = []
        for _variables, role, cells, counts in specs:
            w = _poststratum(w, cells, counts, role, False)
            steps.append((cells.codes, cells.n_cells, w))
        new_table = table(w)
        delta = float(np.max(np.abs(old_table - new_table)))
        if delta < tol:
            converged = True
            break
        old_table = new_table
    if not converged:
        message = (
            f"raking did not converge after {iters} round(s): the weighted table still "
            f"changed by {delta:.6g} (tolerance {tol:.6g})"
        )
        if strict:
            raise WeightingError(
                "WGT007",
                message,
                expected=f"a change below {tol:.6g}",
                found=f"{delta:.6g}",
                hint="Increase max_iter (e.g. 50); if it still fails, collapse sparse "
                "categories or check that the margins are consistent with each other.",
            )
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return design.with_calibration(w, _raking_residual(steps))

"""Weight trimming, as R's ``trimWeights``.

Weights below ``lower`` or above ``upper`` are set to the bound, and the total
trimmed off (or added) is shared equally among the weights that were inside the
bounds, so the sum of the weights does not change. With ``strict=True`` this is
repeated until no weight is outside the bounds (sharing can push a weight over).

The trimmed weights are treated as fixed design weights; a calibrated design
keeps its calibration variance (as R keeps ``postStrata``).

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"w": [10.0, 10.0, 10.0, 70.0]})
>>> t = trim_weights(SurveyDesign(df, weights="w"), upper=40)
>>> t.weights.tolist()
[20.0, 20.0, 20.0, 40.0]
"""

from __future__ import annotations

import numpy as np

from ..design.survey import SurveyDesign
from ..errors import WeightingError
from .population import check_design

__all__ = ["trim_weights"]

_MAX_ROUNDS = 1000


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _trim_once(w: np.ndarray, lower: float, upper: float) -> tuple[np.ndarray, bool]:
    active = w > 0  # weight-0 rows (e.g. nonrespondents) are neither trimmed nor topped up
    outside = active & ((w < lower) | (w > upper))
    if not outside.any():
        return w, False
    receivers = active & ~outside
    if not receivers.any():
        raise WeightingError(
            "WGT012",
            "every weight is outside the trimming bounds",
            expected=f"some weights within [{lower}, {upper}]",
            found=f"weights from {w[active].min():.6g} to {w[active].max():.6g}",
            hint="Widen the bounds: the trimmed amount is shared among the weights inside them.",
        )
    new = np.where(outside, np.clip(w, lower, upper), w)
    new[receivers] += (w - new)[outside].sum() / receivers.sum()
    return new, True


def trim_weights(
    design: SurveyDesign,
    *,
    lower: float | None = None,
    upper: float | None = None,
    strict: bool = False,
) -> SurveyDesign:
    """Trim extreme weights and share the excess among the others (R's ``trimWeights``).

    Parameters
    ----------
    design : SurveyDesign
    lower, upper : float, optional
        Bounds on the weights (not on their ratio to the old weights).
    strict : bool
        Repeat until no weight is outside the bounds.

    Returns
    -------
    SurveyDesign
        The same design when no weight is outside the bounds; otherwise a design
        with the trimmed weights (rows of weight 0 keep weight 0; R would give them
        a share of the trimmed amount).

    Raises
    ------
    WeightingError
        ``WGT012`` when the bounds are invalid or every weight is outside them.
    """
    design = check_design(design)
    lo = -np.inf if lower is None else lower
    hi = np.inf if upper is None else upper
    try:
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        lo, hi = np.nan, np.nan
    if not lo <= hi or (lower is None and upper is None):
        raise WeightingError(
            "WGT012",
            "trimming needs lower and/or upper bounds with lower <= upper",
            expected="e.g. trim_weights(design, upper=3 * mean weight)",
            found=f"lower={lower!r}, upper={upper!r}",
            hint="Give at least one bound, as weights (not ratios).",
        )
    w = np.asarray(design.weights, dtype=np.float64)
    w, changed = _trim_once(w, lo, hi)
    if not changed:
        return design
    rounds = 1
    while strict:
        w, again = _trim_once(w, lo, hi)
        if not again:
            break
        rounds += 1
        if rounds > _MAX_ROUNDS:
            raise WeightingError(
                "WGT012",
                f"strict trimming did not settle after {_MAX_ROUNDS} rounds",
                expected="weights within the bounds",
                found=f"weights from {w.min():.6g} to {w.max():.6g}",
                hint="The bounds are too tight for the total weight: widen them.",
            )
    return design.with_calibration(w, _identity)

"""Weighting-class nonresponse adjustment of a design.

Within each class (e.g. county x village size), the respondents' weights are
scaled up to carry the class's whole weight and nonrespondents get weight 0. The
arithmetic has one implementation, :func:`analysis.sampling.adjust_for_nonresponse`
(on a frame's weight column); :func:`adjust_nonresponse` is the same adjustment of a
design: it checks the indicator and the classes, maps its arguments onto that function
and returns a design with the adjusted weights. The rows
stay in the design, so strata and PSUs are unchanged; estimates use the
respondents. The adjusted weights are then treated as design weights, as R does
with ``svydesign(weights = ~adjusted)`` (the variance of the adjustment factors
themselves is not added).

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"county": ["A", "A", "B", "B"], "w": [10.0, 10, 20, 20],
...                    "ok": [True, False, True, True], "y": [1.0, None, 3, 5]})
>>> d = adjust_nonresponse(SurveyDesign(df, weights="w"), "ok", classes="county")
>>> d.weights.tolist()
[20.0, 0.0, 20.0, 20.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.survey import SurveyDesign
from ..errors import DesignError, WeightingError
from ..sampling import adjust_for_nonresponse
from .population import check_design, column_list

__all__ = ["adjust_nonresponse"]


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _responded(design: SurveyDesign, responded: Any) -> np.ndarray:
    if isinstance(responded, str):
        name = column_list(design, responded, "responded")[0]
        values = design.data[name]
    else:
        name = None
        values = pd.Series(np.asarray(responded))
        if len(values) != design.n_rows:
            raise WeightingError(
                "WGT013",
                "the response indicator does not have one value per row",
                expected=f"{design.n_rows} True/False values",
                found=f"{len(values)} values",
                hint="Build it from design.data, e.g. design.data['status'] == '完成'.",
            )
    missing = values.isna().to_numpy()
    uniq = set(pd.unique(values[~missing]).tolist())
    if missing.any() or not uniq <= {0, 1}:
        raise WeightingError(
            "WGT013",
            "the response indicator must be True/False (or 1/0) for every sampled unit",
            column=name,
            expected="True for respondents, False for nonrespondents",
            found="missing values" if missing.any() else f"values {sorted(map(str, uniq))[:5]}",
            hint="Code every sampled unit: a refusal or non-contact is False, not missing.",
        )
    return values.to_numpy().astype(bool)


def adjust_nonresponse(
    design: SurveyDesign,
    responded: str | Sequence[bool],
    *,
    classes: str | Sequence[str] | None = None,
) -> SurveyDesign:
    """Weighting-class nonresponse adjustment; a new design with the adjusted weights.

    The weights are those of :func:`analysis.sampling.adjust_for_nonresponse` (which
    this function calls) on the design's data and weights.

    Parameters
    ----------
    design : SurveyDesign
        The design of all sampled units, respondents and nonrespondents.
    responded : str or array_like of bool
        Column (or mask) that is True for respondents.
    classes : str or list of str, optional
        Adjustment classes; default: one class.

    Returns
    -------
    SurveyDesign
        Respondents carry their class's weight; nonrespondents have weight 0.

    Raises
    ------
    WeightingError
        ``WGT013`` bad indicator or a class without respondents, ``WGT001``/``WGT002``
        unknown or incomplete class columns.
    """
    design = check_design(design)
    ok = _responded(design, responded)
    class_cols = [] if classes is None else column_list(design, classes, "nonresponse class")
    frame = pd.DataFrame({"__w": design.weights, "__ok": ok})
    for col in class_cols:
        values = design.data[col].reset_index(drop=True)
        if values.isna().any():
            raise WeightingError(
                "WGT002",
                f"nonresponse class variable {col!r} has missing values",
                column=col,
                expected="a class for every sampled unit",
                found=f"{int(values.isna().sum())} missing",
                hint="Give these units a class (e.g. from the sampling frame) before adjusting.",
            )
        frame[col] = values
    try:
        adjusted = adjust_for_nonresponse(
            frame, weight="__w", responded="__ok", classes=class_cols or None
        )
    except DesignError as err:
        raise WeightingError(
            "WGT013",
            "a nonresponse class has no respondents",
            column=", ".join(class_cols) or None,
            expected="at least one respondent with a positive weight in every class",
            found=err.found,
            hint="Merge classes without respondents into neighbouring classes.",
        ) from None
    return design.with_calibration(adjusted.to_numpy(dtype=np.float64), _identity)

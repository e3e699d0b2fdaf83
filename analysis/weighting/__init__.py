"""Weighting: post-stratification, raking, calibration, trimming, nonresponse adjustment.

Every function takes a :class:`~analysis.design.survey.SurveyDesign` and returns a new
design (the input is never changed) whose standard errors account for the
weighting as R's survey package does (``postStratify``, ``rake``, ``calibrate``,
``trimWeights``). Census tables are read as described in
:mod:`analysis.weighting.population`. Errors are ``WeightingError`` with ``WGT``
codes (``docs/errors/weighting.md``).

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> from analysis import estimate as est
>>> df = pd.DataFrame({"county": ["A", "A", "B", "B"], "village": [1, 2, 3, 4],
...                    "w": [10.0, 12, 9, 8], "tv": [1.0, 0, 1, 1]})
>>> d = post_stratify(SurveyDesign(df, weights="w", psu="village"), "county",
...                   {"A": 50, "B": 50})
>>> round(float(est.mean(d, "tv")["estimate"].iloc[0]), 4)
0.7273
>>> weight_summary(d)[["n", "total", "min", "max"]].round(2).to_dict("records")
[{'n': 4, 'total': 100.0, 'min': 22.73, 'max': 27.27}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..design.survey import SurveyDesign
from .calibration import CALIBRATION_FUNCTIONS, calibrate
from .nonresponse import adjust_nonresponse
from .population import check_design
from .poststrata import post_stratify, rake
from .trimming import trim_weights

__all__ = [
    "CALIBRATION_FUNCTIONS",
    "adjust_nonresponse",
    "calibrate",
    "post_stratify",
    "rake",
    "trim_weights",
    "weight_summary",
]


def weight_summary(design: SurveyDesign) -> pd.DataFrame:
    """One row describing the weights: spread and Kish's design effect of weighting.

    Columns ``n`` (rows with a positive weight), ``total``, ``min``, ``max``,
    ``mean``, ``cv`` (coefficient of variation), ``deff_kish`` (``1 + cv**2``) and
    ``n_effective`` (``n / deff_kish``).
    """
    design = check_design(design)
    w = np.asarray(design.weights)
    w = w[w > 0]
    mean = w.mean()
    cv = float(w.std() / mean) if w.size > 1 else 0.0
    deff = 1 + cv * cv
    return pd.DataFrame(
        {
            "n": [int(w.size)],
            "total": [float(w.sum())],
            "min": [float(w.min())],
            "max": [float(w.max())],
            "mean": [float(mean)],
            "cv": [cv],
            "deff_kish": [deff],
            "n_effective": [w.size / deff],
        }
    )

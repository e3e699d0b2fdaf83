"""Design-based estimates as tidy tables, and what is built on them.

Modules:

- :mod:`~analysis.estimate.estimators`: mean, proportion, total, ratio, quantile;
- :mod:`~analysis.estimate.batch`: several estimates from one reduction of the rows;
- :mod:`~analysis.estimate.replicate`: the same on replicate-weight designs;
- :mod:`~analysis.estimate.tidy`: the tidy estimate columns and shared argument checks;
- :mod:`~analysis.estimate.levels`: shares and totals of a categorical variable's levels;
- :mod:`~analysis.estimate.intervals`, :mod:`~analysis.estimate.quantile_rules`: intervals
  and quantile rules as R's survey package computes them;
- :mod:`~analysis.estimate.contrasts`: covariances between estimates, contrasts, differences;
- :mod:`~analysis.estimate.crosstab`: two-way tables, Rao-Scott and Wald tests;
- :mod:`~analysis.estimate.waves`: change between waves;
- :mod:`~analysis.estimate.scales`: Likert scales, Cronbach's alpha, composite scores.

>>> from analysis import estimate
>>> sorted(estimate.__all__)[:4]
['Difference', 'ESTIMATE_COLUMNS', 'contrast', 'difference']
"""

from .batch import estimate_many
from .contrasts import Difference, contrast, difference, row_labels, vcov
from .estimators import ESTIMATE_COLUMNS, mean, proportion, quantile, ratio, total

__all__ = [
    "ESTIMATE_COLUMNS",
    "Difference",
    "contrast",
    "difference",
    "estimate_many",
    "mean",
    "proportion",
    "quantile",
    "ratio",
    "row_labels",
    "total",
    "vcov",
]

"""The survey design: weights, strata, sampling stages, domains and Taylor variance.

Modules, from the bottom up:

- :mod:`~analysis.design.rowpass`: passes over the rows by blocks (no row-length
  temporaries, no copies of read-only codes);
- :mod:`~analysis.design.variance`: variance from sampling-unit totals (``svyrecvar``);
- :mod:`~analysis.design.stages`: unit codes, weights, fpc and lonely units of each stage;
- :mod:`~analysis.design.survey`: :class:`SurveyDesign`, built and checked once;
- :mod:`~analysis.design.domains`: the rows of each estimation domain;
- :mod:`~analysis.design.replicate`: :class:`ReplicateDesign`, variances from replicate
  weights (BRR, Fay, JK1, JKn, bootstrap);
- :mod:`~analysis.design.resampling`: :func:`as_replicate`, replicates made from a design.
- :mod:`~analysis.design.engines`: designs over parquet or Dask data larger than memory
  (the same reduction to unit totals, run by DuckDB or Dask).

>>> from analysis.design import SurveyDesign
>>> SurveyDesign.__module__
'analysis.design.survey'
"""

from .replicate import REPLICATE_TYPES, ReplicateDesign
from .resampling import as_replicate
from .survey import LONELY_PSU_POLICIES, SamplingStage, SurveyDesign

__all__ = [
    "LONELY_PSU_POLICIES",
    "REPLICATE_TYPES",
    "ReplicateDesign",
    "SamplingStage",
    "SurveyDesign",
    "as_replicate",
]

"""Designs over records that stay in an engine: DuckDB over parquet, or a Dask cluster.

The in-memory :class:`~analysis.design.survey.SurveyDesign` reduces a wave to the
totals of a few per-row values by (domain, sampling unit) and does the rest on
that small table. Here the same reduction runs where the records live:

- :mod:`~analysis.design.engines.terms`: the per-row values, as SQL and as pandas;
- :mod:`~analysis.design.engines.sources`: DuckDB over parquet files, or a Dask DataFrame;
- :mod:`~analysis.design.engines.design`: :class:`EngineDesign`, its structure and reduction;
- :mod:`~analysis.design.engines.study`: a study's design on the engine of its ``[scale]``.

The estimators of :mod:`analysis.estimate` accept an :class:`EngineDesign`.
"""

from .design import ENGINES, EngineDesign, EngineDomains, Reduced, from_dask, from_parquet
from .study import study_design

__all__ = [
    "ENGINES",
    "EngineDesign",
    "EngineDomains",
    "Reduced",
    "from_dask",
    "from_parquet",
    "study_design",
]

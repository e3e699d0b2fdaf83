"""A study's design over its large parquet data, with the study's ``[scale]`` settings.

``[design.<instrument>]`` gives the columns of the design, as for the in-memory design;
``[scale]`` says where the reductions run::

    [scale]
    engine = "dask"
    scheduler = "tcp://10.0.0.5:8786"

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from analysis.study import Study
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "v": ["a", "a", "b", "b"],
...               "y": [1.0, 2.0, 3.0, 5.0]}).to_parquet(folder / "hh.parquet")
>>> study = Study(folder, {"design": {"hh": {"weights": "w", "psu": "v"}},
...                        "scale": {"engine": "duckdb", "threads": 1}})
>>> study_design(study, "hh", folder / "hh.parquet")
EngineDesign(duckdb, 4 rows, 1 strata, 2 PSUs, df=1, weights='w', lonely_psu='fail')
"""

from __future__ import annotations

from typing import Any

from .design import EngineDesign, from_parquet

__all__ = ["study_design"]

_DESIGN_KEYS = ("weights", "strata", "psu", "fpc", "nest", "lonely_psu")


def study_design(study: Any, instrument: str, path: Any) -> EngineDesign:
    """The design of ``instrument`` over the parquet data at ``path``, on the study's engine.

    Parameters
    ----------
    study : analysis.study.Study
    instrument : str
        Its ``[design.<instrument>]`` table gives weights, strata, psu, fpc, nest and
        lonely_psu.
    path : str, Path or list
        A parquet file, a folder of parquet files, or a list of files.

    Returns
    -------
    EngineDesign
    """
    design = dict(study.setting("design", instrument, default={}) or {})
    scale = dict(study.setting("scale", default={}) or {})
    options = {k: design[k] for k in _DESIGN_KEYS if k in design}
    options.setdefault("weights", None)
    return from_parquet(
        path,
        **options,
        engine=scale.get("engine", "duckdb"),
        threads=scale.get("threads"),
        memory_limit=scale.get("memory_limit"),
        scheduler=scale.get("scheduler"),
    )

"""A study's designs: ``[design.<instrument>]`` settings and cleaned tables made ready.

The wave pipeline (its estimate step) and the report sections build designs the same way:
the cleaned table prepared by :func:`analysis_frame` (missing codes to NaN, calculated text
to numbers), then :func:`build_design` with the instrument's ``[design.<instrument>]``
settings of study.toml (:func:`design_settings`)::

    [design.household]
    weights = "weight"
    strata = "county"
    psu = "village_id"

Examples
--------
>>> frame = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "s": ["a", "a", "b", "b"],
...                       "p": ["1", "2", "3", "4"], "y": [1.0, 0.0, 1.0, 1.0]})
>>> design = build_design(frame, {"weights": "w", "strata": "s", "psu": "p"}, name="x")
>>> type(design).__name__, len(design.data)
('SurveyDesign', 4)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..readers.canonical import is_number
from .survey import SurveyDesign

__all__ = ["analysis_frame", "build_design", "design_settings"]


def design_settings(study: Any, instrument: str) -> dict[str, Any]:
    """The ``[design.<instrument>]`` table of the study's study.toml (a new dict; ``{}``
    when the instrument declares no design).

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.study import Study
    >>> study = Study(Path("."), {"design": {"hh": {"weights": "w"}}})
    >>> design_settings(study, "hh"), design_settings(study, "village")
    ({'weights': 'w'}, {})
    """
    return dict(study.setting("design", instrument, default={}) or {})


def analysis_frame(frame: pd.DataFrame, instrument: Any) -> pd.DataFrame:
    """The cleaned table as the estimators need it (a new frame).

    * Missing codes declared in the form (``missing_codes``, e.g. 98=不知道) become
      missing values, so that means and shares are over substantive answers.
    * Calculated fields, which exports carry as text, become numbers when every
      non-empty value is a number.

    Examples
    --------
    >>> from analysis.instrument.model import Instrument, Question
    >>> form = Instrument(None, "f", "F", None, None, ("zh",), (
    ...     Question("age", "integer", missing_codes={"98": "不知道"}),
    ...     Question("rate", "calculate")), (), {})
    >>> out = analysis_frame(pd.DataFrame({"age": [30, 98], "rate": ["0.5", ""]}), form)
    >>> out["age"].tolist(), out["rate"].tolist()
    ([30.0, nan], [0.5, nan])
    """
    columns: dict[str, pd.Series] = {}
    for question in instrument.questions:
        name = question.name
        if name not in frame:
            continue
        column = frame[name]
        if question.type == "calculate" and not pd.api.types.is_numeric_dtype(column):
            text = column.astype("string").str.strip().replace("", pd.NA)
            numbers = pd.to_numeric(text, errors="coerce").astype("float64")
            if numbers.notna().sum() == text.notna().sum():
                column = numbers
        if question.missing_codes:
            codes = set(question.missing_codes)
            if pd.api.types.is_numeric_dtype(column):
                numeric_codes = [float(c) for c in codes if is_number(c)]
                column = column.astype("float64").mask(column.isin(numeric_codes))
            else:
                column = column.mask(column.astype("string").isin(codes))
        columns[name] = column
    return frame.assign(**columns) if columns else frame


def build_design(frame: pd.DataFrame, settings: Mapping[str, Any], *, name: str) -> SurveyDesign:
    """The SurveyDesign of one instrument's cleaned table from its ``[design.<name>]`` settings."""
    return SurveyDesign(
        frame,
        weights=settings.get("weights"),
        strata=settings.get("strata"),
        psu=settings.get("psu"),
        fpc=settings.get("fpc"),
        nest=settings.get("nest", True),
        lonely_psu=settings.get("lonely_psu", "fail"),
    )

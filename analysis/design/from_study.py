"""A study's designs: ``[design.<instrument>]`` settings and cleaned tables made ready.

A table of a repeat (e.g. a household roster) is estimated on the repeat's rows, each
carrying the design columns of its parent record (:func:`repeat_frame`).

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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..readers.canonical import is_number
from .survey import SurveyDesign

__all__ = ["analysis_frame", "build_design", "design_columns", "design_settings", "repeat_frame"]


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


def design_columns(settings: Mapping[str, Any]) -> list[str]:
    """The column names ``[design.<instrument>]`` settings name (weights, strata, psu, fpc).

    Examples
    --------
    >>> design_columns({"weights": "w", "strata": "s", "psu": ["p", "q"], "fpc": 0.1})
    ['w', 's', 'p', 'q']
    """
    names: list[str] = []
    for key in ("weights", "strata", "psu", "fpc"):
        value = settings.get(key)
        for name in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(name, str) and name not in names:
                names.append(name)
    return names


def repeat_frame(
    main: pd.DataFrame,
    repeats: Mapping[str, pd.DataFrame],
    repeat: str,
    columns: Sequence[str],
    parent_of: Callable[[str], str | None],
) -> pd.DataFrame:
    """The rows of ``repeat``, each with ``columns`` of the record it belongs to (a new frame).

    Repeat rows are linked by ``_parent_key`` to the ``_key`` of their parent: the main
    record, or the row of the enclosing repeat (``parent_of(repeat)``, ``None`` for the
    main table). A column the repeat lacks is taken from the nearest ancestor that has
    it, so that a roster row carries its household's weight, stratum and PSU (and the
    household's ``by`` columns). Rows whose parent record is absent (dropped or
    quarantined) are left out.

    Examples
    --------
    >>> main = pd.DataFrame({"_key": ["a", "b"], "w": [1.0, 2.0], "s": ["x", "y"]})
    >>> roster = pd.DataFrame({"_key": ["a/1", "a/2", "b/1", "c/1"],
    ...                        "_parent_key": ["a", "a", "b", "c"], "age": [30, 5, 40, 9]})
    >>> out = repeat_frame(main, {"m": roster}, "m", ["w", "s", "age"], lambda r: None)
    >>> out[["age", "w", "s"]].values.tolist()
    [[30, 1.0, 'x'], [5, 1.0, 'x'], [40, 2.0, 'y']]
    """
    frame = repeats[repeat].reset_index(drop=True)
    wanted = [c for c in dict.fromkeys(columns) if c not in frame]
    keys = frame["_parent_key"].to_numpy()
    found = pd.Series(True, index=frame.index)
    table: str | None = repeat
    added: dict[str, Any] = {}
    while table is not None:
        parent = parent_of(table)
        parents = main if parent is None else repeats[parent]
        parents = parents.drop_duplicates("_key").set_index("_key")
        found &= pd.Series(keys, index=frame.index).isin(parents.index)
        for name in [c for c in wanted if c in parents]:
            added[name] = parents[name].reindex(keys).to_numpy()
        wanted = [c for c in wanted if c not in added]
        if not wanted or parent is None:
            break
        keys = parents["_parent_key"].reindex(keys).to_numpy()
        table = parent
    return frame.assign(**added)[found.to_numpy()].reset_index(drop=True)


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

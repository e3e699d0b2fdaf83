"""Shared helpers for the tests against tests/reference/survey_reference_models.json.

The JSON was written by tests/reference/survey_reference_models.R (R's survey package;
versions recorded in the file) from the CSV files beside it. CI needs no R.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import weighting
from analysis.design.survey import SurveyDesign

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-9


@cache
def reference() -> dict:
    return json.loads((REF / "survey_reference_models.json").read_text(encoding="utf-8"))


@cache
def frame(name: str) -> pd.DataFrame:
    """A reference CSV as R read it (empty fields are missing; 'wave' stays text)."""
    df = pd.read_csv(
        REF / name, keep_default_na=False, na_values=[""], encoding="utf-8", dtype={"wave": str}
    )
    if "wave" in df.columns:
        df["wave_2025"] = df["wave"] == "2025"
    return df


def as_list(v) -> list:
    if v is None:
        return []
    return [v] if isinstance(v, str | int | float | bool) else list(v)


def num(v) -> float:
    return float("nan") if v is None else float(v)


def close(have: float, want, *, rtol: float = RTOL, atol: float = 0.0) -> bool:
    want = num(want)
    if math.isnan(want):
        return math.isnan(have)
    return abs(have - want) <= atol + rtol * abs(want)


def design_of(spec: dict, data: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(
        data,
        weights=spec["weights"],
        strata=spec["strata"],
        psu=as_list(spec["psu"]) or None,
        fpc=as_list(spec["fpc"]) or None,
        nest=spec["nest"],
        lonely_psu=spec["lonely_psu"],
    )


def table_of(t: dict) -> pd.DataFrame:
    """A census table of the JSON as a DataFrame with a Freq column."""
    cols = {v: as_list(levels) for v, levels in zip(as_list(t["variables"]), t["levels"])}
    out = pd.DataFrame(cols)
    out["Freq"] = as_list(t["counts"])
    return out


def apply_steps(design: SurveyDesign, steps: list[dict]) -> SurveyDesign:
    """Replay the R script's calibration steps with analysis.weighting."""
    for s in steps:
        kind = s["method"]
        if kind == "poststratify":
            t = s["table"]
            design = weighting.post_stratify(design, as_list(t["variables"]), table_of(t))
        elif kind == "rake":
            margins = [(tuple(as_list(t["variables"])), table_of(t)) for t in s["margins"]]
            design = weighting.rake(
                design, margins, epsilon=s["epsilon"], max_iter=s["max_iter"], strict=False
            )
        elif kind == "calibrate":
            totals = dict(zip(as_list(s["names_py"]), as_list(s["totals"])))
            design = weighting.calibrate(
                design,
                s["formula_py"],
                totals,
                calfun=s["calfun"],
                bounds=None if s["bounds"] is None else tuple(s["bounds"]),
            )
        elif kind == "trim":
            design = weighting.trim_weights(
                design, lower=s.get("lower"), upper=s.get("upper"), strict=bool(s.get("strict"))
            )
        elif kind == "nonresponse":
            design = weighting.adjust_nonresponse(
                design, np.asarray(s["responded"], dtype=bool), classes=s["classes"]
            )
        else:  # pragma: no cover - the R script writes only these
            raise AssertionError(kind)
    return design


def build(case: dict) -> SurveyDesign:
    data = frame(case["data"])
    return apply_steps(design_of(case["design"], data), case.get("calibration") or [])

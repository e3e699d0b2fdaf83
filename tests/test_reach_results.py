"""REACH's published analysistools results table, reproduced from its imported list of analyses.

The MSNA template of REACH's ``analysistools`` (data, list of analyses, results table) is
read from the shared real-data folder; the design is the one the results used: unweighted
simple random sampling (``n_w == n`` in every row). Each imported analysis is computed by
:func:`analysis.pipeline.estimates.compute` and every published row is compared with
ours: ``stat``, ``stat_low``, ``stat_upp``, ``n``, ``n_total`` to ``rtol = 1e-9``.

All 143 rows match with ``df = "design"`` (srvyr's degrees of freedom: 99 for every
group). With baicun's default ``df = "domain"`` (each group's own df: 30, 26, 41 for the
three admin1 groups) the 97 grouped intervals of means and shares differ; the grouped
median intervals match with both conventions (the Woodruff limits fall on the same data
values). Ours has 8 more rows than the published table: the select_one levels no record
of an admin1 group chose (srvyr drops empty groups, baicun reports 0 with interval [0, 0]).
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.design.survey import SurveyDesign
from analysis.errors import StudyError
from analysis.pipeline.analysis_plan import import_analysis_plan
from analysis.pipeline.estimates import ChoiceColumn, EstimateSpec, compute, estimate_specs
from analysis.study import Study

REACH = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "exports" / "reach_msna"
)
DATA = REACH / "analysistools_MSNA_template_data.csv"
LOA = REACH / "analysistools_MSNA_template_loa.csv"
RESULTS = REACH / "analysistools_MSNA_template_no_ratio_results_table.csv"

KEY = ["analysis_type", "analysis_var", "analysis_var_value", "group_var", "group_var_value"]
COMPARED = ["stat", "stat_low", "stat_upp", "n", "n_total"]

needs_reach = pytest.mark.skipif(
    not all(p.exists() for p in (DATA, LOA, RESULTS)),
    reason="REACH analysistools MSNA template files not in shared/realdata/exports/reach_msna",
)


def _spec(entry: dict) -> EstimateSpec:
    return EstimateSpec(
        name=entry["name"],
        instrument=entry["instrument"],
        stat=entry["stat"],
        variables=tuple(entry["variables"]),
        by=tuple(entry.get("by", ())),
        quantiles=tuple(entry.get("quantiles", (0.5,))),
        method=entry.get("method", "logit"),
        ci_level=entry["ci_level"],
        df=entry["df"],
    )


def _design_and_choices() -> tuple[SurveyDesign, dict[str, tuple[ChoiceColumn, ...]]]:
    frame = pd.read_csv(DATA, low_memory=False)
    choices: dict[str, list[ChoiceColumn]] = {}
    columns = {}
    for column in frame.columns:
        question, sep, code = column.partition("/")
        if not sep or question not in frame.columns:
            continue
        values = frame[column].map({True: 1.0, False: 0.0, "TRUE": 1.0, "FALSE": 0.0})
        columns[column] = values.where(frame[question].notna())
        choices.setdefault(question, []).append(ChoiceColumn(code, column, code))
    frame = frame.assign(**columns)
    design = SurveyDesign(frame, weights=None)
    return design, {q: tuple(c) for q, c in choices.items()}


def _tidy(entry: dict, kind: str, table: pd.DataFrame) -> pd.DataFrame:
    by = entry.get("by", [])
    levels = kind.startswith("prop")
    return pd.DataFrame(
        {
            "analysis_type": kind,
            "analysis_var": entry["variables"][0],
            "analysis_var_value": table["level"].astype(str) if levels else np.nan,
            "group_var": by[0] if by else np.nan,
            "group_var_value": table[by[0]].astype(str) if by else np.nan,
            "stat": table["estimate"],
            "stat_low": table["ci_low"],
            "stat_upp": table["ci_high"],
            "n": table["n_level"] if levels else table["n"],
            "n_total": table["n"],
        }
    )


def _ours(df: str) -> pd.DataFrame:
    design, choices = _design_and_choices()
    loa = pd.read_csv(LOA)
    entries = import_analysis_plan(LOA, instrument="msna", df=df)
    parts = []
    for kind, entry in zip(loa["analysis_type"], entries, strict=True):
        parts.append(_tidy(entry, kind, compute(_spec(entry), design, choices=choices)))
    return pd.concat(parts, ignore_index=True)


def _matching(df: str) -> tuple[int, pd.DataFrame, int]:
    published = pd.read_csv(RESULTS)
    ours = _ours(df)
    merged = published.merge(ours, on=KEY, how="left", suffixes=("", "_ours"), indicator=True)
    good = merged["_merge"] == "both"
    for column in COMPARED:
        a = merged[column].to_numpy(dtype=float)
        b = merged[f"{column}_ours"].to_numpy(dtype=float)
        good &= np.isclose(a, b, rtol=1e-9, atol=0) | (np.isnan(a) & np.isnan(b))
    extra = len(ours) - int((merged["_merge"] == "both").sum())
    return int(good.sum()), merged[~good], extra


@needs_reach
def test_the_published_results_table_is_reproduced_with_the_design_df():
    matched, mismatched, extra = _matching("design")
    assert len(pd.read_csv(RESULTS)) == 143
    assert matched == 143, mismatched[KEY + COMPARED].to_string()
    # levels no record of an admin1 group chose: srvyr leaves them out, baicun reports 0
    assert extra == 8


@needs_reach
def test_with_each_domain_df_only_the_grouped_intervals_of_means_and_shares_differ():
    matched, mismatched, _ = _matching("domain")
    assert matched == 143 - 97
    assert mismatched["group_var"].eq("admin1").all()
    assert set(mismatched["analysis_type"]) == {"mean", "prop_select_one", "prop_select_multiple"}
    assert np.allclose(mismatched["stat"], mismatched["stat_ours"], rtol=1e-9, atol=0)


@needs_reach
def test_the_published_design_is_unweighted():
    published = pd.read_csv(RESULTS)
    assert (published["n_w"] == published["n"]).all()
    assert (published["n_w_total"] == published["n_total"]).all()


def test_the_loa_types_map_to_estimate_entries():
    loa = io.StringIO(
        "analysis_type,analysis_var,group_var,level\n"
        "prop_select_one,admin1,,0.95\n"
        "prop_select_multiple,reasons,admin1,0.9\n"
        "median,income,NA,0.95\n"
        "median,income,,0.95\n"
    )
    entries = import_analysis_plan(loa)
    assert [e["stat"] for e in entries] == ["proportion", "choices", "quantile", "quantile"]
    assert entries[1]["by"] == ["admin1"] and entries[1]["ci_level"] == 0.9
    assert entries[2]["quantiles"] == [0.5] and "by" not in entries[2]
    assert entries[3]["name"] == "median_income_2"
    assert {e["df"] for e in entries} == {"design"}


def test_unknown_analysis_types_are_reported():
    text = "analysis_type,analysis_var,group_var,level\nratio,income,,0.95\nmean,income,,0.95\n"
    with pytest.raises(StudyError) as info:
        import_analysis_plan(io.StringIO(text))
    assert info.value.code == "STU028" and "ratio" in str(info.value)
    with pytest.warns(UserWarning, match="ratio"):
        entries = import_analysis_plan(io.StringIO(text), unknown="skip")
    assert [e["stat"] for e in entries] == ["mean"]


def test_a_bad_level_or_header_is_a_coded_error():
    with pytest.raises(StudyError) as info:
        import_analysis_plan(io.StringIO("analysis_type,analysis_var,level\nmean,x,95\n"))
    assert info.value.code == "STU027" and info.value.row == 2
    with pytest.raises(StudyError) as info:
        import_analysis_plan(io.StringIO("type,var\nmean,x\n"))
    assert info.value.code == "STU027"


# ---------------------------------------------------------------------- df in study.toml
STUDY = (
    '[instruments.household]\nform = "surveys/household.xlsx"\n\n[estimate]\ndf = "design"\n\n'
    '[[estimates]]\nname = "a"\ninstrument = "household"\nstat = "mean"\nvariables = ["y"]\n\n'
    '[[estimates]]\nname = "b"\ninstrument = "household"\nstat = "mean"\nvariables = ["y"]\n'
    'df = "domain"\n'
)


def test_df_is_read_from_estimate_and_entries(tmp_path):
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    first, second = estimate_specs(Study.load(tmp_path))
    assert (first.df, second.df) == ("design", "domain")
    (tmp_path / "study.toml").write_text(STUDY.replace('"domain"', '"groups"'), encoding="utf-8")
    with pytest.raises(StudyError) as info:
        Study.load(tmp_path)
    assert info.value.code == "STU041"


def test_the_design_df_changes_only_the_intervals_of_domains():
    frame = pd.DataFrame(
        {
            "s": ["a"] * 6 + ["b"] * 6,
            "g": ["x", "y"] * 6,
            "y": [1.0, 2, 4, 3, 5, 6, 7, 9, 2, 4, 8, np.nan],
        }
    )
    design = SurveyDesign(frame, weights=None, strata="s")
    spec = EstimateSpec(name="t", instrument="x", stat="mean", variables=("y",), by=("g",))
    domain = compute(spec, design)
    whole = compute(replace(spec, df="design"), design)
    assert domain["df"].tolist() == [4, 3] and whole["df"].tolist() == [9, 9]  # 11 rows - 2
    assert np.allclose(domain["se"], whole["se"]) and np.allclose(
        domain["estimate"], whole["estimate"]
    )
    assert (whole["ci_high"] < domain["ci_high"]).all()

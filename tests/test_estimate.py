"""Estimates agree with R's survey package, and bad requests give coded errors.

The reference values in tests/reference/survey_reference.json were computed by
tests/reference/survey_reference.R (R's survey package, versions recorded in the
file) on the CSV files beside it. CI needs no R: the tests only read the files.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import estimate as est
from analysis.design.survey import SurveyDesign
from analysis.errors import DesignError, EstimationError

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-9
ATOL = 1e-12


@cache
def reference() -> dict:
    return json.loads((REF / "survey_reference.json").read_text(encoding="utf-8"))


@cache
def frame(name: str) -> pd.DataFrame:
    # R wrote missing values as empty fields; text such as "NA" stays text, as in R.
    return pd.read_csv(REF / name, keep_default_na=False, na_values=[""], encoding="utf-8")


def _list(v) -> list:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def poststratified(design: SurveyDesign, variable: str, levels, counts) -> SurveyDesign:
    """R's postStratify(design, ~variable, population), through the calibration hook."""
    codes = pd.Categorical(design.data[variable], categories=levels).codes
    old = design.weights
    sample = np.bincount(codes, weights=old, minlength=len(levels))
    new = old * (np.asarray(counts, dtype=float) / sample)[codes]
    old_total = np.bincount(codes, weights=old, minlength=len(levels))

    def residualise(z: np.ndarray) -> np.ndarray:
        k = z.shape[1]
        sums = np.column_stack(
            [
                np.bincount(codes, weights=z[:, j] * old / new, minlength=len(levels))
                for j in range(k)
            ]
        )
        return z - (sums / old_total[:, None])[codes] * new[:, None]

    return design.with_calibration(new, residualise)


def build(case: dict) -> SurveyDesign:
    spec = case["design"]
    design = SurveyDesign(
        frame(case["data"]),
        weights=spec["weights"],
        strata=spec["strata"],
        psu=_list(spec["psu"]) or None,
        fpc=_list(spec["fpc"]) or None,
        nest=spec["nest"],
        lonely_psu=spec["lonely_psu"],
        adjust_domain_lonely=spec["adjust_domain_lonely"],
    )
    ps = spec.get("poststrata")
    if ps:
        design = poststratified(design, ps["variable"], _list(ps["levels"]), ps["counts"])
    return design


def run(case: dict, design: SurveyDesign) -> pd.DataFrame:
    opts = case["options"] or {}
    common = dict(by=_list(case["by"]) or None, where=case["where"])
    variables = _list(case["variables"])
    kind = case["estimator"]
    if kind == "mean":
        return est.mean(design, variables, **common)
    if kind == "total":
        return est.total(design, variables, **common)
    if kind == "ratio":
        return est.ratio(design, variables, opts["denominator"], **common)
    if kind == "proportion":
        return est.proportion(design, variables, method=opts.get("method", "logit"), **common)
    if kind == "quantile":
        return est.quantile(
            design,
            variables,
            _list(opts["q"]) if not isinstance(opts["q"], float | int) else opts["q"],
            qrule=opts.get("qrule", "math"),
            interval=opts.get("interval", "mean"),
            **common,
        )
    raise AssertionError(kind)


def _key(by: dict, variable, level, q) -> tuple:
    return (
        tuple(sorted((k, str(v)) for k, v in by.items())),
        variable,
        None if level is None else str(level),
        None if q is None else round(float(q), 12),
    )


def _num(v) -> float:
    return float("nan") if v is None else float(v)


CASES = reference()["cases"]


def test_reference_records_r_and_survey_versions():
    gen = reference()["generator"]
    assert gen["R"].startswith("R version ")
    assert gen["survey"].split(".")[0] >= "4"
    assert len(CASES) > 200


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_r_survey(case):
    if case["error"]:
        with pytest.raises(DesignError) as info:
            build(case)
        assert info.value.code == "DES010"
        assert "only one PSU" in case["error"]
        return
    try:
        design = build(case)
    except DesignError as err:
        # lonely_psu="average" with a lonely unit at a later stage: R returns NaN SEs
        # (for every domain holding that unit), baicun refuses the design.
        assert err.code == "DES018"
        assert any(r["se"] is None for r in case["rows"])
        return
    got = run(case, design)
    by = _list(case["by"])
    index = {}
    for rec in got.to_dict("records"):
        index[
            _key(
                {b: rec[b] for b in by},
                rec["variable"],
                rec.get("level"),
                rec.get("quantile"),
            )
        ] = rec
    assert len(index) == len(got), "duplicate output rows"
    # R's reference lists the domains with at least one analysed row; baicun also reports
    # a by-cell whose values are all missing, as a row with n = 0 and no estimate.
    empty = got[got["n"] == 0]
    assert empty["estimate"].isna().all()
    assert len(case["rows"]) == len(got) - len(empty), "R and baicun report different domains"
    for r in case["rows"]:
        mine = index[_key(r["by"], r["variable"], r["level"], r["quantile"])]
        where = f"{case['id']} {r['by']} {r['variable']} {r['level']} {r['quantile']}"
        assert mine["n"] == r["n"], where
        assert mine["df"] == r["df"], where
        for col in ("estimate", "se", "ci_low", "ci_high", "deff"):
            want = _num(r[col])
            have = float(mine[col])
            if col.startswith("ci") and r[col] is None and case["estimator"] == "proportion":
                # p is 0 or 1: baicun returns [p, p] where R has no usable interval
                assert have == mine["estimate"], where
                continue
            if math.isnan(want):
                assert math.isnan(have), f"{where} {col}: want NaN, got {have}"
            else:
                # absolute tolerance: a zero SE is zero up to rounding at the data's magnitude
                scale = max(1.0, abs(float(mine["estimate"])))
                assert have == pytest.approx(want, rel=RTOL, abs=ATOL * scale), f"{where} {col}"


def test_estimates_share_one_design_and_domain_coding():
    case = next(c for c in CASES if c["id"] == "vh2_mean_by")
    design = build(case)
    first = est.mean(design, "income", by=["county", "broadband"])
    again = est.proportion(design, "participation", by=["county", "broadband"])
    assert ("domains", ("county", "broadband"), None) in design._cache
    assert set(map(tuple, first[["county", "broadband"]].values)) == set(
        map(tuple, again[["county", "broadband"]].values)
    )


# ---------------------------------------------------------------------------- small designs
@pytest.fixture()
def villages() -> SurveyDesign:
    df = frame("village_households.csv")
    return SurveyDesign(df, weights="w", strata="county", psu="village")


def test_output_columns_are_fixed(villages):
    out = est.proportion(villages, "broadband", by="county")
    assert list(out.columns) == [
        "county",
        "variable",
        "level",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "deff",
        "n",
    ]
    q = est.quantile(villages, "income", [0.5])
    assert list(q.columns[:3]) == ["variable", "quantile", "estimate"]
    assert q["deff"].isna().all()


def test_missing_values_keep_the_design(villages):
    # income has missing values: the domain loses rows, the design keeps its PSUs
    out = est.mean(villages, "income")
    assert out["n"].iloc[0] == villages.data["income"].notna().sum()
    assert out["df"].iloc[0] == villages.df


def test_categorical_proportion_reports_unobserved_categories(villages):
    cats = ["从不", "很少", "有时", "经常", "总是", "不知道"]
    df = villages.data.assign(participation=pd.Categorical(villages.data["participation"], cats))
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    out = est.proportion(d, "participation")
    assert list(out["level"]) == cats
    row = out.iloc[-1]
    assert row["estimate"] == 0 and row["ci_low"] == 0 and row["ci_high"] == 0
    assert out["estimate"].sum() == pytest.approx(1)


def test_where_is_a_domain_not_a_filter(villages):
    mask = villages.data["head_female"].to_numpy()
    a = est.mean(villages, "members", where=mask)
    filtered = SurveyDesign(villages.data[mask], weights="w", strata="county", psu="village")
    b = est.mean(filtered, "members")
    assert a["estimate"].iloc[0] == pytest.approx(b["estimate"].iloc[0], rel=1e-12)
    # the filtered frame loses the PSUs without female heads; the domain does not
    assert a["se"].iloc[0] != pytest.approx(b["se"].iloc[0], rel=1e-6)


def test_by_cell_with_only_missing_values_gives_nan_row(villages):
    df = villages.data.copy()
    df.loc[df["county"] == "和政县", "income"] = np.nan
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    out = est.mean(d, "income", by="county").set_index("county")
    assert out.loc["和政县", "n"] == 0
    assert math.isnan(out.loc["和政县", "estimate"])
    assert out.drop(index="和政县")["estimate"].notna().all()


def test_calibrated_path_equals_plain_path_without_calibration(villages):
    same = villages.with_calibration(villages.weights, lambda z: z)
    for fn, args in (
        (est.mean, ("income",)),
        (est.total, ("members",)),
        (est.ratio, ("income", "members")),
        (est.proportion, ("participation",)),
    ):
        a = fn(villages, *args, by="broadband")
        b = fn(same, *args, by="broadband")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10)


def test_quantile_rules_differ_as_documented(villages):
    math_ = est.quantile(villages, "satisfaction", [0.5], qrule="math")["estimate"].iloc[0]
    hf7 = est.quantile(villages, "satisfaction", [0.5], qrule="hf7")["estimate"].iloc[0]
    assert math_ in {1, 2, 3, 4, 5}
    assert 1 <= hf7 <= 5


# ---------------------------------------------------------------------------- bad input
def _code(excinfo) -> str:
    return excinfo.value.code


def test_unknown_variable_suggests_close_names(villages):
    with pytest.raises(EstimationError) as e:
        est.mean(villages, "incom")
    assert _code(e) == "EST001"
    assert "'income'" in e.value.hint


def test_non_numeric_variable_points_to_proportion(villages):
    with pytest.raises(EstimationError) as e:
        est.mean(villages, "broadband")
    assert _code(e) == "EST002"
    assert "proportion()" in e.value.hint


def test_missing_values_with_na_rm_false(villages):
    with pytest.raises(EstimationError) as e:
        est.mean(villages, "income", na_rm=False)
    assert _code(e) == "EST003"
    assert "na_rm=True" in e.value.hint


def test_missing_domain_values(villages):
    df = villages.data.copy()
    df.loc[3, "broadband"] = None
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    with pytest.raises(EstimationError) as e:
        est.mean(d, "members", by="broadband")
    assert _code(e) == "EST004"
    assert "broadband" in str(e.value) and "where=" in e.value.hint
    # leaving those rows out is the documented way
    est.mean(d, "members", by="broadband", where=d.data["broadband"].notna())


def test_empty_domain(villages):
    with pytest.raises(EstimationError) as e:
        est.mean(villages, "members", where=villages.data["county"] == "临夏")
    assert _code(e) == "EST005"
    assert "empty" in str(e.value)


def test_all_missing_variable_is_an_empty_domain(villages):
    df = villages.data.assign(nothing=np.nan)
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    with pytest.raises(EstimationError) as e:
        est.mean(d, "nothing")
    assert _code(e) == "EST005"


def test_ratio_with_zero_denominator(villages):
    df = villages.data.assign(zero=0.0)
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    with pytest.raises(EstimationError) as e:
        est.ratio(d, "income", "zero", by="county")
    assert _code(e) == "EST006"
    assert "totals zero in domain county=" in str(e.value)


def test_unknown_ci_method(villages):
    with pytest.raises(EstimationError) as e:
        est.proportion(villages, "broadband", method="score")
    assert _code(e) == "EST007"


def test_quantile_probabilities_as_percentages(villages):
    with pytest.raises(EstimationError) as e:
        est.quantile(villages, "income", [50])
    assert _code(e) == "EST008"
    assert "0.9 rather than 90" in e.value.hint


def test_unknown_quantile_rule_and_interval(villages):
    with pytest.raises(EstimationError) as e:
        est.quantile(villages, "income", qrule="hf5")
    assert _code(e) == "EST009"
    with pytest.raises(EstimationError) as e:
        est.quantile(villages, "income", interval="score")
    assert _code(e) == "EST009"


def test_confidence_level_as_percent(villages):
    with pytest.raises(EstimationError) as e:
        est.mean(villages, "income", ci_level=95)
    assert _code(e) == "EST010"


def test_infinite_values(villages):
    df = villages.data.assign(ratio_bad=villages.data["income"] / 0)
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    with pytest.raises(EstimationError) as e:
        est.mean(d, "ratio_bad")
    assert _code(e) == "EST011"


def test_where_mask_of_wrong_length_or_with_missing(villages):
    with pytest.raises(EstimationError) as e:
        est.mean(villages, "income", where=[True, False])
    assert _code(e) == "EST012"
    mask = villages.data["members"].where(villages.data["members"] > 3) > 0
    with pytest.raises(EstimationError) as e:
        est.mean(villages, "income", where=mask.astype(object).where(mask, None))
    assert _code(e) == "EST012"


def test_by_column_named_like_an_output_column(villages):
    d = SurveyDesign(villages.data.assign(level=1), weights="w", strata="county", psu="village")
    with pytest.raises(EstimationError) as e:
        est.mean(d, "income", by="level")
    assert _code(e) == "EST013"


def test_estimator_needs_a_design():
    with pytest.raises(EstimationError) as e:
        est.mean(pd.DataFrame({"y": [1.0]}), "y")
    assert _code(e) == "EST014"

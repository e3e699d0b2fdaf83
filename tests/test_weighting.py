"""Weighting agrees with R's postStratify, rake, calibrate and trimWeights; bad input is coded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from survey_models_support import build, close, design_of, frame, reference

from analysis import estimate as est
from analysis import weighting
from analysis.design.survey import SurveyDesign
from analysis.errors import WeightingError

CASES = reference()["weighting"]


def _estimates(design: SurveyDesign, rows: list[dict]) -> dict:
    """baicun's estimate and SE for every R row, keyed like the JSON."""
    out = {}
    for r in rows:
        by = r["by"]
        key = (r["estimator"], r["variable"], by, r["domain"], r["level"])
        if key in out:
            continue
        categorical = r["level"] != ""
        if categorical:
            table = est.proportion(design, r["variable"], by=by, method="wald")
        elif r["estimator"] == "mean":
            table = est.mean(design, r["variable"], by=by)
        else:
            table = est.total(design, r["variable"], by=by)
        for rec in table.to_dict("records"):
            k = (
                r["estimator"],
                r["variable"],
                by,
                None if by is None else str(rec[by]),
                str(rec["level"]) if categorical else "",
            )
            out[k] = rec
    return out


def test_reference_records_versions_and_cases():
    gen = reference()["generator"]
    assert gen["R"].startswith("R version ") and gen["survey"].startswith("4.")
    methods = {s["method"] for c in CASES for s in c["calibration"]}
    assert methods == {"poststratify", "rake", "calibrate", "trim", "nonresponse"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_r(case):
    if case["warning"]:
        assert "did not converge" in case["warning"]
        with pytest.warns(RuntimeWarning, match="did not converge"):
            design = build(case)
    else:
        design = build(case)
    np.testing.assert_allclose(design.weights, case["weights"], rtol=1e-9, atol=0)
    mine = _estimates(design, case["estimates"])
    assert len(case["estimates"]) > 4
    for r in case["estimates"]:
        got = mine[(r["estimator"], r["variable"], r["by"], r["domain"], r["level"])]
        where = f"{case['id']} {r['estimator']} {r['variable']} {r['domain']} {r['level']}"
        assert close(got["estimate"], r["estimate"]), where
        assert close(got["se"], r["se"], atol=1e-12 * abs(got["estimate"])), where
    # R's degf of the calibrated design: PSUs minus strata among rows with weight
    assert est.mean(design, case["estimates"][0]["variable"])["df"].iloc[0] == case["df"]


# ---------------------------------------------------------------------------- behaviour
@pytest.fixture()
def clus1() -> SurveyDesign:
    return design_of(reference()["weighting"][0]["design"], frame("apiclus1.csv"))


POP_TYPES = {"E": 4421, "H": 755, "M": 1018}
POP_SCHWIDE = {"No": 1072, "Yes": 5122}


def test_post_stratified_totals_equal_the_census(clus1):
    ps = weighting.post_stratify(clus1, "stype", POP_TYPES)
    totals = est.total(ps, "stype")
    assert totals["estimate"].round(6).tolist() == [4421, 755, 1018]
    assert totals["se"].max() < 1e-6  # calibrated totals have no sampling error
    assert not clus1.is_calibrated  # the input design is unchanged


def test_population_table_formats_agree(clus1):
    as_dict = weighting.post_stratify(clus1, "stype", POP_TYPES).weights
    as_series = weighting.post_stratify(clus1, "stype", pd.Series(POP_TYPES)).weights
    as_frame = weighting.post_stratify(
        clus1, "stype", pd.DataFrame({"stype": ["E", "H", "M"], "人口": [4421, 755, 1018]})
    ).weights
    np.testing.assert_array_equal(as_dict, as_series)
    np.testing.assert_array_equal(as_dict, as_frame)


def test_codes_match_census_text():
    df = pd.DataFrame({"sex": [1, 2, 1, 2], "w": [1.0, 1, 1, 1], "psu": [1, 2, 3, 4]})
    d = SurveyDesign(df, weights="w", psu="psu")
    w = weighting.post_stratify(d, "sex", {"1": 30, "2": 70}).weights
    assert w.tolist() == [15, 35, 15, 35]


def test_crossed_post_strata_and_partial(clus1):
    pop = {("E", "No"): 472, ("E", "Yes"): 3949, ("H", "No"): 334, ("H", "Yes"): 421,
           ("M", "No"): 266, ("M", "Yes"): 752, ("X", "Yes"): 10}  # fmt: skip
    with pytest.raises(WeightingError) as info:
        weighting.post_stratify(clus1, ["stype", "sch.wide"], pop)
    assert info.value.code == "WGT005" and "('X', 'Yes')" in info.value.found
    ps = weighting.post_stratify(clus1, ["stype", "sch.wide"], pop, partial=True)
    assert ps.weights.sum() == pytest.approx(6194)


def test_raking_matches_both_margins(clus1):
    r = weighting.rake(clus1, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, epsilon=1e-9,
                       max_iter=100)  # fmt: skip
    assert est.total(r, "stype")["estimate"].tolist() == pytest.approx([4421, 755, 1018])
    assert est.total(r, "sch.wide")["estimate"].tolist() == pytest.approx([1072, 5122])


def test_linear_calibration_hits_totals_and_accepts_r_names(clus1):
    totals = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069}
    c = weighting.calibrate(clus1, "stype + api99", totals)
    assert est.total(c, "api99")["estimate"].iloc[0] == pytest.approx(3914069)
    assert est.total(c, "api99")["se"].iloc[0] < 1e-3
    same = weighting.calibrate(clus1, "stype + api99", [6194, 755, 1018, 3914069])
    np.testing.assert_allclose(c.weights, same.weights, rtol=1e-12)


def test_raking_calibration_keeps_weights_positive(clus1):
    c = weighting.calibrate(
        clus1, "stype", {"Intercept": 6194, "stype[T.H]": 755, "stype[T.M]": 1018},
        calfun="raking",
    )  # fmt: skip
    assert (c.weights > 0).all()
    assert c.weights.sum() == pytest.approx(6194)


def test_trimming_keeps_the_total_and_bounds():
    df = pd.DataFrame({"w": [5.0, 10, 10, 10, 100], "psu": [1, 2, 3, 4, 5]})
    d = SurveyDesign(df, weights="w", psu="psu")
    t = weighting.trim_weights(d, lower=8, upper=50, strict=True)
    assert t.weights.sum() == pytest.approx(135)
    assert t.weights.min() >= 8 - 1e-12 and t.weights.max() <= 50 + 1e-12
    assert weighting.trim_weights(d, upper=1000) is d  # nothing to trim


def test_nonresponse_adjustment_keeps_class_totals(clus1):
    ok = (clus1.data["snum"] % 4 != 0).to_numpy()
    adj = weighting.adjust_nonresponse(clus1, ok, classes="stype")
    before = pd.Series(clus1.weights).groupby(clus1.data["stype"].to_numpy()).sum()
    after = pd.Series(adj.weights).groupby(clus1.data["stype"].to_numpy()).sum()
    pd.testing.assert_series_equal(before, after)
    assert (adj.weights[~ok] == 0).all()
    assert est.mean(adj, "api00")["n"].iloc[0] == ok.sum()


@pytest.mark.parametrize("classes", [None, "stype", ["stype", "sch.wide"]])
def test_both_public_nonresponse_adjustments_give_the_same_weights(clus1, classes):
    """analysis.adjust_nonresponse (a design) and analysis.adjust_for_nonresponse (a frame)."""
    from analysis import adjust_for_nonresponse, adjust_nonresponse

    data = clus1.data.assign(w=clus1.weights, ok=(clus1.data["snum"] % 3 != 0).to_numpy())
    on_design = adjust_nonresponse(clus1, data["ok"].to_numpy(), classes=classes)
    on_frame = adjust_for_nonresponse(data, weight="w", responded="ok", classes=classes)
    assert np.array_equal(on_design.weights, on_frame.to_numpy())
    assert on_frame.name == "w" and on_frame.index.equals(data.index)
    by_name = adjust_nonresponse(SurveyDesign(data, weights="w"), "ok", classes=classes)
    assert np.array_equal(by_name.weights, on_frame.to_numpy())


def test_both_nonresponse_adjustments_refuse_a_class_without_respondents(clus1):
    from analysis.errors import DesignError
    from analysis.sampling import adjust_for_nonresponse

    ok = (clus1.data["stype"] != "H").to_numpy()
    err = code_of(lambda: weighting.adjust_nonresponse(clus1, ok, classes="stype"))
    assert err.code == "WGT013"
    data = clus1.data.assign(w=clus1.weights, ok=ok)
    with pytest.raises(DesignError) as info:
        adjust_for_nonresponse(data, weight="w", responded="ok", classes="stype")
    assert info.value.code == "DES105" and "H" in str(info.value)


def test_weight_summary(clus1):
    ps = weighting.post_stratify(clus1, "stype", POP_TYPES)
    s = weighting.weight_summary(ps).iloc[0]
    assert s["n"] == 183 and s["total"] == pytest.approx(6194)
    assert s["deff_kish"] >= 1 and s["n_effective"] <= 183


# ---------------------------------------------------------------------------- bad input
def code_of(fn) -> WeightingError:
    with pytest.raises(WeightingError) as info:
        fn()
    return info.value


def test_margin_missing_a_sample_category(clus1):
    err = code_of(lambda: weighting.rake(clus1, {"stype": {"E": 4421, "H": 755},
                                                 "sch.wide": POP_SCHWIDE}))  # fmt: skip
    assert err.code == "WGT004"
    assert "'M'" in err.found and "census table" in err.hint


def test_margin_with_a_category_the_sample_lacks(clus1):
    err = code_of(lambda: weighting.post_stratify(clus1, "stype", {**POP_TYPES, "K": 3}))
    assert err.code == "WGT005" and "partial=True" in err.hint


def test_margins_with_different_totals(clus1):
    err = code_of(
        lambda: weighting.rake(clus1, {"stype": POP_TYPES, "sch.wide": {"No": 1072, "Yes": 5000}})
    )
    assert err.code == "WGT006"
    assert "6,194" in err.found and "6,072" in err.found


def test_raking_that_does_not_converge(clus1):
    margins = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE, "comp.imp": {"No": 1712, "Yes": 4482}}
    err = code_of(lambda: weighting.rake(clus1, margins, epsilon=1e-12, max_iter=2))
    assert err.code == "WGT007" and "max_iter" in err.hint
    with pytest.warns(RuntimeWarning):
        weighting.rake(clus1, margins, epsilon=1e-12, max_iter=2, strict=False)


def test_unknown_and_incomplete_weighting_columns(clus1):
    err = code_of(lambda: weighting.post_stratify(clus1, "stypes", POP_TYPES))
    assert err.code == "WGT001" and "'stype'" in err.hint
    err = code_of(lambda: weighting.post_stratify(clus1, "avg.ed", {1: 2}))
    assert err.code == "WGT002"


def test_malformed_population_tables(clus1):
    assert code_of(lambda: weighting.post_stratify(clus1, "stype", [1, 2])).code == "WGT003"
    err = code_of(lambda: weighting.post_stratify(clus1, "stype", {"E": -1, "H": 1, "M": 1}))
    assert err.code == "WGT003" and "-1" in err.found
    bad = pd.DataFrame({"type": ["E"], "Freq": [1]})
    assert code_of(lambda: weighting.post_stratify(clus1, "stype", bad)).code == "WGT003"


def test_calibration_problems(clus1):
    err = code_of(lambda: weighting.calibrate(clus1, "stype + api98", [1, 2, 3, 4]))
    assert err.code == "WGT008" and "'api99'" in err.hint
    err = code_of(lambda: weighting.calibrate(clus1, "api99", {"Intercept": 6194}))
    assert err.code == "WGT009" and "api99" in err.found
    err = code_of(lambda: weighting.calibrate(clus1, "Q('avg.ed')", [6194, 1e4]))
    assert err.code == "WGT008" and "missing" in err.message
    data = clus1.data.assign(twice=clus1.data["api99"] * 2)
    d2 = SurveyDesign(data, weights="pw", psu="dnum", fpc="fpc")
    err = code_of(lambda: weighting.calibrate(d2, "api99 + twice", [6194, 3.9e6, 7.8e6]))
    assert err.code == "WGT010"
    err = code_of(lambda: weighting.calibrate(clus1, "api99", [6194, 3.9e6], calfun="probit"))
    assert err.code == "WGT015"
    err = code_of(lambda: weighting.calibrate(clus1, "api99", [6194, 1.5e6]))
    assert err.code == "WGT011" and "bounds" in err.hint
    err = code_of(
        lambda: weighting.calibrate(clus1, "api99", [6194, 1.5e6], bounds=(0.9, 1.1), max_iter=5)
    )
    assert err.code == "WGT010"


def test_trimming_problems(clus1):
    assert code_of(lambda: weighting.trim_weights(clus1)).code == "WGT012"
    assert code_of(lambda: weighting.trim_weights(clus1, lower=5, upper=2)).code == "WGT012"
    err = code_of(lambda: weighting.trim_weights(clus1, upper=10))
    assert err.code == "WGT012" and "Widen" in err.hint


def test_nonresponse_problems(clus1):
    err = code_of(lambda: weighting.adjust_nonresponse(clus1, [True, False]))
    assert err.code == "WGT013"
    only_e_fail = (clus1.data["stype"] != "E").to_numpy()
    err = code_of(lambda: weighting.adjust_nonresponse(clus1, only_e_fail, classes="stype"))
    assert err.code == "WGT013" and "Merge" in err.hint


def test_not_a_design_and_bad_arguments(clus1):
    assert code_of(lambda: weighting.rake(clus1.data, {"stype": POP_TYPES})).code == "WGT014"
    assert code_of(lambda: weighting.rake(clus1, {})).code == "WGT015"
    err = code_of(lambda: weighting.rake(clus1, {"stype": POP_TYPES}, max_iter=0))
    assert err.code == "WGT015"


def test_every_weighting_error_is_documented():
    import re

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "errors" / "weighting.md").read_text(encoding="utf-8")
    src = "".join(
        p.read_text(encoding="utf-8") for p in (root / "analysis" / "weighting").glob("*.py")
    )
    codes = set(re.findall(r'"(WGT\d{3})"', src))
    assert len(codes) >= 12
    for code in codes:
        assert f"`{code}`" in doc, code

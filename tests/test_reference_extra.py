"""Covariances and contrasts, svychisq Wald tests, likelihood intervals, logit calibration
and zero weights against R's survey package (``tests/reference/survey_reference_extra.R``).

Relative tolerance 1e-9, as tests/test_estimate.py.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import estimate as est
from analysis.design.survey import SurveyDesign
from analysis.estimate.contrasts import contrast, row_labels, vcov
from analysis.estimate.crosstab import chisq_test

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-9


@cache
def reference() -> dict:
    return json.loads((REF / "survey_reference_extra.json").read_text(encoding="utf-8"))


@cache
def frame(name: str) -> pd.DataFrame:
    df = pd.read_csv(REF / f"{name}.csv", keep_default_na=False, na_values=[""])
    if name == "village_households":
        zero = (df["hh"] % 4 == 0) | (df["village_uid"] == "康乐县-村02")
        df["w0"] = np.where(zero, 0.0, df["w"])
    return df


def _list(v) -> list:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


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
    )
    ps = spec.get("poststrata")
    if ps:
        from analysis.weighting import post_stratify

        population = dict(zip(_list(ps["levels"]), ps["counts"]))
        design = post_stratify(design, ps["variable"], population)
    return design


def _ids(section: str) -> list[str]:
    return [c["id"] for c in reference()[section]]


def _case(section: str, case_id: str) -> dict:
    return next(c for c in reference()[section] if c["id"] == case_id)


def test_generator_is_recorded():
    gen = reference()["generator"]
    assert gen["survey"] and gen["R"].startswith("R version")


# ---------------------------------------------------------------- covariances, contrasts
@pytest.mark.parametrize("case_id", _ids("contrasts"))
def test_vcov_and_contrasts_match_r(case_id):
    case = _case("contrasts", case_id)
    design = build(case)
    table = vcov(
        design,
        case["estimator"],
        _list(case["variables"]),
        denominator=case["denominator"],
        by=_list(case["by"]) or None,
    )
    labels = case["labels"]
    got = table.attrs["vcov"].loc[labels, labels].to_numpy()
    np.testing.assert_allclose(got, np.array(case["vcov"], dtype=float), rtol=RTOL, atol=1e-12)
    estimate = pd.Series(table["estimate"].to_numpy(), index=row_labels(table))
    np.testing.assert_allclose(estimate[labels].to_numpy(), case["estimate"], rtol=RTOL)
    # the diagonal is the table's own SE
    np.testing.assert_allclose(
        np.sqrt(np.diag(table.attrs["vcov"].to_numpy())), table["se"].to_numpy(), rtol=RTOL
    )
    for c in case["contrasts"]:
        res = contrast(table, {c["name"]: c["weights"]})
        assert res["contrast"].tolist() == [c["name"]]
        assert res["estimate"].iloc[0] == pytest.approx(c["estimate"], rel=RTOL)
        assert res["se"].iloc[0] == pytest.approx(c["se"], rel=RTOL)


# ---------------------------------------------------------------- svychisq Wald, adjWald
@pytest.mark.parametrize("case_id", _ids("chisq"))
def test_wald_tests_match_r(case_id):
    case = _case("chisq", case_id)
    res = chisq_test(build(case), case["row"], case["col"], statistic=case["statistic"])
    r = res.iloc[0]
    assert r["statistic"] == case["statistic"]
    # R reports Pearson's X^2 as the statistic of "Chisq" (its p-value is corrected)
    keys = {"value": "pearson" if case["statistic"] == "Chisq" else "value"}
    for key in ("value", "ndf", "ddf", "p_value"):
        expected = case[key]
        if expected is None:
            assert np.isnan(r[keys.get(key, key)]), key
            continue
        assert r[keys.get(key, key)] == pytest.approx(float(np.ravel(expected)[0]), rel=RTOL), key


# ---------------------------------------------------------------- likelihood intervals
@pytest.mark.parametrize("index", range(len(reference()["likelihood"])))
def test_likelihood_interval_matches_r(index):
    case = reference()["likelihood"][index]
    design = build(case)
    by = _list(case["by"]) or None
    table = est.proportion(
        design, case["variable"], by=by, method="likelihood", ci_level=case["ci_level"]
    )
    table = table[table["level"].astype(str) == case["level"]]
    if by:
        table = table[table[by[0]].astype(str) == case["cell"]]
    row = table.iloc[0]
    assert row["estimate"] == pytest.approx(case["estimate"], rel=RTOL)
    assert [row["ci_low"], row["ci_high"]] == pytest.approx(case["ci"], rel=RTOL)


# ---------------------------------------------------------------- logit calibration
@pytest.mark.parametrize("case_id", _ids("calibration"))
def test_logit_calibration_matches_r(case_id):
    from analysis.weighting import calibrate

    case = _case("calibration", case_id)
    design = build(case)
    formula = case["formula"].lstrip("~")
    formula = formula.replace("stype", "C(stype)").replace("county", "C(county)")
    cal = calibrate(
        design, formula, list(case["population"].values()), calfun="logit", bounds=case["bounds"]
    )
    np.testing.assert_allclose(cal.weights, case["weights"], rtol=RTOL)
    lo, hi = case["bounds"]
    ratio = cal.weights / design.weights
    assert (ratio > lo).all() and (ratio < hi).all()
    variables = _list(case["variables"])
    m = est.mean(cal, variables)
    t = est.total(cal, variables)
    np.testing.assert_allclose(m["estimate"], case["mean"], rtol=RTOL)
    # (the mean of a calibration variable is fixed: R and baicun give SEs of ~1e-16 there)
    np.testing.assert_allclose(m["se"], case["mean_se"], rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(t["estimate"], case["total"], rtol=RTOL)
    np.testing.assert_allclose(t["se"], case["total_se"], rtol=RTOL, atol=1e-8)


def test_logit_calibration_needs_bounds_around_one():
    from analysis.errors import WeightingError
    from analysis.weighting import calibrate

    case = _case("calibration", "clus1_stype_enroll")
    design = build(case)
    for bounds in (None, (0.5, np.inf), (1.2, 3.0)):
        with pytest.raises(WeightingError) as info:
            calibrate(design, "C(stype)", [6194, 755, 1018], calfun="logit", bounds=bounds)
        assert info.value.code == "WGT020"
        assert "logit calibration needs finite bounds around 1" in str(info.value)


# ---------------------------------------------------------------- zero weights
@pytest.mark.parametrize("index", range(len(reference()["zero_weights"])))
def test_zero_weights_match_r(index):
    case = reference()["zero_weights"][index]
    design = build(case)
    by = _list(case["by"]) or None
    kind = case["estimator"]
    if kind == "proportion":
        table = est.proportion(design, case["variable"], by=by, method="beta")
    elif kind == "quantile":
        table = est.quantile(design, case["variable"], 0.5, by=by)
    else:
        table = getattr(est, kind)(design, case["variable"], by=by)
    if by:
        table = table[table[by[0]] == case["cell"]]
    if kind == "proportion":
        assert table["level"].tolist() == _list(case["levels"])
    np.testing.assert_allclose(table["estimate"], np.ravel(case["estimate"]), rtol=RTOL)
    np.testing.assert_allclose(table["se"], np.ravel(case["se"]).astype(float), rtol=RTOL)
    if kind != "quantile":
        np.testing.assert_allclose(table["deff"], np.ravel(case["deff"]), rtol=RTOL)
    assert (table["df"] == case["df"]).all()
    assert (table["n"] == case["n"]).all()
    ci = np.array(case["ci"], dtype=float).reshape(len(table), 2)  # None -> NaN
    np.testing.assert_allclose(table[["ci_low", "ci_high"]].to_numpy(), ci, rtol=RTOL)

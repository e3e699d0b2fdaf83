"""Design-based regression agrees with R's svyglm; bad models give coded errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survey_models_support import build, close, design_of, frame, reference

from analysis.design.survey import SurveyDesign
from analysis.errors import EstimationError
from analysis.models.formulas import r_style_name
from analysis.models.glm import linear_regression, logistic_regression, regression

CASES = reference()["models"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_r_svyglm(case):
    design = build(case)
    where = None if case["where"] is None else design.data[case["where"]].to_numpy(dtype=bool)
    m = regression(design, case["formula"], family=case["family"], where=where)
    assert m.df == case["df"]
    assert m.n == case["n"]
    if case["family"] != "gaussian":  # the same IRLS path as R's glm.fit
        assert m.iterations == case["iterations"]
    mine = {r_style_name(rec["term"]): rec for rec in m.coefficients.to_dict("records")}
    assert sorted(mine) == sorted(r["term_r"] for r in case["coefficients"])
    for r in case["coefficients"]:
        got = mine[r["term_r"]]
        for col in ("estimate", "se", "t", "p_value", "ci_low", "ci_high"):
            assert close(got[col], r[col]), f"{case['id']} {r['term_r']} {col}"


def test_reference_covers_both_families_calibration_and_domains():
    assert {c["family"] for c in CASES} == {"gaussian", "binomial", "poisson"}
    assert any(c["calibration"] for c in CASES)
    assert any(c["where"] for c in CASES)
    assert len(CASES) >= 10


# ---------------------------------------------------------------------------- behaviour
@pytest.fixture(scope="module")
def strat() -> SurveyDesign:
    return design_of(CASES[0]["design"], frame("apistrat.csv"))


def test_design_standard_errors_differ_from_naive(strat):
    m = linear_regression(strat, "api00 ~ ell + meals + mobility")
    naive = np.sqrt(np.diag(m.fit.cov_params()))
    assert not np.allclose(m.coefficients["se"], naive, rtol=0.01)
    assert m.cov.shape == (4, 4) and np.allclose(m.cov, m.cov.T)


def test_odds_ratios_and_predictions(strat):
    m = logistic_regression(strat, "I(Q('sch.wide') == 'Yes') ~ meals")
    odds = m.odds_ratios()
    assert (odds["odds_ratio"] > 0).all()
    assert odds["ci_low"].lt(odds["odds_ratio"]).all()
    p = m.predict(pd.DataFrame({"meals": [0.0, 100.0]}))
    assert ((p > 0) & (p < 1)).all()
    with pytest.raises(EstimationError) as info:
        linear_regression(strat, "api00 ~ meals").odds_ratios()
    assert info.value.code == "EST204"


def test_true_false_response(strat):
    data = strat.data.assign(passed=strat.data["sch.wide"] == "Yes")
    d = SurveyDesign(data, weights="pw", strata="stype", fpc="fpc", nest=False)
    a = logistic_regression(d, "passed ~ meals").coefficients
    b = logistic_regression(d, "I(Q('sch.wide') == 'Yes') ~ meals").coefficients
    np.testing.assert_allclose(a["estimate"], b["estimate"])


# ---------------------------------------------------------------------------- bad input
def code_of(fn) -> EstimationError:
    with pytest.raises(EstimationError) as info:
        fn()
    return info.value


def test_unknown_column_in_formula(strat):
    err = code_of(lambda: linear_regression(strat, "api00 ~ meal + ell"))
    assert err.code == "EST201" and err.column == "meal"
    assert "'meals'" in err.hint
    err = code_of(lambda: linear_regression(strat, "api00 ~ avg + ell"))
    assert "Q('avg.ed')" in err.hint
    assert code_of(lambda: linear_regression(strat, "api00 ~ ell +")).code == "EST201"


def test_perfectly_separated_logistic_model():
    rng = np.random.default_rng(3)
    n = 120
    df = pd.DataFrame(
        {
            "county": np.repeat(["甲县", "乙县", "丙县"], n // 3),
            "village": np.repeat(np.arange(12), n // 12),
            "w": rng.uniform(5, 15, n),
            "age": rng.integers(20, 70, n),
        }
    )
    df["joined"] = (rng.uniform(size=n) < 0.4).astype(int)
    df.loc[df["county"] == "丙县", "joined"] = 0  # nobody joined in 丙县
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    err = code_of(lambda: logistic_regression(d, "joined ~ age + C(county)"))
    assert err.code == "EST202"
    assert "C(county)[T.乙县]" in err.found  # the direction separating 丙县 from the others
    assert "Merge or drop" in err.hint
    # completely separated by a continuous variable
    df["old"] = (df["age"] > 45).astype(int)
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    assert code_of(lambda: logistic_regression(d, "old ~ age")).code == "EST202"
    # without the separating term the model fits
    assert logistic_regression(d, "joined ~ age").df == d.df - 1


def test_bad_responses_families_and_collinear_terms(strat):
    err = code_of(lambda: logistic_regression(strat, "api00 ~ meals"))
    assert err.code == "EST205" and "I(score >= 60)" in err.hint
    assert code_of(lambda: linear_regression(strat, "stype ~ meals")).code == "EST205"
    assert code_of(lambda: regression(strat, "api00 ~ meals", family="probit")).code == "EST204"
    err = code_of(lambda: regression(strat, "I(api00 - 1000) ~ meals", family="poisson"))
    assert err.code == "EST205"
    assert code_of(lambda: linear_regression(strat, "~ meals")).code == "EST208"
    data = strat.data.assign(meals2=strat.data["meals"] * 2)
    d = SurveyDesign(data, weights="pw", strata="stype", fpc="fpc", nest=False)
    err = code_of(lambda: linear_regression(d, "api00 ~ meals + meals2"))
    assert err.code == "EST206" and "meals2" in err.found


def test_no_usable_rows(strat):
    err = code_of(lambda: linear_regression(strat, "api00 ~ flag"))
    assert err.code == "EST207"

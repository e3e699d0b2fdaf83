"""Crosstabs agree with R's svychisq and svyby shares; bad tables give coded errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survey_models_support import build, close, design_of, frame, reference

from analysis import estimate as est
from analysis.design.survey import SurveyDesign
from analysis.errors import EstimationError
from analysis.estimate.crosstab import chisq_test, crosstab

CHISQ = reference()["chisq"]
SHARES = reference()["shares"]


@pytest.mark.parametrize("case", CHISQ, ids=[c["id"] for c in CHISQ])
def test_rao_scott_matches_r_svychisq(case):
    design = build(case)
    f = chisq_test(design, case["row"], case["col"], statistic="F", where=case["where"]).iloc[0]
    assert close(f["value"], case["F"]["statistic"]), "F"
    assert close(f["ndf"], case["F"]["parameter"]["ndf"]), "ndf"
    assert close(f["ddf"], case["F"]["parameter"]["ddf"]), "ddf"
    assert close(f["p_value"], case["F"]["p_value"]), "p (F)"
    c = chisq_test(design, case["row"], case["col"], statistic="Chisq", where=case["where"])
    c = c.iloc[0]
    assert close(c["pearson"], case["Chisq"]["statistic"]), "X-squared"
    assert c["ndf"] == case["Chisq"]["parameter"]["df"]
    assert close(c["p_value"], case["Chisq"]["p_value"]), "p (Chisq)"
    # the F statistic is X^2 over the trace of the design-effect matrix
    assert f["pearson"] == pytest.approx(f["value"] * f["deff"] * c["ndf"], rel=1e-12)


@pytest.mark.parametrize("case", SHARES, ids=[c["id"] for c in SHARES])
def test_shares_and_counts_match_r_svyby(case):
    design = build(case)
    t = crosstab(design, case["row"], case["col"], where=case["where"], method="wald")
    tables = {
        "row": (t.row_shares, case["row"]),
        "col": (t.col_shares, case["col"]),
        "row_count": (t.counts, case["row"]),
    }
    index = {
        (kind, str(rec[by]), str(rec["level"])): rec
        for kind, (table, by) in tables.items()
        for rec in table.to_dict("records")
    }
    checked = 0
    for r in case["rows"]:
        if r["kind"] == "col_count":  # the same cells as row_count, in the other order
            continue
        mine = index[(r["kind"], r["domain"], r["level"])]
        where = f"{case['id']} {r['kind']} {r['domain']} {r['level']}"
        assert close(mine["estimate"], r["estimate"]), where
        assert close(mine["se"], r["se"], atol=1e-12 * max(1.0, mine["estimate"])), where
        checked += 1
    assert checked == len(t.row_shares) + len(t.col_shares) + len(t.counts)


def test_reference_covers_calibrated_subset_and_empty_cells():
    ids = {c["id"] for c in CHISQ}
    assert {"clus1_ps_schwide_compimp", "vh1_female_ethnicity_broadband"} <= ids
    assert len(CHISQ) >= 12
    case = next(c for c in CHISQ if c["id"] == "vh1_ethnicity_participation")
    test = chisq_test(build(case), case["row"], case["col"]).iloc[0]
    assert test["empty_cells"] == 1  # 东乡族 x 总是: allowed, as in R
    with pytest.raises(EstimationError) as info:
        crosstab(build(case), case["row"], case["col"], empty_cells="fail")
    assert info.value.code == "EST107" and "Merge" in info.value.hint


# ---------------------------------------------------------------------------- behaviour
@pytest.fixture(scope="module")
def villages() -> SurveyDesign:
    spec = next(c for c in CHISQ if c["id"] == "vh1_ethnicity_broadband")["design"]
    return design_of(spec, frame("village_households.csv"))


def test_shares_add_up_and_counts_match_totals(villages):
    t = crosstab(villages, "county", "participation")
    sums = t.row_shares.groupby("county")["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0)
    assert set(t.col_shares.columns[:3]) == {"participation", "variable", "level"}
    # counts of a row add to that county's estimated number of households answering
    answered = villages.data["participation"].notna()
    by_county = est.total(villages, "members", by="county", where=answered)
    households = t.counts.groupby("county")["estimate"].sum()
    w = pd.Series(villages.weights[answered.to_numpy()]).groupby(
        villages.data.loc[answered, "county"].to_numpy()
    )
    np.testing.assert_allclose(households.sort_index(), w.sum().sort_index())
    assert len(by_county) == len(households)


def test_wide_tables_for_reports(villages):
    t = crosstab(villages, "county", "broadband")
    wide = t.wide("row_shares")
    assert list(wide.columns) == ["无", "有"] and wide.index.name == "county"
    assert t.wide("col_shares").shape == (5, 2)
    assert t.wide("counts", "se").notna().all().all()


def test_independent_variables_are_not_significant():
    rng = np.random.default_rng(7)
    n = 600
    df = pd.DataFrame(
        {
            "stratum": np.repeat(np.arange(10), n // 10),
            "psu": np.repeat(np.arange(60), n // 60),
            "w": rng.uniform(1, 3, n),
            "a": rng.choice(["x", "y", "z"], n),
            "b": rng.choice(["p", "q"], n),
        }
    )
    d = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    assert chisq_test(d, "a", "b")["p_value"].iloc[0] > 0.01
    df["b"] = np.where(df["a"] == "x", "p", df["b"])  # now strongly associated
    d = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    assert chisq_test(d, "a", "b", statistic="Chisq")["p_value"].iloc[0] < 1e-6


# ---------------------------------------------------------------------------- bad input
def code_of(fn) -> EstimationError:
    with pytest.raises(EstimationError) as info:
        fn()
    return info.value


def test_empty_level_is_an_error(villages):
    data = villages.data.copy()
    data["participation"] = pd.Categorical(
        data["participation"], categories=["从不", "很少", "有时", "经常", "总是", "不知道"]
    )
    d = SurveyDesign(data, weights="w", strata="county", psu="village")
    err = code_of(lambda: crosstab(d, "participation", "broadband"))
    assert err.code == "EST102" and "不知道" in err.found
    assert "remove_unused_categories" in err.hint


def test_level_present_only_with_the_other_variable_missing(villages):
    data = villages.data.copy()
    data.loc[data["participation"].isna(), "ethnicity"] = "撒拉族"
    d = SurveyDesign(data, weights="w", strata="county", psu="village")
    err = code_of(lambda: chisq_test(d, "ethnicity", "participation"))
    assert err.code == "EST102" and "撒拉族" in err.found


def test_single_category_same_column_and_unknown_column(villages):
    female = villages.data["county"] == "临夏县"
    err = code_of(lambda: crosstab(villages, "county", "broadband", where=female))
    assert err.code == "EST103"
    assert code_of(lambda: crosstab(villages, "county", "county")).code == "EST101"
    err = code_of(lambda: crosstab(villages, "county", "broadbnd"))
    assert err.code == "EST001" and "'broadband'" in err.hint


def test_unknown_statistic_too_many_cells_and_no_rows(villages):
    assert code_of(lambda: chisq_test(villages, "county", "tv", statistic="G")).code == "EST104"
    assert code_of(lambda: crosstab(villages, "hh", "income")).code == "EST106"
    data = villages.data.assign(empty=np.nan)
    d = SurveyDesign(data, weights="w", strata="county", psu="village")
    assert code_of(lambda: crosstab(d, "county", "empty")).code == "EST105"


def test_unit_total_and_row_level_variance_paths_agree(villages):
    # a calibration that changes nothing sends the table through the row-level path
    same = villages.with_calibration(villages.weights, lambda z: z)
    a = crosstab(villages, "ethnicity", "participation")
    b = crosstab(same, "ethnicity", "participation")
    pd.testing.assert_frame_equal(a.test, b.test, rtol=1e-10)
    pd.testing.assert_frame_equal(a.counts, b.counts, rtol=1e-10)

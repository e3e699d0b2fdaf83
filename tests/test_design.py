"""The survey design: checked once with survey-vocabulary errors, immutable, reusable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import estimate as est
from analysis.design.survey import SurveyDesign
from analysis.errors import DesignError

REF = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="module")
def households() -> pd.DataFrame:
    return pd.read_csv(REF / "village_households.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def lonely() -> pd.DataFrame:
    return pd.read_csv(REF / "village_households_lonely.csv", keep_default_na=False, na_values=[""])


def small(**changes) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "county": ["A", "A", "A", "A", "B", "B", "B", "B"],
            "village": [1, 1, 2, 2, 1, 1, 2, 2],
            "w": [10.0, 10, 12, 12, 8, 8, 9, 9],
            "N": [20, 20, 20, 20, 30, 30, 30, 30],
            "y": [3.0, 4, 6, 5, 2, 3, 4, 8],
        }
    )
    for col, values in changes.items():
        df[col] = values
    return df


def code_of(fn) -> DesignError:
    with pytest.raises(DesignError) as info:
        fn()
    return info.value


# ---------------------------------------------------------------------------- structure
def test_counts_strata_psus_and_degrees_of_freedom(households):
    d = SurveyDesign(households, weights="w", strata="county", psu="village")
    assert d.n_strata == 5
    assert d.n_psu == households["village_uid"].nunique()
    assert d.df == d.n_psu - d.n_strata
    assert d.psu.shape == d.strata.shape == (len(households),)
    # PSU codes nest in strata: one stratum per PSU
    assert pd.Series(d.strata).groupby(d.psu).nunique().max() == 1


def test_nest_true_relabels_villages_within_counties(households):
    nested = SurveyDesign(households, weights="w", strata="county", psu="village")
    unique = SurveyDesign(households, weights="w", strata="county", psu="village_uid", nest=False)
    assert nested.n_psu == unique.n_psu
    a = est.mean(nested, "income", by="broadband")
    b = est.mean(unique, "income", by="broadband")
    pd.testing.assert_frame_equal(a, b)


def test_psus_not_nested_in_strata_fail_with_nest_false(households):
    err = code_of(
        lambda: SurveyDesign(households, weights="w", strata="county", psu="village", nest=False)
    )
    assert err.code == "DES009"
    assert "more than one stratum" in err.message
    assert "nest=True" in err.hint


def test_two_stage_design_uses_every_stage_with_fpc(households):
    d = SurveyDesign(
        households, weights="w", strata="county", psu=["village", "hh"], fpc=["N_v", "N_h"]
    )
    assert [s.number for s in d.stages] == [1, 2]
    first, second = d.stages
    assert first.n_groups == 5 and first.n_units == d.n_psu
    assert second.n_groups == d.n_psu and second.n_units == len(households)
    # stage-2 variance is scaled by the first-stage sampling fraction n/N
    county_of_psu = first.unit_group
    np.testing.assert_allclose(second.multiplier, (first.sampled / first.population)[county_of_psu])
    # without fpc only the first stage counts (ultimate cluster)
    uc = SurveyDesign(households, weights="w", strata="county", psu=["village", "hh"])
    assert len(uc.stages) == 1


def test_fpc_as_fraction_equals_fpc_as_population_size(households):
    sizes = SurveyDesign(
        households, weights="w", strata="county", psu=["village", "hh"], fpc=["N_v", "N_h"]
    )
    fractions = SurveyDesign(
        households, weights="w", strata="county", psu=["village", "hh"], fpc=["f_v", "f_h"]
    )
    a = est.mean(sizes, "members")["se"].iloc[0]
    b = est.mean(fractions, "members")["se"].iloc[0]
    assert a == pytest.approx(b, rel=1e-9)


def test_weights_none_derives_weights_from_fpc(households):
    d = SurveyDesign(
        households, weights=None, strata="county", psu=["village", "hh"], fpc=["N_v", "N_h"]
    )
    expected = households["N_v"] / households["n_v"] * households["N_h"] / households["m_h"]
    np.testing.assert_allclose(d.weights, expected, rtol=1e-12)
    plain = SurveyDesign(small(), weights=None, strata="county")
    assert (plain.weights == 1).all()


def test_design_is_immutable_and_independent_of_later_edits():
    df = small()
    d = SurveyDesign(df, weights="w", strata="county", psu="village")
    with pytest.raises(AttributeError):
        d.lonely_psu = "adjust"
    with pytest.raises(ValueError):
        d.weights[0] = 1.0
    before = est.mean(d, "y")["estimate"].iloc[0]
    df.loc[0, "y"] = 1000.0
    df.loc[0, "w"] = 1000.0
    assert est.mean(d, "y")["estimate"].iloc[0] == before


def test_repr_names_the_design():
    d = SurveyDesign(small(), weights="w", strata="county", psu="village")
    assert repr(d) == (
        "SurveyDesign(8 rows, 2 strata, 4 PSUs, 1 stage, df=2, weights='w', lonely_psu='fail')"
    )


# ---------------------------------------------------------------------------- variance engine
def test_variance_of_influence_matrix_matches_estimators(households):
    d = SurveyDesign(households, weights="w", strata="county", psu="village")
    y = households["members"].to_numpy(dtype=float)
    w = d.weights
    ybar = (w * y).sum() / w.sum()
    z = np.column_stack([w * (y - ybar) / w.sum(), w * y])
    cov = d.variance(z)
    assert cov.shape == (2, 2)
    assert np.sqrt(cov[0, 0]) == pytest.approx(est.mean(d, "members")["se"].iloc[0], rel=1e-12)
    assert np.sqrt(cov[1, 1]) == pytest.approx(est.total(d, "members")["se"].iloc[0], rel=1e-12)
    assert cov[0, 1] == pytest.approx(cov[1, 0])
    # symmetric positive semi-definite
    assert np.all(np.linalg.eigvalsh(cov) >= -1e-9 * abs(cov).max())


def test_variance_by_domain_codes_and_mask(households):
    d = SurveyDesign(households, weights="w", strata="county", psu="village")
    codes = pd.factorize(households["broadband"], sort=True)[0]
    z = d.weights * households["members"].to_numpy(dtype=float)
    by_codes = d.variance(z, domain=codes)
    assert by_codes.shape == (2, 1, 1)
    mask = codes == 1
    one = d.variance(np.where(mask, z, 0.0), domain=mask)
    assert one[0, 0] == pytest.approx(by_codes[1, 0, 0], rel=1e-12)
    totals = est.total(d, "members", by="broadband")
    np.testing.assert_allclose(np.sqrt(by_codes[:, 0, 0]), totals["se"], rtol=1e-12)


def test_variance_checks_shapes(households):
    d = SurveyDesign(households, weights="w", strata="county", psu="village")
    assert code_of(lambda: d.variance(np.ones(3))).code == "DES020"
    assert code_of(lambda: d.variance(np.ones(len(households)), domain=[True])).code == "DES020"


def test_domain_sizes_are_rows_and_r_degrees_of_freedom(households):
    d = SurveyDesign(households, weights="w", strata="county", psu="village")
    codes = np.where(households["county"] == "临夏县", 0, -1)
    n, df = d.domain_sizes(codes, 1)
    villages = households.loc[households["county"] == "临夏县", "village"].nunique()
    assert n[0] == (households["county"] == "临夏县").sum()
    assert df[0] == villages - 1


def test_calibrated_design_keeps_structure_and_residualises():
    d = SurveyDesign(small(), weights="w", strata="county", psu="village")
    # residualising everything away leaves no variance
    c = d.with_calibration(d.weights, lambda z: np.zeros_like(z))
    assert c.is_calibrated and not d.is_calibrated
    assert est.mean(c, "y")["se"].iloc[0] == 0
    assert c.n_psu == d.n_psu and c.df == d.df
    assert code_of(lambda: d.with_calibration(-d.weights, lambda z: z)).code == "DES021"
    assert code_of(lambda: d.with_calibration(d.weights, "no")).code == "DES021"


# ---------------------------------------------------------------------------- lonely PSUs
def test_lonely_psu_fails_by_default_and_names_the_stratum(lonely):
    err = code_of(lambda: SurveyDesign(lonely, weights="w", strata="county", psu="village"))
    assert err.code == "DES010"
    assert "'和政县'" in err.message and "only one sampled PSU" in err.message
    assert "lonely_psu='adjust'" in err.hint


def test_lonely_unit_at_second_stage(lonely):
    err = code_of(
        lambda: SurveyDesign(
            lonely,
            weights="w",
            strata="county",
            psu=["village", "hh"],
            fpc=["N_v", "N_h"],
            lonely_psu="fail",
        )
    )
    assert err.code == "DES010"
    err = code_of(
        lambda: SurveyDesign(
            lonely,
            weights="w",
            strata="county",
            psu=["village", "hh"],
            fpc=["N_v", "N_h"],
            lonely_psu="average",
        )
    )
    assert err.code == "DES018"
    assert "NaN" in err.hint


@pytest.mark.parametrize("policy", ["remove", "certainty", "adjust", "average"])
def test_lonely_policies_give_finite_standard_errors(lonely, policy):
    d = SurveyDesign(lonely, weights="w", strata="county", psu="village", lonely_psu=policy)
    se = est.mean(d, "members")["se"].iloc[0]
    assert np.isfinite(se) and se > 0


def test_adjust_is_more_conservative_than_remove(lonely):
    se = {
        p: est.mean(
            SurveyDesign(lonely, weights="w", strata="county", psu="village", lonely_psu=p),
            "members",
        )["se"].iloc[0]
        for p in ("remove", "certainty", "adjust")
    }
    assert se["remove"] == se["certainty"]  # identical in R for these designs
    assert se["adjust"] > se["remove"]


def test_census_stratum_is_not_lonely():
    # one PSU in a stratum whose only PSU was taken with certainty (N = n = 1)
    df = small(county=["A", "A", "A", "A", "B", "B", "B", "B"], village=[1, 1, 2, 2, 3, 3, 3, 3])
    df["N"] = [20, 20, 20, 20, 1, 1, 1, 1]
    d = SurveyDesign(df, weights="w", strata="county", psu="village", fpc="N")
    assert d.stages[0].lonely.sum() == 0


def test_domain_lonely_psu_uses_full_design_by_default(households):
    # ethnicity 其他 lives in one village of 临夏县: not lonely unless asked
    base = dict(weights="w", strata="county", psu="village", lonely_psu="adjust")
    default = est.mean(SurveyDesign(households, **base), "members", by="ethnicity")
    adjusted = est.mean(
        SurveyDesign(households, adjust_domain_lonely=True, **base), "members", by="ethnicity"
    )
    other = default["ethnicity"] == "其他"
    assert default.loc[other, "se"].iloc[0] != adjusted.loc[other, "se"].iloc[0]
    pd.testing.assert_series_equal(default["estimate"], adjusted["estimate"])


# ---------------------------------------------------------------------------- bad input
def test_not_a_dataframe_or_empty():
    assert code_of(lambda: SurveyDesign([1, 2], weights="w")).code == "DES001"
    assert code_of(lambda: SurveyDesign(small().iloc[:0], weights="w")).code == "DES001"


def test_unknown_column_suggests_the_close_name():
    err = code_of(lambda: SurveyDesign(small(), weights="weight", strata="county"))
    assert err.code == "DES002"
    assert err.column == "weight"
    err = code_of(lambda: SurveyDesign(small(), weights="w", strata="countyy"))
    assert "'county'" in err.hint


def test_missing_weights():
    err = code_of(lambda: SurveyDesign(small(w=[1.0, np.nan, 1, 1, 1, 1, 1, 1]), weights="w"))
    assert err.code == "DES003"
    assert err.message == "1 row(s) have a missing weight"
    assert err.record == "1"


def test_zero_weights_are_allowed_but_not_all():
    d = SurveyDesign(small(w=[1.0, 0, 1, 1, 1, 1, 1, 1]), weights="w")
    assert d.weights[1] == 0
    err = code_of(lambda: SurveyDesign(small(w=[0.0] * 8), weights="w"))
    assert err.code == "DES004"
    assert err.message == "every weight is zero"


def test_negative_weights():
    err = code_of(lambda: SurveyDesign(small(w=[1.0, -2, 1, 1, 1, 1, 1, 1]), weights="w"))
    assert err.code == "DES005"
    assert "minimum -2" in err.found


def test_non_numeric_or_infinite_weights():
    err = code_of(lambda: SurveyDesign(small(w=["1,234"] * 8), weights="w"))
    assert err.code == "DES006"
    err = code_of(lambda: SurveyDesign(small(w=[np.inf] + [1.0] * 7), weights="w"))
    assert err.code == "DES006"


def test_missing_stratum_and_psu_values():
    err = code_of(
        lambda: SurveyDesign(
            small(county=["A", None, "A", "A", "B", "B", "B", "B"]), weights="w", strata="county"
        )
    )
    assert err.code == "DES007"
    err = code_of(
        lambda: SurveyDesign(
            small(village=[1, 1, np.nan, 2, 1, 1, 2, 2]),
            weights="w",
            strata="county",
            psu="village",
        )
    )
    assert err.code == "DES008"
    assert "stage 1" in err.message


def test_one_psu_without_strata():
    err = code_of(lambda: SurveyDesign(small(village=[1] * 8), weights="w", psu="village"))
    assert err.code == "DES017"


def test_unknown_lonely_policy_and_bad_arguments():
    assert code_of(lambda: SurveyDesign(small(), weights="w", lonely_psu="drop")).code == "DES011"
    assert code_of(lambda: SurveyDesign(small(), weights="w", strata=["county"])).code == "DES019"
    assert code_of(lambda: SurveyDesign(small(), weights="w", psu=[1, 2])).code == "DES019"
    assert code_of(lambda: SurveyDesign(small(), weights="w", nest="yes")).code == "DES019"


def test_fpc_problems():
    base = dict(weights="w", strata="county", psu="village", fpc="N")
    err = code_of(lambda: SurveyDesign(small(N=[20, 20, np.nan, 20, 30, 30, 30, 30]), **base))
    assert err.code == "DES012"
    err = code_of(lambda: SurveyDesign(small(N=[20, 20, 20, 20, 0.5, 0.5, 0.5, 0.5]), **base))
    assert err.code == "DES013"
    assert "population sizes and sampling fractions" in err.message
    err = code_of(lambda: SurveyDesign(small(N=[20, 20, 20, 21, 30, 30, 30, 30]), **base))
    assert err.code == "DES014"
    assert "varies within a stratum" in err.message
    err = code_of(lambda: SurveyDesign(small(N=[1, 1, 1, 1, 30, 30, 30, 30]), **base))
    assert err.code == "DES015"
    assert "more than 100% sampling" in err.message
    err = code_of(lambda: SurveyDesign(small(N=[-5] * 8), **base))
    assert err.code == "DES013"
    err = code_of(lambda: SurveyDesign(small(), weights="w", psu="village", fpc=["N", "N"]))
    assert err.code == "DES016"


def test_a_psu_column_mixing_numbers_and_text_is_refused():
    # 1 and '1' are the same village to a person, two PSUs to pandas: refuse, never split
    data = pd.DataFrame(
        {"w": [1.0] * 6, "county": ["a"] * 3 + ["b"] * 3, "village": [1, "1", 2, 3, 4, "4"]}
    )
    err = code_of(lambda: SurveyDesign(data, weights="w", strata="county", psu="village"))
    assert err.code == "DES022"
    assert err.column == "village"
    assert "mixes numbers and text" in str(err) and "astype(str)" in str(err)
    fixed = data.assign(village=data["village"].astype(str))
    assert SurveyDesign(fixed, weights="w", strata="county", psu="village").n_psu == 4


def test_a_strata_column_mixing_numbers_and_text_is_refused():
    data = pd.DataFrame({"w": [1.0] * 4, "county": [11, "11", 12, 12], "village": [1, 2, 3, 4]})
    err = code_of(lambda: SurveyDesign(data, weights="w", strata="county", psu="village"))
    assert (err.code, err.column) == ("DES022", "county")

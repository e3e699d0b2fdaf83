"""The two lonely-PSU ``adjust`` rules: R survey 4.1.1's (centre at zero) and >= 4.4's.

Debian's R survey is 4.1.1, so the newer rule is checked against its formula on a small
hand-computed case, and on the lonely village sample against values computed with R survey
4.1.1 whose ``onestrat``/``onestage`` were replaced (in the namespace) by survey 4.5's R code,
the code path R >= 4.4 also reproduces in C++ (``arma_onestage``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import estimate as est
from analysis.design.survey import LONELY_PSU_POLICIES, SurveyDesign
from analysis.errors import DesignError

REF = Path(__file__).resolve().parent / "reference"

# PSU totals of y (weight 1, one row per PSU): strata A and B with two PSUs, C with one.
SMALL = pd.DataFrame(
    {"s": ["A", "A", "B", "B", "C"], "psu": [1, 2, 3, 4, 5], "y": [3.0, 5.0, 10.0, 4.0, 9.0]}
)


def _by_formula(centre_lonely: float) -> float:
    t = SMALL["y"].to_numpy()
    v = 2 / 1 * ((t[0] - 4) ** 2 + (t[1] - 4) ** 2) + 2 / 1 * ((t[2] - 7) ** 2 + (t[3] - 7) ** 2)
    return v + (t[4] - centre_lonely) ** 2


@pytest.mark.parametrize(("policy", "centre"), [("adjust", 0.0), ("adjust_mean", 31.0 / 5)])
def test_total_variance_matches_the_formula(policy, centre):
    d = SurveyDesign(SMALL, weights=None, strata="s", psu="psu", lonely_psu=policy)
    v = float(d.variance(SMALL["y"].to_numpy())[0, 0])
    assert v == pytest.approx(_by_formula(centre), rel=1e-12)
    se = est.total(d, "y")["se"].iloc[0]
    assert se == pytest.approx(np.sqrt(_by_formula(centre)), rel=1e-12)


def test_domain_centre_counts_the_sampled_psus_of_the_strata_it_touches():
    # domain = rows of strata A (PSU 1 only) and C: its total 3 + 9 over 2 + 1 sampled PSUs
    d = SurveyDesign(SMALL, weights=None, strata="s", psu="psu", lonely_psu="adjust_mean")
    dom = np.array([True, False, False, False, True])
    z = np.where(dom, SMALL["y"].to_numpy(), 0.0)
    c = 12.0 / 3
    expected = 2 * ((3 - 1.5) ** 2 + (0 - 1.5) ** 2) + (9 - c) ** 2
    assert float(d.variance(z, domain=dom)[0, 0]) == pytest.approx(expected, rel=1e-12)


def test_policies_are_named():
    assert LONELY_PSU_POLICIES == (
        "fail",
        "remove",
        "certainty",
        "adjust",
        "adjust_mean",
        "average",
    )


def test_lonely_hint_names_both_rules():
    with pytest.raises(DesignError) as info:
        SurveyDesign(SMALL, weights=None, strata="s", psu="psu")
    assert info.value.code == "DES010"
    hint = info.value.hint
    assert "R survey 4.1.1's rule, the lonely stratum centred at zero" in hint
    assert "'adjust_mean' (R survey >= 4.4: centred at the average PSU total)" in hint


# R survey 4.1.1 with survey 4.5's onestrat/onestage (options survey.lonely.psu="adjust").
# (design, adjust_domain_lonely): total SE, mean SE, total SE by ethnicity (东乡族, 回族, 汉族)
R44 = {
    ("one", False): (15669.7743216445, 0.1905217925996052, (8611.518920278884, 8260.400148364122, 9485.009326814412)),
    ("two", False): (14483.29709099204, 0.1865726402541635, (7961.935098863751, 7622.835553355107, 9166.673367387246)),
    ("one", True): (15669.7743216445, 0.1905217925996052, (8775.919386411892, 8260.400148364122, 9485.009326814412)),
    ("two", True): (14483.29709099204, 0.1865726402541635, (8092.794437237587, 7622.835553355107, 9166.673367387246)),
}  # fmt: skip


@pytest.mark.parametrize(("stages", "adl"), list(R44))
def test_lonely_villages_match_r_4_4_rule(stages, adl):
    df = pd.read_csv(REF / "village_households_lonely.csv", keep_default_na=False, na_values=[""])
    if stages == "one":
        d = SurveyDesign(df, weights="w", strata="county", psu="village", lonely_psu="adjust_mean",
                         adjust_domain_lonely=adl)  # fmt: skip
    else:
        d = SurveyDesign(df, weights=None, strata="county", psu=["village", "hh"],
                         fpc=["N_v", "N_h"], lonely_psu="adjust_mean",
                         adjust_domain_lonely=adl)  # fmt: skip
    total_se, mean_se, by_se = R44[(stages, adl)]
    assert est.total(d, "members")["se"].iloc[0] == pytest.approx(total_se, rel=1e-9)
    assert est.mean(d, "members")["se"].iloc[0] == pytest.approx(mean_se, rel=1e-9)
    got = est.total(d, "members", by="ethnicity").set_index("ethnicity")["se"]
    assert got[["东乡族", "回族", "汉族"]].tolist() == pytest.approx(list(by_se), rel=1e-9)
    # the 4.1.1 rule (centre at zero) gives a larger SE of the total
    old = SurveyDesign(df, **{**d.columns, "weights": d.columns["weights"]}, lonely_psu="adjust",
                       adjust_domain_lonely=adl)  # fmt: skip
    assert est.total(old, "members")["se"].iloc[0] > total_se

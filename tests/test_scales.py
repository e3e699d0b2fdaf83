"""Scales: Cronbach's alpha agrees with R's svycralpha; recoding, composites and rankings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survey_models_support import close, design_of, frame, reference

from analysis.design.survey import SurveyDesign
from analysis.errors import EstimationError
from analysis.estimate.scales import composite_score, cronbach_alpha, rank_scores, recode_items

CASES = reference()["alpha"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_alpha_matches_r_svycralpha(case):
    design = design_of(case["design"], frame(case["data"]))
    got = cronbach_alpha(design, case["items"], where=case["where"])
    assert close(got["alpha"].iloc[0], case["alpha"])
    assert got["n_items"].iloc[0] == len(case["items"])


@pytest.fixture(scope="module")
def panel() -> SurveyDesign:
    return design_of(CASES[0]["design"], frame("village_waves.csv"))


def test_alpha_by_domain_equals_alpha_on_the_subpopulation(panel):
    by = cronbach_alpha(panel, ["q1", "q2", "q3", "q4"], by="wave")
    case = next(c for c in CASES if c["id"] == "panel_q1_q4_2025")
    assert close(by.loc[by["wave"] == "2025", "alpha"].iloc[0], case["alpha"])
    answered = panel.data[["q1", "q2", "q3", "q4"]].notna().all(axis=1)
    assert by["n"].sum() == answered.sum()
    with pytest.raises(EstimationError) as info:
        cronbach_alpha(panel, ["q1", "q3"], na_rm=False)
    assert info.value.code == "EST303"


def test_alpha_rises_with_a_consistent_item_and_falls_with_noise(panel):
    base = cronbach_alpha(panel, ["q1", "q2", "q4"])["alpha"].iloc[0]
    items = recode_items(panel.data, ["q5_r"])  # reverse-worded: turned round
    data = panel.data.assign(
        q5=items["q5_r"], noise=np.random.default_rng(1).integers(1, 6, len(items))
    )
    d = SurveyDesign(data, weights="w", strata="county", psu="village")
    assert cronbach_alpha(d, ["q1", "q2", "q4", "q5"])["alpha"].iloc[0] > base
    assert cronbach_alpha(d, ["q1", "q2", "q4", "noise"])["alpha"].iloc[0] < base
    # the unreversed item pulls alpha down
    assert cronbach_alpha(d, ["q1", "q2", "q4", "q5_r"])["alpha"].iloc[0] < base


def test_recode_items_missing_codes_and_reverse():
    d = pd.DataFrame({"q1": [1, 5, 98, 99], "q2_r": [1, 2, 4, 5], "q3": [2, 3, 4, 5]})
    out = recode_items(d, ["q1", "q2_r", "q3"], reverse=["q3"])
    assert out["q1"].isna().tolist() == [False, False, True, True]
    assert out["q2_r"].tolist() == [5, 4, 2, 1]
    assert out["q3"].tolist() == [4, 3, 2, 1]
    assert d["q2_r"].tolist() == [1, 2, 4, 5]  # input unchanged
    seven = recode_items(d.assign(q1=[1, 7, 4, 4]), ["q1"], scale=(1, 7), suffix=None)
    assert seven["q1"].tolist() == [1, 7, 4, 4]


def test_recode_bad_items():
    d = pd.DataFrame({"q1": [1, 6, 3], "q2": ["同意", "不同意", "同意"]})
    with pytest.raises(EstimationError) as info:
        recode_items(d, ["q1"])
    assert info.value.code == "EST304" and "98" in info.value.hint
    assert info.value.record == "1"
    with pytest.raises(EstimationError) as info:
        recode_items(d, ["q2"])
    assert info.value.code == "EST302" and "map" in info.value.hint
    with pytest.raises(EstimationError) as info:
        recode_items(d, ["q1", "q9"])
    assert info.value.code == "EST001"


def test_composite_minmax_with_declared_ranges_and_directions():
    cadres = pd.DataFrame(
        {"民主测评": [90.0, 60, np.nan], "述职": [80.0, 70, 90], "投诉": [0, 4, 2]}
    )
    score = composite_score(
        cadres,
        {"民主测评": 0.5, "述职": 0.3, "投诉": 0.2},
        method="minmax",
        ranges={"民主测评": (0, 100), "述职": (0, 100), "投诉": (0, 4)},
        direction={"投诉": -1},
        name="综合得分",
    )
    assert score.name == "综合得分"
    assert score.iloc[0] == pytest.approx(0.5 * 0.9 + 0.3 * 0.8 + 0.2 * 1.0)
    assert score.iloc[1] == pytest.approx(0.5 * 0.6 + 0.3 * 0.7 + 0.2 * 0.0)
    assert np.isnan(score.iloc[2])  # an item missing
    partial = composite_score(
        cadres, {"民主测评": 0.5, "述职": 0.3, "投诉": 0.2}, method="minmax",
        ranges={"民主测评": (0, 100), "述职": (0, 100), "投诉": (0, 4)},
        direction={"投诉": -1}, min_items=2,
    )  # fmt: skip
    assert partial.iloc[2] == pytest.approx((0.3 * 0.9 + 0.2 * 0.5) / 0.5)


def test_zscore_uses_design_weights_for_population_moments(panel):
    s = composite_score(panel, ["q1", "q2"], method="zscore")
    w = panel.weights
    ok = s.notna().to_numpy()
    assert np.average(s[ok], weights=w[ok]) == pytest.approx(0.0, abs=1e-12)
    unweighted = composite_score(panel.data, ["q1", "q2"])
    assert unweighted.mean() == pytest.approx(0.0, abs=1e-12)
    assert not np.allclose(s, unweighted)


def test_composite_bad_specifications():
    d = pd.DataFrame({"a": [1.0, 2, 3], "b": [5.0, 5, 5], "c": [1.0, 120, 3]})
    cases = [
        lambda: composite_score(d, {"a": -1.0}),
        lambda: composite_score(d, ["a", "b"]),  # b is constant
        lambda: composite_score(d, ["a"], method="rank"),
        lambda: composite_score(d, ["a"], direction={"a": 2}),
        lambda: composite_score(d, ["a"], ranges={"z": (0, 1)}),
    ]
    for fn in cases:
        with pytest.raises(EstimationError) as info:
            fn()
        assert info.value.code == "EST305"
    with pytest.raises(EstimationError) as info:
        composite_score(d, ["c"], method="minmax", ranges={"c": (0, 100)})
    assert info.value.code == "EST304"


@pytest.mark.parametrize(
    "method, ranks",
    [
        ("min", [1, 1, 3, 4]),
        ("dense", [1, 1, 2, 3]),
        ("average", [1.5, 1.5, 3.0, 4.0]),
        ("max", [2, 2, 3, 4]),
        ("first", [1, 2, 3, 4]),
    ],
)
def test_rank_tie_rules(method, ranks):
    t = pd.DataFrame({"name": ["甲", "乙", "丙", "丁"], "s": [95, 95, 90, 80]})
    out = rank_scores(t, "s", method=method)
    assert out["rank"].tolist() == ranks
    assert out["name"].tolist() == ["甲", "乙", "丙", "丁"]


def test_ranking_within_groups_ascending_and_missing():
    t = pd.DataFrame(
        {"county": ["A", "A", "B", "B", "B"], "v": list("abcde"), "s": [3, 1, 2, None, 2]}
    )
    out = rank_scores(t, "s", by="county", ascending=True)
    assert out["v"].tolist() == ["b", "a", "c", "e", "d"]
    assert out["rank"].iloc[:4].tolist() == [1, 2, 1, 1]
    assert out["rank"].isna().tolist() == [False] * 4 + [True]
    with pytest.raises(EstimationError) as info:
        rank_scores(t, "s", method="olympic")
    assert info.value.code == "EST306"
    with pytest.raises(EstimationError) as info:
        rank_scores(t, "score")
    assert info.value.code == "EST001" and info.value.column == "score"

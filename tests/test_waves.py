"""Wave-over-wave change agrees with R (stacked panel and independent designs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survey_models_support import close, design_of, frame, reference

from analysis.design.survey import SurveyDesign
from analysis.errors import EstimationError
from analysis.estimate.waves import (
    CHANGE_COLUMNS,
    change,
    change_independent,
    panel_units,
    stack_waves,
)

CASES = reference()["waves"]
PANEL = {"weights": "w", "strata": "county", "psu": "village", "fpc": [], "nest": True,
         "lonely_psu": "fail"}  # fmt: skip


def _check(table: pd.DataFrame, case: dict) -> None:
    by = case["by"]
    index = {}
    for rec in table.to_dict("records"):
        key = (
            str(rec[by]) if by else None,
            str(rec.get("level", "")) if case["kind"] == "proportion" else "",
        )
        index[key] = rec
    assert len(index) == len(case["rows"])
    for r in case["rows"]:
        key = (r["by"][by] if by else None, r["level"])
        mine = index[key]
        where = f"{case['id']} {key}"
        for col in ("estimate_old", "estimate_new", "change", "se", "p_value", "ci_low", "ci_high"):
            assert close(mine[col], r[col]), f"{where} {col}"
        assert mine["df"] == r["df"], where
        assert mine["significant"] == (r["p_value"] < 0.05)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_stacked_design_matches_r(case):
    design = design_of(case["design"], frame(case["data"]))
    t = change(
        design, case["variable"], wave="wave", old=case["old"], new=case["new"], by=case["by"],
        kind=case["kind"],
    )  # fmt: skip
    assert list(t.columns[-len(CHANGE_COLUMNS) :]) == list(CHANGE_COLUMNS)
    _check(t, case)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["mode"] == "independent"], ids=lambda c: c["id"]
)
def test_two_independent_designs_match_r(case):
    data = frame(case["data"])
    old, new = (
        design_of(PANEL, data[data["wave"] == w].reset_index(drop=True))
        for w in (case["old"], case["new"])
    )
    t = change_independent(old, new, case["variable"], by=case["by"], kind=case["kind"])
    _check(t, case)


def test_panel_is_more_precise_than_independent_samples():
    se = {}
    for c in CASES:
        if c["variable"] == "income" and c["by"] is None:
            se[c["mode"]] = c["rows"][0]["se"]
    assert se["panel"] < se["independent"]  # village effects persist across waves
    data = frame("village_waves.csv")
    units = panel_units(data, wave="wave", unit=["county", "village"], old="2024", new="2025")
    assert (units["status"] == "panel").sum() == 12
    assert (units["status"] == "new only").sum() == 4


# ---------------------------------------------------------------------------- behaviour
def small_waves() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for wave, shift in (("2024", 0.0), ("2025", 0.6)):
        for v in range(12):
            for _h in range(6):
                rows.append(
                    {
                        "county": "AB"[v % 2],
                        "village": v,
                        "w": 10.0 + v,
                        "score": rng.normal(3 + shift + 0.3 * (v % 3), 1),
                        "tv": ["有", "无"][int(rng.uniform() < 0.4 - 0.1 * (wave == "2025"))],
                        "wave": wave,
                    }
                )
    return pd.DataFrame(rows)


def test_significance_flag_and_interval_agree():
    d = SurveyDesign(small_waves(), weights="w", strata="county", psu="village")
    t = change(d, ["score", "tv"], wave="wave", old="2024", new="2025")
    assert t.loc[t["variable"] == "score", "significant"].item()
    inside = (t["ci_low"] > 0) | (t["ci_high"] < 0)
    assert (inside == t["significant"]).all()
    assert set(t.loc[t["variable"] == "tv", "level"]) == {"有", "无"}
    shares = t[t["variable"] == "tv"]
    assert shares["change"].sum() == pytest.approx(0.0, abs=1e-12)


def test_missing_values_are_left_out_per_wave():
    data = small_waves()
    data.loc[::7, "score"] = np.nan
    d = SurveyDesign(data, weights="w", strata="county", psu="village")
    t = change(d, "score", wave="wave", old="2024", new="2025", by="county")
    for county in "AB":
        for w, col in (("2024", "estimate_old"), ("2025", "estimate_new")):
            sub = data[(data["county"] == county) & (data["wave"] == w)].dropna(subset=["score"])
            want = np.average(sub["score"], weights=sub["w"])
            assert t.loc[t["county"] == county, col].item() == pytest.approx(want)


def test_stack_waves_and_a_domain_missing_in_one_wave():
    a = small_waves()
    old, new = (
        a[a["wave"] == "2024"].drop(columns="wave"),
        a[a["wave"] == "2025"].drop(columns="wave"),
    )
    new = new.assign(county=new["county"].replace({"B": "C"}))
    both = stack_waves({"2024": old, "2025": new})
    assert both.columns[0] == "wave" and len(both) == len(a)
    d = SurveyDesign(both, weights="w", strata="county", psu="village")
    t = change(d, "score", wave="wave", old="2024", new="2025", by="county")
    only_old = t[t["county"] == "B"].iloc[0]
    assert np.isnan(only_old["estimate_new"]) and not only_old["significant"]
    ind = change_independent(
        SurveyDesign(old, weights="w", strata="county", psu="village"),
        SurveyDesign(new, weights="w", strata="county", psu="village"),
        "score",
        by="county",
    )
    assert sorted(ind["county"]) == ["A", "B", "C"]


def test_bad_requests():
    d = SurveyDesign(small_waves(), weights="w", strata="county", psu="village")
    with pytest.raises(EstimationError) as info:
        change(d, "score", wave="wave", old="2023", new="2025")
    assert info.value.code == "EST401" and "2024" in info.value.expected
    with pytest.raises(EstimationError) as info:
        change(d, "score", wave="wave", old="2024", new="2024")
    assert info.value.code == "EST401"
    with pytest.raises(EstimationError) as info:
        change(d, "score", wave="wave", old="2024", new="2025", kind="median")
    assert info.value.code == "EST402"
    with pytest.raises(EstimationError) as info:
        change(d, "score", wave="wave", old="2024", new="2025", alpha=5)
    assert info.value.code == "EST402"
    with pytest.raises(EstimationError) as info:
        change(d, "scor", wave="wave", old="2024", new="2025")
    assert info.value.code == "EST001"
    with pytest.raises(EstimationError) as info:
        change_independent(d, d, "score", where=np.ones(d.n_rows, dtype=bool))
    assert info.value.code == "EST403"
    with pytest.raises(EstimationError) as info:
        stack_waves({"2024": small_waves()})
    assert info.value.code == "EST403"
    with pytest.raises(EstimationError) as info:
        stack_waves({"2024": small_waves(), "2025": small_waves()})
    assert info.value.code == "EST403" and "wave" in info.value.message


def test_identical_waves_are_no_change_and_not_significant():
    import numpy as np
    import pandas as pd

    from analysis.estimate.waves import _finish

    table = _finish(
        pd.DataFrame({"variable": ["cable"]}),
        old=np.array([0.61]),
        new=np.array([0.61 + 5e-17]),
        var=np.array([1e-35]),
        df=np.array([90.0]),
        level=0.95,
        alpha=0.05,
    )
    row = table.iloc[0]
    assert row["change"] == 0.0 and row["p_value"] == 1.0 and not row["significant"]

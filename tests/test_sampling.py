"""analysis.sampling: PPS with certainty units, systematic selection, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DesignError
from analysis.sampling import (
    adjust_for_nonresponse,
    design_weights,
    pps_inclusion,
    select_pps,
    select_systematic,
)


@pytest.fixture
def frame():
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "county": np.repeat(["甲县", "乙县", "丙县"], [40, 30, 20]),
            "village": [f"v{i:03d}" for i in range(90)],
            "households": rng.integers(50, 600, 90),
        }
    )


def test_inclusion_probabilities_sum_to_the_sample_size_and_cap_at_one():
    sizes = np.array([5000.0, 100, 200, 300, 400, 500])
    pi = pps_inclusion(sizes, 3)
    assert pi.sum() == pytest.approx(3)
    assert pi[0] == 1.0  # larger than the interval: a certainty selection
    # the others are proportional to size among themselves
    assert pi[1:] / pi[1] == pytest.approx(sizes[1:] / sizes[1])


def test_pps_selection_draws_n_per_stratum_with_distinct_units(frame):
    n = {"甲县": 5, "乙县": 4, "丙县": 3}
    s = select_pps(frame, stratum="county", size="households", n=n, seed=11)
    sel = s[s["role"] == "selected"]
    assert sel.groupby("county").size().to_dict() == n
    assert sel["village"].is_unique
    # replacements come from the same stratum and are never selected units
    rep = s[s["role"] == "replacement"]
    assert not set(rep["village"]) & set(sel["village"])
    assert (
        frame.loc[rep["replaces"].astype(int), "county"].to_numpy() == rep["county"].to_numpy()
    ).all()


def test_pps_selection_is_reproducible_and_unbiased(frame):
    a = select_pps(frame, stratum="county", size="households", n=4, seed=5)
    b = select_pps(frame, stratum="county", size="households", n=4, seed=5)
    pd.testing.assert_frame_equal(a, b)
    # Monte Carlo: selection frequencies match the inclusion probabilities
    counts = np.zeros(len(frame))
    reps = 800
    for seed in range(reps):
        s = select_pps(frame, stratum="county", size="households", n=4, seed=seed, replacements=0)
        counts[s.index.to_numpy()] += 1
    expected = np.concatenate(
        [
            pps_inclusion(g["households"].to_numpy(), 4)
            for _, g in frame.groupby("county", sort=True)
        ]
    )
    order = np.concatenate([g.index.to_numpy() for _, g in frame.groupby("county", sort=True)])
    freq = counts[order] / reps
    assert np.abs(freq - expected).max() < 0.08


def test_systematic_household_selection_and_weights():
    hh = pd.DataFrame({"village": np.repeat(["a", "b"], [100, 12]), "hh": range(112)})
    s = select_systematic(hh, group="village", n=20, seed=2)
    assert s.groupby("village").size().to_dict() == {"a": 20, "b": 12}
    assert s["hh"].is_unique
    w = design_weights(np.array([0.25, 0.5]), np.array([0.2, 1.0]))
    assert w.tolist() == [20.0, 2.0]


def test_nonresponse_adjustment_keeps_class_totals():
    d = pd.DataFrame({"w": [5.0, 5, 5, 8, 8], "ok": [1, 1, 0, 1, 0], "c": list("aaabb")})
    adj = adjust_for_nonresponse(d, weight="w", responded="ok", classes="c")
    assert adj.groupby(d["c"]).sum().to_dict() == d.groupby("c")["w"].sum().to_dict()
    assert adj[d["ok"] == 0].eq(0).all()


def test_bad_sampling_inputs_are_coded_errors(frame):
    with pytest.raises(DesignError, match="cannot draw 50 units") as info:
        select_pps(frame, stratum="county", size="households", n=50, seed=1)
    assert info.value.code == "DES101"
    bad = frame.assign(households=frame["households"].where(frame.index != 3, 0))
    with pytest.raises(DesignError) as info:
        select_pps(bad, stratum="county", size="households", n=3, seed=1)
    assert info.value.code == "DES102"
    with pytest.raises(DesignError) as info:
        select_pps(frame, stratum="county", size="households", n={"甲县": 2}, seed=1)
    assert info.value.code == "DES103" and "乙县" in str(info.value)
    d = pd.DataFrame({"w": [1.0, 1.0], "ok": [0, 0], "c": ["a", "a"]})
    with pytest.raises(DesignError) as info:
        adjust_for_nonresponse(d, weight="w", responded="ok", classes="c")
    assert info.value.code == "DES105"

"""Several estimates from one reduction (``estimate_many``) equal the single calls.

Checked on every R reference design (each design's cases in one batch), on string-coded
data shaped like the benchmark's (missing values, ``where``, two ``by`` codings, constant
and nearly constant domains), on the designs answered by the single calls (replicate,
calibrated, zero weights, codings too large for dense cells), and the request errors.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_estimate import CASES, build, run

from analysis import estimate as est
from analysis.design.resampling import as_replicate
from analysis.design.survey import SurveyDesign
from analysis.errors import DesignError, EstimationError
from analysis.estimate import batch
from analysis.estimate.batch import REQUEST_OPTIONS, estimate_many

RTOL = 1e-12


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """The same columns, labels and counts; numbers equal up to rounding (relative, or
    at the estimate's magnitude for an SE of zero up to rounding, as the R comparison)."""
    assert list(got.columns) == list(want.columns)
    scale = np.maximum(1.0, np.abs(want["estimate"].to_numpy()))
    for col in want.columns:
        if pd.api.types.is_float_dtype(want[col]):
            have, expected = got[col].to_numpy(), want[col].to_numpy()
            assert (np.isnan(have) == np.isnan(expected)).all(), col
            with np.errstate(invalid="ignore"):  # inf - inf
                diff = np.abs(have - expected)
            ok = np.isnan(expected) | (have == expected) | (diff <= RTOL * np.abs(expected))
            if col in ("se", "ci_low", "ci_high", "deff"):
                ok |= diff <= RTOL * scale
            if col == "deff":  # a constant variable's total: an SRS variance of 0 (inf),
                ok |= (have > 1e20) & (expected > 1e20)  # or of rounding noise (1e30)
            assert ok.all(), f"{col}: {have[~ok]} != {expected[~ok]}"
        else:
            pd.testing.assert_series_equal(got[col], want[col], obj=col)


def _request(case: dict) -> dict:
    opts = case["options"] or {}
    by = case["by"]
    request = {"stat": case["estimator"], "variables": case["variables"]}
    if by:
        request["by"] = by
    if case["where"]:
        request["where"] = case["where"]
    for key in ("method", "denominator", "q", "qrule", "interval"):
        if key in opts:
            request[key] = opts[key]
    return request


def _by_design() -> list[list[dict]]:
    groups: dict[str, list[dict]] = {}
    for case in CASES:
        groups.setdefault(json.dumps([case["data"], case["design"]], sort_keys=True), []).append(
            case
        )
    return list(groups.values())


@pytest.mark.parametrize("cases", _by_design(), ids=lambda c: c[0]["id"])
def test_each_reference_design_in_one_batch_equals_the_single_calls(cases):
    try:
        design = build(cases[0])
    except DesignError:  # designs baicun refuses (test_estimate checks the errors)
        return
    tables = estimate_many(design, {c["id"]: _request(c) for c in cases})
    assert list(tables) == [c["id"] for c in cases]
    for case in cases:
        assert_same(tables[case["id"]], run(case, design))


def _sample(n: int = 4000, seed: int = 7) -> pd.DataFrame:
    """The benchmark's shape, small: strata, PSUs restarting in strata, text categories."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(1, 6, n)
    frame = pd.DataFrame(
        {
            "stratum": stratum,
            "psu": rng.integers(1, 9, n),
            "w": rng.uniform(20, 80, n),
            "y": rng.lognormal(3, 0.8, n),
            "big": 1e6 + rng.normal(0, 1e-3, n),  # nearly constant: the sums are shifted
            "cat": pd.array(rng.choice(["c2", "c1", "c3", "中"], n), dtype="str"),
            "domain": pd.array(rng.choice(["D2", "D1", "D3"], n), dtype="str"),
            "h": rng.integers(0, 3, n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "y"] = np.nan
    frame.loc[rng.random(n) < 0.05, "cat"] = None
    frame["k"] = np.where(frame["domain"] == "D1", 2.0, 5.0)  # constant in every domain
    frame["flag"] = rng.random(n) < 0.6
    frame["grade"] = pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "mid", "hi"])
    return frame


REQUESTS = [
    {"stat": "mean", "variables": ["y", "k"]},
    {"stat": "total", "variables": ["y", "k"]},
    {"stat": "mean", "variables": ["y", "k"], "by": "domain"},
    {"stat": "total", "variables": ["y", "k", "cat"], "by": ["domain", "h"]},
    {"stat": "proportion", "variables": ["cat", "grade"]},
    {"stat": "proportion", "variables": "cat", "by": "domain", "method": "beta"},
    {"stat": "proportion", "variables": "cat", "method": "likelihood", "ci_level": 0.9},
    {"stat": "mean", "variables": "y", "where": "flag"},
    {"stat": "mean", "variables": "y", "where": "flag", "by": "domain"},
    {"stat": "proportion", "variables": "cat", "where": "flag", "method": "xlogit"},
    {"stat": "ratio", "variables": "y", "denominator": "k", "by": "domain"},
    {"stat": "quantile", "variables": "y", "q": [0.25, 0.5], "by": "h"},
]


def _single(design, request: dict) -> pd.DataFrame:
    options = {k: v for k, v in request.items() if k not in ("stat", "variables")}
    call = getattr(est, request["stat"])
    if request["stat"] == "ratio":
        return call(design, request["variables"], options.pop("denominator"), **options)
    if request["stat"] == "quantile":
        return call(design, request["variables"], options.pop("q"), **options)
    return call(design, request["variables"], **options)


def _check(design, requests) -> list[pd.DataFrame]:
    tables = estimate_many(design, requests)
    assert isinstance(tables, list) and len(tables) == len(requests)
    for table, request in zip(tables, requests):
        assert_same(table, _single(design, request))
    return tables


def test_string_coded_sample_with_missing_values_where_and_two_codings():
    frame = _sample()
    mask = frame["flag"].to_numpy()
    design = SurveyDesign(frame, weights="w", strata="stratum", psu="psu")
    tables = _check(
        design, [*REQUESTS, {"stat": "mean", "variables": ["y", "k"], "where": mask, "by": "h"}]
    )
    # constant domains: SE exactly 0 and no design effect, as mean()
    by = tables[2].set_index("variable").loc["k"]
    assert (by["se"] == 0).all() and by["deff"].isna().all()


def test_a_nearly_constant_variable_keeps_its_digits():
    """The cell sums are of ``y - c`` (``c`` the overall mean), so a variable of 1e6 plus
    noise of 1e-3 gets the SE of the noise alone to 1e-12 (the rows' two passes of mean(),
    centred at a mean rounded at 1e6, keep about 8 digits here)."""
    frame = _sample()
    frame["noise"] = frame["big"] - 1e6  # exact: the same values, shifted
    design = SurveyDesign(frame, weights="w", strata="stratum", psu="psu")
    for by in (None, "domain"):
        big, noise = estimate_many(
            design,
            [
                {"stat": "mean", "variables": "big", "by": by},
                {"stat": "mean", "variables": "noise", "by": by},
            ],
        )
        np.testing.assert_allclose(big["se"], noise["se"], rtol=RTOL)
        np.testing.assert_allclose(big["deff"], noise["deff"], rtol=1e-9)
        np.testing.assert_allclose(big["se"], est.mean(design, "noise", by=by)["se"], rtol=RTOL)


def test_multistage_design_with_fpc_and_lonely_psus():
    frame = _sample(1500, seed=11)
    frame["ssu"] = np.arange(len(frame)) % 3
    frame["N1"] = 40.0
    frame["N2"] = 300.0
    frame.loc[frame["stratum"] == 5, "psu"] = 1  # a lonely stratum
    design = SurveyDesign(
        frame,
        weights="w",
        strata="stratum",
        psu=["psu", "ssu"],
        fpc=["N1", "N2"],
        lonely_psu="adjust",
        adjust_domain_lonely=True,
    )
    _check(design, REQUESTS[:8])


def test_designs_answered_by_the_single_calls():
    frame = _sample(1200, seed=5)
    design = SurveyDesign(frame, weights="w", strata="stratum", psu="psu")
    _check(design.with_calibration(design.weights * 1.5, lambda z: z), REQUESTS[:6])
    _check(as_replicate(design, "JKn"), REQUESTS[:6])
    zero = frame.assign(w=np.where(np.arange(len(frame)) % 50 == 0, 0.0, frame["w"]))
    _check(SurveyDesign(zero, weights="w", strata="stratum", psu="psu"), REQUESTS[:6])


def test_codings_beyond_dense_cells_are_answered_by_the_single_calls(monkeypatch):
    monkeypatch.setattr(batch, "_DENSE_CELLS", 4)
    design = SurveyDesign(_sample(800, seed=3), weights="w", strata="stratum", psu="psu")
    _check(design, REQUESTS[:6])


def test_a_dict_of_requests_gives_a_dict_in_the_same_order():
    design = SurveyDesign(_sample(500), weights="w", strata="stratum", psu="psu")
    tables = estimate_many(
        design,
        {"share": REQUESTS[4], "mean": REQUESTS[0], 3: {"stat": "total", "variables": "y"}},
    )
    assert list(tables) == ["share", "mean", 3]
    assert_same(tables[3], est.total(design, "y"))


def test_the_toplevel_package_exports_it():
    import analysis

    assert analysis.estimate_many is estimate_many
    assert "estimate_many" in analysis.__all__ and "estimate_many" in est.__all__
    assert set(REQUEST_OPTIONS) == {"mean", "total", "proportion", "ratio", "quantile"}


# ---------------------------------------------------------------------------- errors
@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    return SurveyDesign(_sample(300), weights="w", strata="stratum", psu="psu")


def _error(design, requests) -> EstimationError:
    with pytest.raises(EstimationError) as info:
        estimate_many(design, requests)
    return info.value


def test_no_requests(design):
    for empty in ([], {}, "mean", None):
        err = _error(design, empty)
        assert err.code == "EST560"
        assert "non-empty list (or dict) of requests" in err.message


def test_a_request_that_is_not_a_dict_with_stat_and_variables(design):
    err = _error(design, [{"stat": "mean", "variables": "y"}, ("mean", "y")])
    assert err.code == "EST561"
    assert err.message == "request 1 is not a dict with 'stat' and 'variables'"
    assert _error(design, {"a": {"stat": "mean"}}).code == "EST561"


def test_an_unknown_statistic(design):
    err = _error(design, {"m": {"stat": "median", "variables": "y"}})
    assert err.code == "EST562"
    assert err.message == "request 'm' asks for an unknown statistic 'median'"
    assert "quantile" in err.expected


def test_options_the_statistic_does_not_take(design):
    err = _error(design, [{"stat": "mean", "variables": "y", "method": "beta"}])
    assert err.code == "EST563"
    assert err.message == "request 0 (mean) has options mean() does not take: 'method'"
    assert "method= is for proportions" in err.hint
    err = _error(design, [{"stat": "ratio", "variables": "y"}])
    assert (err.code, err.message) == ("EST563", "request 0 (ratio) has no 'denominator'")


def test_a_refused_request_raises_the_single_calls_error_naming_it(design):
    err = _error(design, {"ok": REQUESTS[0], "bad": {"stat": "mean", "variables": "incme"}})
    assert err.code == "EST001"
    assert err.message.endswith("(estimate_many request 'bad')")
    err = _error(design, [REQUESTS[0], {"stat": "mean", "variables": "y", "na_rm": False}])
    assert err.code == "EST003" and err.message.endswith("(estimate_many request 1)")
    err = _error(design, [{"stat": "proportion", "variables": "cat", "method": "exact"}])
    assert err.code == "EST007"
    assert _error(design, [{"stat": "mean", "variables": "cat"}]).code == "EST002"
    assert _error(design, [{"stat": "mean", "variables": "y", "ci_level": 95}]).code == "EST010"

"""Replicate-weight designs agree with R's survey package (``svrepdesign``, ``as.svrepdesign``).

The reference values in tests/reference/survey_reference_replicate.json were computed by
tests/reference/survey_reference_replicate.R on the CSV files beside it (replicate weights
exported from R, the bootstrap's included). CI needs no R: the tests only read the files.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from analysis import estimate as est
from analysis.design import SurveyDesign
from analysis.design import replicate as replicate_module
from analysis.design.replicate import ReplicateDesign, replicate_variance
from analysis.design.resampling import as_replicate, sylvester_hadamard
from analysis.errors import DesignError
from analysis.estimate.crosstab import chisq_test
from analysis.models.formulas import r_style_name
from analysis.models.glm import regression

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-9
ATOL = 1e-12


@cache
def reference() -> dict:
    return json.loads((REF / "survey_reference_replicate.json").read_text(encoding="utf-8"))


@cache
def frame(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=[""], encoding="utf-8")


def _list(v) -> list:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


@cache
def _design(data: str, spec_json: str, per_unit: bool = True) -> ReplicateDesign:
    spec = json.loads(spec_json)
    df = frame(data)
    if spec["kind"] == "given":
        pattern = f"^{spec['repweights']}[0-9]+$"
        # per_unit=False: keep the given columns (no factor rows per unit)
        share = replicate_module._FACTOR_SHARE if per_unit else 0.0
        with mock.patch.object(replicate_module, "_FACTOR_SHARE", share):
            return ReplicateDesign(
                df,
                weights=spec["weights"],
                replicate_weights=pattern,
                type=spec["type"],
                rho=spec.get("rho"),
                scale=spec.get("scale"),
                rscales=spec.get("rscales"),
                mse=spec["mse"],
            )
    base = SurveyDesign(
        df,
        weights=spec["weights"],
        strata=spec["strata"],
        psu=spec["psu"],
        fpc=spec["fpc"],
        nest=spec["nest"],
        lonely_psu=spec.get("lonely_psu", "fail"),
    )
    return as_replicate(base, spec["type"], rho=spec.get("rho") or 0.0, mse=spec["mse"])


def build(case: dict, per_unit: bool = True) -> ReplicateDesign:
    return _design(case["data"], json.dumps(case["design"], sort_keys=True), per_unit)


def run(case: dict, design: ReplicateDesign) -> pd.DataFrame:
    opts = case["options"] or {}
    common = dict(by=_list(case["by"]) or None)
    variables = _list(case["variables"])
    kind = case["estimator"]
    if kind == "mean":
        return est.mean(design, variables, **common)
    if kind == "total":
        return est.total(design, variables, **common)
    if kind == "ratio":
        return est.ratio(design, variables, opts["denominator"], **common)
    if kind == "proportion":
        return est.proportion(design, variables, method=opts.get("method", "logit"), **common)
    q = opts["q"]
    return est.quantile(
        design,
        variables,
        q if isinstance(q, float | int) else list(q),
        qrule=opts.get("qrule", "math"),
        interval=opts.get("interval", "mean"),
        **common,
    )


def _key(by: dict, variable, level, q) -> tuple:
    if isinstance(level, float) and math.isnan(level):
        level = None  # numeric variables' rows in a table with a categorical one
    return (
        tuple(sorted((k, str(v)) for k, v in by.items())),
        variable,
        None if level is None else str(level),
        None if q is None else round(float(q), 12),
    )


CASES = reference()["cases"]


def test_reference_records_versions_and_covers_every_type():
    gen = reference()["generator"]
    assert gen["survey"] and gen["R"].startswith("R version")
    kinds = {(c["design"]["kind"], c["design"]["type"]) for c in CASES}
    for t in ("BRR", "Fay", "JK1", "JKn", "bootstrap"):
        assert ("given", t) in kinds
    for t in ("BRR", "Fay", "JK1", "JKn"):
        assert ("as", t) in kinds
    assert len(CASES) >= 100


GIVEN = [c for c in CASES if c["design"]["kind"] == "given"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_r_survey(case):
    check_against_r(case, build(case))


@pytest.mark.parametrize("case", GIVEN, ids=[c["id"] for c in GIVEN])
def test_given_columns_kept_whole_match_r_survey(case):
    # the path for replicate weights that are not the weight times a factor per unit
    design = build(case, per_unit=False)
    assert design._rep_unit is None and design._rep_matrix.shape == (
        design.n_rows,
        design.n_replicates,
    )
    check_against_r(case, design)


def check_against_r(case: dict, design: ReplicateDesign) -> None:
    r_design = case["r_design"]
    assert design.n_replicates == r_design["replicates"]
    assert design.scale == pytest.approx(r_design["scale"], rel=1e-14)
    np.testing.assert_allclose(design.rscales, _list(r_design["rscales"]), rtol=1e-14)
    assert design.df == r_design["degf"]
    got = run(case, design)
    by = _list(case["by"])
    index = {
        _key({b: rec[b] for b in by}, rec["variable"], rec.get("level"), rec.get("quantile")): rec
        for rec in got.to_dict("records")
    }
    assert len(index) == len(got), "duplicate output rows"
    # R lists domains with an analysed row; baicun also reports an all-missing cell (n = 0)
    empty = got[got["n"] == 0]
    assert empty["estimate"].isna().all()
    assert len(case["rows"]) == len(got) - len(empty), "R and baicun report different domains"
    for r in case["rows"]:
        mine = index[_key(r["by"], r["variable"], r["level"], r["quantile"])]
        where = f"{case['id']} {r['by']} {r['variable']} {r['level']} {r['quantile']}"
        assert mine["n"] == r["n"], where
        assert mine["df"] == r["df"], where
        for col in ("estimate", "se", "ci_low", "ci_high", "deff"):
            want = float("nan") if r[col] is None else float(r[col])
            have = float(mine[col])
            if col.startswith("ci") and r["se"] is not None and r["se"] < 1e-12:
                continue  # no variance (a stratum's share): R's qbeta warns and guesses
            if col.startswith("ci") and r[col] is None and case["estimator"] == "proportion":
                assert have == mine["estimate"], where  # p is 0 or 1: [p, p]
                continue
            if math.isnan(want):
                assert math.isnan(have), f"{where} {col}: want NaN, got {have}"
            else:
                scale = max(1.0, abs(float(mine["estimate"])))
                assert have == pytest.approx(want, rel=RTOL, abs=ATOL * scale), f"{where} {col}"


# ---------------------------------------------------------------------------- behaviour
@pytest.fixture()
def strat() -> SurveyDesign:
    return SurveyDesign(frame("apistrat_replicate.csv"), weights="pw", strata="stype")


def test_replicate_variance_follows_svrvar():
    thetas = np.array([1.0, 2.0, 6.0])
    rs = np.array([1.0, 0.5, 0.0])  # a replicate with rscale 0 does not move the centre
    v = replicate_variance(thetas, np.array(2.0), 2.0, rs, False)
    assert float(v) == pytest.approx(2.0 * (0.25 + 0.5 * 0.25))
    assert float(replicate_variance(thetas, np.array(2.0), 2.0, rs, True)) == pytest.approx(2.0)


def test_sylvester_is_r_hadamard_for_small_designs():
    h = sylvester_hadamard(6)
    assert h.shape == (8, 8)
    signs = 2 * h - 1
    assert (signs @ signs.T == 8 * np.eye(8)).all()


def test_given_and_exported_designs_agree():
    # BRR replicate columns exported from R = as_replicate() on the same design
    df = frame("apistrat_replicate.csv")
    given = ReplicateDesign(df, weights="pw", replicate_weights="^brr_", type="BRR")
    built = as_replicate(SurveyDesign(df, weights="pw", strata="vstratum", psu="vpsu"), "BRR")
    np.testing.assert_allclose(given.replicate_weights, built.replicate_weights, rtol=1e-14)


def test_bootstrap_is_seeded(strat):
    a = as_replicate(strat, "bootstrap", replicates=20, seed=3)
    b = as_replicate(strat, "bootstrap", replicates=20, seed=3)
    np.testing.assert_array_equal(a.replicate_weights, b.replicate_weights)
    assert a.n_replicates == 20
    # every replicate resamples n_h PSUs in each stratum
    counts = a.replicate_weights / a.weights[:, None]
    for s in np.unique(strat.strata):
        rows = strat.strata == s
        assert (counts[rows].sum(axis=0) == rows.sum()).all()
    se = est.mean(a, "api00")["se"].iloc[0]
    taylor = est.mean(strat, "api00")["se"].iloc[0]
    assert 0.5 * taylor < se < 2 * taylor


def test_errors_are_coded(strat):
    df = frame("apistrat_replicate.csv")
    with pytest.raises(DesignError, match="DES200"):
        ReplicateDesign(df, weights="pw", replicate_weights="^nothing", type="BRR")
    with pytest.raises(DesignError, match="DES202") as err:
        ReplicateDesign(df, weights="pw", replicate_weights="^fay_", type="Fay")
    assert "rho" in str(err.value)
    with pytest.raises(DesignError, match="DES203"):
        ReplicateDesign(df, weights="pw", replicate_weights="^jkn_", type="JKn")
    with pytest.raises(DesignError, match="DES204"):
        as_replicate(strat, "JK1")
    with pytest.raises(DesignError, match="DES205") as err:
        as_replicate(strat, "BRR")
    assert "two PSUs" in str(err.value)
    bad = df.assign(brr_3=np.where(df.index == 4, np.nan, df["brr_3"]))
    with pytest.raises(DesignError, match="DES201"):
        ReplicateDesign(bad, weights="pw", replicate_weights="^brr_", type="BRR")


def test_linearised_variance_for_crosstab_and_models():
    # design.variance() on a replicate design: the replicate variance of linearised totals;
    # for a total it is exactly the replicate variance of the total.
    df = frame("apistrat_replicate.csv")
    d = ReplicateDesign(
        df, weights="pw", replicate_weights="^jkn_", type="JKn", rscales=np.full(30, 0.5)
    )
    y = df["enroll"].to_numpy(dtype=float)
    v = d.variance(d.weights * y)[0, 0]
    assert np.sqrt(v) == pytest.approx(est.total(d, "enroll")["se"].iloc[0], rel=1e-12)


# ---------------------------------------------------------------------------- svychisq, svyglm
CHISQ = reference()["chisq"]
MODELS = reference()["models"]


def _close(have, want) -> bool:
    if want is None:
        return math.isnan(float(have))
    return float(have) == pytest.approx(float(want), rel=RTOL, abs=1e-300)


@pytest.mark.parametrize("case", CHISQ, ids=[c["id"] for c in CHISQ])
def test_rao_scott_matches_r_svychisq_on_replicates(case):
    design = build(case)
    f = chisq_test(design, case["row"], case["col"], statistic="F").iloc[0]
    assert _close(f["value"], case["F"]["statistic"]), "F"
    assert _close(f["ndf"], case["F"]["parameter"]["ndf"]), "ndf"
    assert _close(f["ddf"], case["F"]["parameter"]["ddf"]), "ddf"
    assert _close(f["p_value"], case["F"]["p_value"]), "p (F)"
    c = chisq_test(design, case["row"], case["col"], statistic="Chisq").iloc[0]
    assert _close(c["pearson"], case["Chisq"]["statistic"]), "X-squared"
    assert _close(c["p_value"], case["Chisq"]["p_value"]), "p (Chisq)"


@pytest.mark.parametrize("case", MODELS, ids=[c["id"] for c in MODELS])
def test_matches_r_svyglm_on_replicates(case):
    design = build(case)
    m = regression(design, case["formula"], family=case["family"])
    assert m.df == case["df"]
    assert m.n == case["n"]
    mine = {r_style_name(rec["term"]): rec for rec in m.coefficients.to_dict("records")}
    assert sorted(mine) == sorted(r["term_r"] for r in case["coefficients"])
    for r in case["coefficients"]:
        got = mine[r["term_r"]]
        for col in ("estimate", "se", "t", "p_value", "ci_low", "ci_high"):
            assert _close(got[col], r[col]), f"{case['id']} {r['term_r']} {col}"


def test_where_is_a_domain_and_df_rules_apply():
    case = next(c for c in CASES if c["id"] == "as_jkn_mean_by")
    design = build(case)
    by = est.mean(design, "api00", by="awards")
    sub = est.mean(design, "api00", where=design.data["awards"] == "Yes")
    yes = by[by["awards"] == "Yes"].iloc[0]
    for col in ("estimate", "se", "df", "n"):
        assert sub[col].iloc[0] == pytest.approx(yes[col], rel=1e-12)
    pooled = est.mean(design.with_df_rule("design"), "api00", by="awards")
    assert isinstance(design.with_df_rule("design"), ReplicateDesign)
    assert (pooled["df"] == design.df).all()
    np.testing.assert_allclose(pooled["se"], by["se"], rtol=1e-12)


# ---------------------------------------------------------------------------- factor rows per unit
def _jk1_frame(rows: int = 400, groups: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    grp = np.arange(rows) % groups
    w = rng.uniform(1.0, 9.0, rows)
    reps = np.where(grp[:, None] == np.arange(groups), 0.0, w[:, None] * groups / (groups - 1))
    df = pd.DataFrame(reps, columns=[f"rw{r}" for r in range(groups)])
    return df.assign(w=w, y=rng.normal(size=rows), dom=rng.integers(0, 4, rows))


def test_given_jackknife_columns_are_held_per_unit():
    df = _jk1_frame()
    d = ReplicateDesign(df, weights="w", replicate_weights="^rw", type="JK1")
    assert d._rep_unit is not None and d._rep_matrix.shape[0] < 100  # no (n, R) copy
    np.testing.assert_allclose(d.replicate_weights, df.filter(regex="^rw").to_numpy(), rtol=1e-15)
    with mock.patch.object(replicate_module, "_FACTOR_SHARE", 0.0):
        whole = ReplicateDesign(df, weights="w", replicate_weights="^rw", type="JK1")
    assert whole._rep_unit is None
    assert d.df == whole.df == 9
    a = est.mean(d, "y", by="dom")
    b = est.mean(whole, "y", by="dom")
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-12)
    assert (a["df"] == b["df"]).all()


def test_columns_not_a_factor_per_unit_are_kept_whole():
    df = _jk1_frame()
    noisy = df.assign(rw0=df["rw0"] * np.linspace(1.0, 1.1, len(df)))  # every row its own
    assert (
        ReplicateDesign(noisy, weights="w", replicate_weights="^rw", type="JK1")._rep_unit is None
    )
    # a zero full-sample weight with non-zero replicate weights has no factor row
    zero = df.assign(w=np.where(df.index == 3, 0.0, df["w"]))
    d = ReplicateDesign(zero, weights="w", replicate_weights="^rw", type="JK1")
    assert d._rep_unit is None
    # ... but with zero replicate weights too it has one (all zeros)
    both = zero.assign(**{f"rw{r}": np.where(df.index == 3, 0.0, df[f"rw{r}"]) for r in range(10)})
    d = ReplicateDesign(both, weights="w", replicate_weights="^rw", type="JK1")
    assert d._rep_unit is not None
    np.testing.assert_array_equal(d.replicate_weights[3], np.zeros(10))


@pytest.mark.parametrize("bad", [np.nan, -1.0, np.inf])
def test_bad_values_are_refused_on_both_paths(bad):
    df = _jk1_frame()
    for rows in ([5], list(range(0, 400, 10))):  # one row, or a whole unit (same factor row)
        broken = df.assign(rw3=np.where(df.index.isin(rows), bad, df["rw3"]))
        with pytest.raises(DesignError, match="DES201"):
            ReplicateDesign(broken, weights="w", replicate_weights="^rw", type="JK1")


def _brute_units(matrix: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units of the factor rows by exact bytes, numbered in order of appearance."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(w[:, None] == 0, 0.0, matrix / w[:, None])
    keys = [row.tobytes() for row in f]
    ids: dict[bytes, int] = {}
    unit = np.array([ids.setdefault(k, len(ids)) for k in keys])
    rows = np.array([np.frombuffer(k) for k in ids])
    return unit, rows


@pytest.mark.parametrize("order", ["sorted", "shuffled", "mixed"])
@pytest.mark.parametrize("block", [64, 1 << 22])
def test_factor_rows_match_an_exact_grouping(order, block):
    rng = np.random.default_rng(3)
    rows, groups = 3000, 12
    unit = np.repeat(np.arange(300), 10) % groups  # runs of 10 rows per PSU
    if order == "shuffled":
        unit = rng.permutation(unit)
    elif order == "mixed":
        unit[1500:] = rng.permutation(unit[1500:])
    w = rng.uniform(1.0, 9.0, rows)
    w[[7, 700, 2999]] = 0.0
    factor = np.where(np.arange(groups)[:, None] == np.arange(groups), 0.0, 12 / 11)
    factor[5, 3] = 0.5  # one unit differs from the others in a single column
    matrix = np.asfortranarray(w[:, None] * factor[unit])
    with mock.patch.object(replicate_module, "_FACTOR_BLOCK_BYTES", block):
        got = replicate_module._factor_units(matrix, w, True)
        assert got is not None
        want = _brute_units(matrix, w)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1].tobytes() == want[1].tobytes()
        # a row differing from its run in one column has a unit of its own
        bumped = matrix.copy(order="F")
        bumped[1234, 5] += 0.25
        unit_b, rows_b = replicate_module._factor_units(bumped, w, True)
        np.testing.assert_array_equal(unit_b, _brute_units(bumped, w)[0])
        assert (unit_b == unit_b[1234]).sum() == 1
        assert rows_b.shape[0] == got[1].shape[0] + 1
        # given (not combined) columns are the factor rows themselves
        given = np.asfortranarray(factor[unit])
        plain = replicate_module._factor_units(given, w, False)
        assert plain is not None
        np.testing.assert_array_equal(plain[0], _brute_units(given, np.ones(rows))[0])


def test_a_hash_collision_keeps_the_columns_whole():
    df = _jk1_frame()
    # equal multipliers: the hash is the sum of the bytes, the same for every JK1 factor row
    with mock.patch.object(replicate_module, "_hash_probe", lambda r: np.ones(r, np.uint64)):
        d = ReplicateDesign(df, weights="w", replicate_weights="^rw", type="JK1")
    assert d._rep_unit is None
    per_unit = ReplicateDesign(df, weights="w", replicate_weights="^rw", type="JK1")
    assert per_unit._rep_unit is not None
    a, b = est.mean(d, "y", by="dom"), est.mean(per_unit, "y", by="dom")
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-12)


def test_rank_shortcut_agrees_with_the_column_loop():
    rng = np.random.default_rng(5)
    cases = [rng.normal(size=(50, 8)), rng.uniform(size=(6, 8)), rng.normal(size=(40, 8))]
    cases[2][:, 5] = cases[2][:, 1] * 3 + 1e-7 * rng.normal(size=40)  # nearly collinear
    cases.append(np.where(np.arange(8) == np.arange(40)[:, None] % 8, 0.0, 8 / 7))  # JK1
    cases.append(cases[3] * (1 + 1e-6 * np.linspace(0, 1, 8)))
    for w in cases:
        gram = w.T @ w
        with mock.patch.object(np.linalg, "cholesky", side_effect=np.linalg.LinAlgError):
            loop = replicate_module._qr_rank(gram, w.shape[0])
        assert replicate_module._qr_rank(gram, w.shape[0]) == loop


@pytest.mark.parametrize("sort", [True, False])
def test_sums_over_runs_of_sorted_rows_agree_with_whole_columns(sort):
    df = _jk1_frame(rows=2000, groups=10)
    df["psu"] = np.arange(2000) // 25  # 80 PSUs of 25 rows, groups by PSU
    df["w"] = 2.0 ** (np.arange(2000) % 4)  # w * 10/9 / w == 10/9: one factor row per group
    grp = df["psu"].to_numpy() % 10
    reps = np.where(grp[:, None] == np.arange(10), 0.0, df["w"].to_numpy()[:, None] * 10 / 9)
    df[[f"rw{r}" for r in range(10)]] = reps
    df["cat"] = np.array(["a", "b", "c"])[np.arange(2000) % 3]
    df["dom"] = np.where(np.arange(2000) % 7 == 0, 3, df["psu"] % 3)  # mostly PSU-constant
    df.loc[df.index % 11 == 0, "y"] = np.nan
    if not sort:
        df = df.sample(frac=1.0, random_state=2).reset_index(drop=True)
    d = ReplicateDesign(df, weights="w", replicate_weights="^rw", type="JK1")
    assert d._rep_unit is not None
    with mock.patch.object(replicate_module, "_FACTOR_SHARE", 0.0):
        whole = ReplicateDesign(df, weights="w", replicate_weights="^rw", type="JK1")
    assert (d._unit_key(None, 1).runs is not None) == sort
    for f in (
        lambda x: est.mean(x, "y"),
        lambda x: est.mean(x, "y", by="dom"),
        lambda x: est.total(x, "y", by="dom"),
        lambda x: est.proportion(x, "cat", by="dom"),
    ):
        a, b = f(d), f(whole)
        for col in ("estimate", "se", "ci_low", "ci_high", "deff"):
            np.testing.assert_allclose(a[col], b[col], rtol=1e-12)
        assert (a["df"] == b["df"]).all() and (a["n"] == b["n"]).all()

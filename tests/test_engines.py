"""Estimates on DuckDB over parquet and on Dask equal the in-memory estimates (rtol 1e-12).

The engines only move the reduction to (domain, stratum, PSU) totals; the variance code
is the in-memory design's. Each case builds the same design three ways (pandas, DuckDB
over a parquet file, Dask on a LocalCluster) on the R reference data and on the demo
study's household sample, and compares every estimate table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from analysis import SurveyDesign, chisq_test, mean, proportion, ratio, total
from analysis.design.engines import EngineDesign, from_dask
from analysis.errors import DesignError, EstimationError

pytest.importorskip("duckdb")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

REF = ROOT / "tests" / "reference"
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "deff"]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    labels = [c for c in a.columns if c not in (*NUMBERS, "df", "n")]
    assert a[labels].astype(str).equals(b[labels].astype(str))
    assert a["df"].tolist() == b["df"].tolist()
    assert a["n"].tolist() == b["n"].tolist()
    for c in NUMBERS:
        x, y = a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float)
        scale = np.nanmax(np.abs(x)) if np.isfinite(x).any() else 0.0
        np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-12 * scale, equal_nan=True, err_msg=c)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


# design options, estimate calls
CASES = {
    "apistrat": (
        dict(weights="pw", strata="stype", psu="snum", fpc="fpc"),
        [
            (mean, ("api00",), dict(by="stype")),
            (mean, ("acs.k3",), {}),
            (total, ("enroll",), {}),
            (ratio, ("api00", "api99"), dict(by="sch.wide")),
            (proportion, ("awards",), dict(by="stype")),
            (proportion, ("sch.wide",), dict(method="beta")),
            (total, ("awards",), {}),
        ],
    ),
    "apiclus1": (
        dict(weights="pw", psu="dnum", fpc="fpc"),
        [
            (mean, (["api00", "api99"],), {}),
            (total, ("enroll",), dict(by="stype")),
            (proportion, ("stype",), {}),
        ],
    ),
    "apiclus2": (
        dict(weights="pw", psu=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
        [
            (mean, ("api00",), dict(by="stype")),
            (total, ("enroll",), {}),
            (ratio, ("api00", "api99"), {}),
            (proportion, ("sch.wide",), dict(by="stype")),
        ],
    ),
    "village_households": (
        dict(weights="w", strata="county", psu="village"),
        [
            (mean, ("income",), dict(by=["county", "tv"])),
            (total, ("income",), {}),
            (ratio, ("income", "members"), dict(by="county")),
            (proportion, ("participation",), dict(by="county")),
            (proportion, ("broadband",), dict(method="xlogit")),
            (mean, ("head_female",), {}),  # True/False: a share
            (total, ("head_female",), dict(by="county")),  # True/False: counts of each
        ],
    ),
    "village_households_lonely": (
        dict(weights="w", strata="county", psu="village", lonely_psu="adjust"),
        [
            (mean, ("income",), dict(by="ethnicity")),
            (proportion, ("tv",), dict(by="county")),
        ],
    ),
}


def _designs(tmp_path_factory, name, options):
    frame = pd.read_csv(REF / f"{name}.csv")
    frame["selected"] = frame.index % 3 != 0
    folder = tmp_path_factory.mktemp(name)
    frame.to_parquet(folder / "data.parquet")
    return frame, folder / "data.parquet", SurveyDesign(frame, **options)


@pytest.mark.parametrize("case", sorted(CASES))
def test_duckdb_equals_pandas_on_the_r_reference_data(tmp_path_factory, case):
    options, calls = CASES[case]
    frame, path, design = _designs(tmp_path_factory, case, options)
    engine = SurveyDesign.from_parquet(path, **options)
    assert (engine.n_rows, engine.n_psu, engine.df) == (design.n_rows, design.n_psu, design.df)
    for fn, args, kw in calls:
        _same(fn(design, *args, **kw), fn(engine, *args, **kw))
    # a subpopulation: a where column on the engine, the same mask in memory
    fn, args, kw = calls[0]
    _same(
        fn(design, *args, **kw, where=frame["selected"].to_numpy()),
        fn(engine, *args, **kw, where="selected"),
    )


@pytest.mark.slow  # a Dask LocalCluster or the demo province: seconds each
@pytest.mark.parametrize("case", ["apistrat", "apiclus2", "village_households_lonely"])
def test_dask_equals_pandas_on_a_local_cluster(tmp_path_factory, client, case):
    options, calls = CASES[case]
    frame, path, design = _designs(tmp_path_factory, case, options)
    engine = SurveyDesign.from_parquet(path, engine="dask", **options)
    assert engine.engine == "dask"
    for fn, args, kw in calls:
        _same(fn(design, *args, **kw), fn(engine, *args, **kw))
    parts = from_dask(dd.from_pandas(frame, npartitions=4), **options, persist=True)
    fn, args, kw = calls[0]
    _same(fn(design, *args, **kw), fn(parts, *args, **kw))


@pytest.mark.parametrize("policy", ["remove", "average", "certainty"])
def test_lonely_psu_policies(tmp_path_factory, policy):
    options = dict(weights="w", strata="county", psu="village", lonely_psu=policy)
    frame, path, design = _designs(tmp_path_factory, "village_households_lonely", options)
    engine = SurveyDesign.from_parquet(path, **options)
    for adjust in (False, True):
        d = SurveyDesign(frame, **options, adjust_domain_lonely=adjust)
        e = SurveyDesign.from_parquet(path, **options, adjust_domain_lonely=adjust)
        _same(mean(d, "income", by="tv"), mean(e, "income", by="tv"))
    _same(total(design, "income"), total(engine, "income"))


@pytest.mark.slow  # a Dask LocalCluster or the demo province: seconds each
def test_the_rao_scott_test_on_both_engines(tmp_path_factory, client):
    options = dict(weights="w", strata="county", psu="village")
    frame, path, design = _designs(tmp_path_factory, "village_households", options)
    for engine in ("duckdb", "dask"):
        e = SurveyDesign.from_parquet(path, engine=engine, **options)
        for kw in ({}, {"statistic": "Chisq"}):
            a = chisq_test(design, "county", "broadband", **kw)
            b = chisq_test(e, "county", "broadband", **kw)
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
        a = chisq_test(design, "county", "tv", where=frame["selected"].to_numpy())
        b = chisq_test(e, "county", "tv", where="selected")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


@pytest.mark.slow  # a Dask LocalCluster or the demo province: seconds each
def test_the_demo_household_sample(tmp_path):
    from analysis.demo_study.population import build_province
    from analysis.demo_study.sample import field_households, field_villages

    province = build_province(2024, scale=0.3)
    villages = field_villages(province, seed=2024)
    sample = field_households(province, villages, seed=2024)
    wave = sample["wave"].iloc[0]
    frame = sample.merge(province.household_frame(wave), on="hh_uid", suffixes=("", "_h"))
    frame = frame.merge(villages[["village_id", "county"]], on="village_id")
    frame = frame[frame["weight"].notna()].reset_index(drop=True)  # the interviewed households
    frame.to_parquet(tmp_path / "households.parquet")
    options = dict(weights="weight", strata="county", psu="village_id", lonely_psu="adjust")
    design = SurveyDesign(frame, **options)
    engine = SurveyDesign.from_parquet(tmp_path / "households.parquet", **options)
    numeric = ["head_age", "distance_centre_km", "smartphones"]
    _same(mean(design, numeric, by="county"), mean(engine, numeric, by="county"))
    _same(total(design, "smartphones"), total(engine, "smartphones"))
    _same(
        proportion(design, "tv_access", by="county"), proportion(engine, "tv_access", by="county")
    )
    a = chisq_test(design, "county", "head_education")
    pd.testing.assert_frame_equal(a, chisq_test(engine, "county", "head_education"), rtol=1e-12)


def test_engine_errors(tmp_path):
    frame = pd.read_csv(REF / "village_households.csv")
    frame.to_parquet(tmp_path / "v.parquet")
    path = tmp_path / "v.parquet"
    with pytest.raises(DesignError, match="needs its sampling units") as err:
        SurveyDesign.from_parquet(path, weights="w", strata="county")
    assert err.value.code == "DES240"
    with pytest.raises(DesignError) as err:
        SurveyDesign.from_parquet(path, weights=None, psu="village", fpc="N_v")
    assert err.value.code == "DES241"
    with pytest.raises(DesignError, match="unknown engine") as err:
        SurveyDesign.from_parquet(path, weights="w", psu="village", engine="spark")
    assert err.value.code == "DES242"
    with pytest.raises(DesignError) as err:
        SurveyDesign.from_parquet(path, weights="wt", psu="village")
    assert err.value.code == "DES002" and "'w'" in str(err.value)
    design = SurveyDesign.from_parquet(path, weights="w", strata="county", psu="village")
    assert isinstance(design, EngineDesign)
    with pytest.raises(EstimationError, match="name of a True/False column") as err:
        mean(design, "income", where=np.ones(design.n_rows, dtype=bool))
    assert err.value.code == "EST540"
    with pytest.raises(EstimationError) as err:
        mean(design, "income", na_rm=False)
    assert err.value.code == "EST541"
    with pytest.raises(EstimationError) as err:
        mean(design, "broadband")
    assert err.value.code == "EST002"
    with pytest.raises(EstimationError) as err:
        mean(design, "incme")
    assert err.value.code == "EST001" and "income" in str(err.value)


def test_weight_problems_use_the_design_codes(tmp_path):
    frame = pd.read_csv(REF / "village_households.csv")
    frame.loc[3, "w"] = -1.0
    frame.to_parquet(tmp_path / "v.parquet")
    with pytest.raises(DesignError) as err:
        SurveyDesign.from_parquet(tmp_path / "v.parquet", weights="w", psu="village")
    assert err.value.code == "DES005"


@pytest.mark.parametrize("final_rows", [3, 200_000])
@pytest.mark.parametrize(
    ("case", "variable", "by"),
    [
        ("apistrat", "api00", "stype"),
        ("apiclus2", "enroll", None),
        ("village_households", "income", "county"),
    ],
)
def test_quantiles_without_sorting_the_records(
    tmp_path_factory, monkeypatch, final_rows, case, variable, by
):
    from analysis import quantile
    from analysis.estimate import engine_quantiles

    monkeypatch.setattr(
        engine_quantiles, "QUANTILE_FINAL_ROWS", final_rows
    )  # 3: several bin passes
    options = CASES[case][0]
    _, path, design = _designs(tmp_path_factory, case, options)
    engine = SurveyDesign.from_parquet(path, **options)
    for interval in ("mean", "beta"):
        a = quantile(design, variable, [0.1, 0.5, 0.9], by=by, interval=interval)
        _same(a, quantile(engine, variable, [0.1, 0.5, 0.9], by=by, interval=interval))


def test_quantile_rules_the_engines_do_not_compute(tmp_path):
    from analysis import quantile

    pd.read_csv(REF / "village_households.csv").to_parquet(tmp_path / "v.parquet")
    design = SurveyDesign.from_parquet(tmp_path / "v.parquet", weights="w", psu="village")
    with pytest.raises(EstimationError, match="qrule='math'") as err:
        quantile(design, "income", qrule="hf7")
    assert err.value.code == "EST542"


@pytest.mark.slow  # a Dask LocalCluster or the demo province: seconds each
def test_a_study_points_its_designs_at_a_dask_scheduler(tmp_path, client):
    from analysis.design.engines import study_design
    from analysis.study import Study

    frame = pd.read_csv(REF / "village_households.csv")
    frame.to_parquet(tmp_path / "household.parquet")
    design = {"household": {"weights": "w", "strata": "county", "psu": "village"}}
    scale = {"engine": "dask", "scheduler": client.scheduler.address}
    study = Study(tmp_path, {"design": design, "scale": scale})
    engine = study_design(study, "household", tmp_path / "household.parquet")
    assert engine.engine == "dask" and engine.source.client is not None
    expected = mean(SurveyDesign(frame, **design["household"]), "income", by="county")
    _same(expected, mean(engine, "income", by="county"))

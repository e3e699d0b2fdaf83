"""[[estimates]] of questions inside a repeat: the repeat's rows, each with its parent's design."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis import Study
from analysis import estimate as est
from analysis.design.from_study import build_design, design_columns, repeat_frame
from analysis.errors import StudyError
from analysis.instrument.model import Group, Instrument, Question
from analysis.pipeline.estimates import EstimateSpec, compute, spec_table
from analysis.pipeline.wave import run_wave

SETTINGS = {"weights": "w", "strata": "s", "psu": "p"}


def _form() -> Instrument:
    return Instrument(
        None,
        "hh",
        "HH",
        None,
        None,
        ("zh",),
        (
            Question("region", "text"),
            Question("owns", "select_one"),
            Question("age", "integer", repeat="members"),
            Question("sex", "select_one", repeat="members"),
            Question("crop", "text", repeat="plots"),
        ),
        (Group("members", "repeat"), Group("plots", "repeat")),
        {},
    )


@pytest.fixture
def tables():
    rng = np.random.default_rng(7)
    n = 12
    main = pd.DataFrame(
        {
            "_key": [f"h{i}" for i in range(n)],
            "w": rng.uniform(1, 5, n),
            "s": ["a", "b"] * (n // 2),
            "p": [f"v{i // 2}" for i in range(n)],
            "region": ["north", "north", "south"] * (n // 3),
            "owns": ["1", "0"] * (n // 2),
        }
    )
    sizes = rng.integers(1, 5, n)
    parents = np.repeat(main["_key"].to_numpy(), sizes)
    members = pd.DataFrame(
        {
            "_key": [f"{k}/m{i}" for i, k in enumerate(parents)],
            "_parent_key": parents,
            "age": rng.integers(1, 80, len(parents)).astype(float),
            "sex": rng.choice(["1", "2"], len(parents)),
        }
    )
    orphan = pd.DataFrame({"_key": ["gone/m0"], "_parent_key": ["gone"], "age": [50.0]})
    return main, {"members": pd.concat([members, orphan], ignore_index=True)}


def _joined(main, members):
    """The hand-made join: each member with its household's columns; orphans left out."""
    return members.merge(
        main[["_key", "w", "s", "p", "region"]].rename(columns={"_key": "_parent_key"}),
        on="_parent_key",
        how="inner",
    )


@pytest.mark.parametrize(
    ("stat", "variable", "call"),
    [
        ("mean", "age", lambda d: est.mean(d, "age", by=["region"])),
        ("proportion", "sex", lambda d: est.proportion(d, "sex", by=["region"])),
    ],
)
def test_a_repeat_table_equals_the_estimators_on_a_hand_joined_frame(tables, stat, variable, call):
    main, repeats = tables
    spec = EstimateSpec("t", "hh", stat, (variable,), by=("region",))
    table = spec_table(spec, _form())
    assert table == "members"
    frame = repeat_frame(
        main, repeats, table, [*design_columns(SETTINGS), *spec.by], lambda name: None
    )
    assert len(frame) == len(repeats["members"]) - 1  # the orphan is left out
    got = compute(spec, build_design(frame, SETTINGS, name="hh"))
    expected = call(build_design(_joined(main, repeats["members"]), SETTINGS, name="hh"))
    pd.testing.assert_frame_equal(got[expected.columns], expected)
    assert got["n_domain"].sum() == len(frame) * (1 if stat == "mean" else 2)


def test_nested_repeats_take_the_columns_of_their_ancestors():
    main = pd.DataFrame({"_key": ["a", "b"], "w": [1.0, 2.0]})
    plots = pd.DataFrame({"_key": ["a/1", "b/1"], "_parent_key": ["a", "b"], "area": [3, 4]})
    crops = pd.DataFrame(
        {"_key": ["a/1/1", "b/1/1", "b/1/2"], "_parent_key": ["a/1", "b/1", "b/1"]}
    )
    parents = {"crops": "plots", "plots": None}
    out = repeat_frame(main, {"plots": plots, "crops": crops}, "crops", ["w", "area"], parents.get)
    assert out[["area", "w"]].values.tolist() == [[3, 1.0], [4, 2.0], [4, 2.0]]


@pytest.mark.parametrize(
    "spec",
    [
        EstimateSpec("t", "hh", "mean", ("age", "owns")),  # repeat and main variables
        EstimateSpec("t", "hh", "proportion", ("sex", "crop")),  # two repeats
        EstimateSpec("t", "hh", "mean", ("age",), by=("crop",)),  # a by of another repeat
        EstimateSpec("t", "hh", "mean", ("owns",), by=("sex",)),  # main variable, repeat by
        EstimateSpec("t", "hh", "mean", ("age",), table="plots"),  # table disagrees
        EstimateSpec("t", "hh", "mean", ("age",), table="nothing"),  # no such repeat
    ],
)
def test_mixed_tables_are_refused(spec):
    with pytest.raises(StudyError) as err:
        spec_table(spec, _form())
    assert err.value.code == "STU029"


def test_main_tables_and_explicit_tables_resolve():
    form = _form()
    assert spec_table(EstimateSpec("t", "hh", "mean", ("owns",), by=("region",)), form) is None
    spec = EstimateSpec("t", "hh", "mean", ("age",), by=("sex", "region"), table="members")
    assert spec_table(spec, form) == "members"


@pytest.fixture
def household_study(repo_root, tmp_path):
    """A copy of the demo study with the household export of demo-2024 only, and a table of
    the roster's member_age by county."""
    root = tmp_path / "study"
    root.mkdir()
    shutil.copy2(repo_root / "study.toml", root / "study.toml")
    shutil.copytree(repo_root / "surveys", root / "surveys")
    raw = root / "data" / "raw" / "demo-2024"
    raw.mkdir(parents=True)
    shutil.copy2(repo_root / "data" / "raw" / "demo-2024" / "household.zip", raw)
    log = (repo_root / "data" / "raw" / "demo-2024" / "corrections.csv").read_text(encoding="utf-8")
    lines = log.splitlines(keepends=True)
    (raw / "corrections.csv").write_text(
        "".join([lines[0], *(x for x in lines[1:] if x.startswith("household,"))]),
        encoding="utf-8",
    )
    with (root / "study.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            '\n[[estimates]]\nname = "member_age"\ninstrument = "household"\nstat = "mean"\n'
            'variables = ["member_age"]\nby = ["county"]\n'
            '\n[waves.optional]\n"demo-2024" = ["village", "cadre"]\n'
        )
    return Study.load(root)


@pytest.mark.slow
def test_the_demo_roster_mean_age_by_county_runs_through_the_wave(household_study):
    study = household_study
    run_wave(study, "demo-2024", stream=io.StringIO())
    table = pd.read_csv(study.processed_dir("demo-2024") / "estimates" / "member_age.csv")
    assert table["variable"].unique().tolist() == ["member_age"]
    assert len(table) > 1 and table["county"].notna().all()
    assert table["estimate"].between(1, 100).all()
    assert (table["n_domain"] > table["n_domain"].size).all()  # members, not households

"""``baicun init``: a team's own study from its XLSForms, then new-wave, run, status."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.errors import StudyError
from analysis.pipeline.init import init_study
from analysis.study import Study

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / ".." / "shared" / "realdata"
REACH_FORM = REAL / "xlsform" / "reach_impact" / "cleaningtools_reach_kobo_tool.xlsx"
REACH_SPLIT = REAL / "xlsform" / "reach_impact" / "cleaningtools_survey.csv"
REACH_DATA = REAL / "exports" / "reach_msna" / "cleaningtools_raw_data.csv"
needs_reach = pytest.mark.skipif(
    not REACH_FORM.is_file(), reason="the REACH form and export (shared/realdata) are absent"
)


def _without_report(folder: Path) -> None:
    """Remove the starter notebooks: these tests are about the data outputs (the report
    from the starter notebooks is tested in test_own_study_e2e.py and below)."""
    for notebook in (folder / "notebooks").glob("*.ipynb"):
        notebook.unlink()


def test_init_from_the_demo_household_form(tmp_path):
    folder = tmp_path / "team"
    assert main(["init", str(folder), str(ROOT / "surveys" / "household.xlsx")]) == 0
    study = Study.load(folder)
    spec = study.instrument("household")
    assert spec.key == "hh_id" and spec.form == folder.resolve() / "surveys" / "household.xlsx"
    text = (folder / "study.toml").read_text(encoding="utf-8")
    assert "# key: question 'hh_id' has the toolkit role id" in text
    config = tomllib.loads(text)
    assert config["waves"]["list"] == [] and config["design"] == {"household": {}}
    for sub in ("data/raw", "data/processed", "reports", "notebooks"):
        assert (folder / sub).is_dir()
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "baicun new-wave" in readme and "原始" in readme


def test_init_never_overwrites_a_study(tmp_path):
    (tmp_path / "study.toml").write_text("[study]\n", encoding="utf-8")
    with pytest.raises(StudyError) as info:
        init_study(tmp_path, [str(ROOT / "surveys" / "household.xlsx")])
    assert info.value.code == "STU050"
    assert (tmp_path / "study.toml").read_text(encoding="utf-8") == "[study]\n"


def test_init_refuses_a_missing_form_and_a_name_given_twice(tmp_path):
    with pytest.raises(StudyError) as info:
        init_study(tmp_path / "a", [str(tmp_path / "nope.xlsx")])
    assert info.value.code == "STU051"
    form = str(ROOT / "surveys" / "household.xlsx")
    with pytest.raises(StudyError) as info:
        init_study(tmp_path / "b", [f"hh={form}", f"hh={form}"])
    assert info.value.code == "STU052"
    assert not (tmp_path / "b" / "study.toml").exists()


def test_a_wave_runs_in_a_study_made_by_init(tmp_path, monkeypatch):
    folder = tmp_path / "team"
    assert main(["init", str(folder), str(ROOT / "surveys" / "household.xlsx")]) == 0
    toml = folder / "study.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        text.replace('formats = ["parquet", "sav", "dta"]', 'formats = ["dta"]'), encoding="utf-8"
    )
    _without_report(folder)
    monkeypatch.chdir(folder)
    assert main(["new-wave", "w1"]) == 0
    shutil.copy(ROOT / "data" / "raw" / "demo-2025" / "household.zip", folder / "data/raw/w1")
    assert main(["run", "--wave", "w1"]) in (0, 1)
    out = folder / "data/processed/w1"
    assert sorted(p.name for p in out.glob("household*.*")) == [
        "household-members.dta",
        "household.dta",
    ]  # [outputs] formats: only Stata files
    assert main(["status"]) == 0


@needs_reach
def test_init_from_the_reach_form_then_run(tmp_path, monkeypatch):
    folder = tmp_path / "msna"
    assert main(["init", str(folder), f"msna={REACH_FORM}"]) == 0
    study = Study.load(folder)
    assert study.instrument("msna").key == "_uuid"
    assert study.default_language == "en"
    _without_report(folder)
    monkeypatch.chdir(folder)
    assert main(["new-wave", "w1"]) == 0
    shutil.copy(REACH_DATA, folder / "data/raw/w1/msna.csv")
    assert main(["run", "--wave", "w1"]) in (0, 1)
    out = folder / "data/processed/w1"
    assert {p.suffix for p in out.glob("msna.*")} == {".parquet", ".sav", ".dta"}


@needs_reach
def test_init_copies_a_split_csv_form_with_its_choices(tmp_path):
    study = init_study(tmp_path / "s", [str(REACH_SPLIT)])
    assert study.instrument_names == ("cleaningtools",)
    names = {p.name for p in study.surveys_dir.iterdir()}
    assert {"cleaningtools_survey.csv", "cleaningtools_choices.csv"} <= names

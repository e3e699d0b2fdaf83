"""The wave pipeline on a copy of the demo study: outputs, accounting, skipping, new waves."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import Study, StudyError
from analysis.pipeline.folders import new_wave, wave_status
from analysis.pipeline.inventory import raw_inventory
from analysis.pipeline.wave import run_wave

pytestmark = pytest.mark.slow


def _copy_study(src: Path, dst: Path, waves: tuple[str, ...]) -> Path:
    for name in ("study.toml", "surveys"):
        (shutil.copytree if (src / name).is_dir() else shutil.copy2)(src / name, dst / name)
    for wave in waves:
        shutil.copytree(src / "data" / "raw" / wave, dst / "data" / "raw" / wave)
    return dst


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".work" not in p.parts
    }


@pytest.fixture(scope="module")
def ran(repo_root, tmp_path_factory):
    root = _copy_study(repo_root, tmp_path_factory.mktemp("study"), ("demo-2024",))
    study = Study.load(root)
    raw_before = _digests(study.raw_dir("demo-2024"))
    result = run_wave(study, "demo-2024")
    return study, result, raw_before


def test_a_wave_run_leaves_cleaned_data_reports_and_estimates(ran):
    study, result, _ = ran
    out = study.processed_dir("demo-2024")
    assert not result.blocking
    for name in ("village", "household", "cadre"):
        for suffix in (".parquet", ".sav", ".dta"):
            assert (out / f"{name}{suffix}").is_file(), f"{name}{suffix}"
    assert (out / "household-members.parquet").is_file()
    assert (out / "validation.xlsx").is_file() and (out / "validation.html").is_file()
    estimates = sorted(p.stem for p in (out / "estimates").glob("*.csv"))
    assert "hh_participation" in estimates and "village_coverage" in estimates
    table = pd.read_csv(out / "estimates" / "village_coverage.csv")
    assert {"estimate", "se", "ci_low", "ci_high", "df", "deff", "n"} <= set(table.columns)
    assert table["estimate"].between(0, 1).all()


def test_every_raw_record_is_cleaned_or_quarantined(ran):
    _study, result, _ = ran
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    counts = manifest["steps"]["write"]["facts"]["counts"]
    for instrument, c in counts.items():
        for table in {k.rsplit("_", 1)[0] for k in c}:
            assert c[f"{table}_raw"] == c[f"{table}_cleaned"] + c[f"{table}_quarantined"], (
                instrument,
                table,
            )
    assert counts["household"]["main_quarantined"] > 0  # the demo's corrections drop duplicates
    assert manifest["instruments"]["household"]["version"]
    assert all(key.startswith("data/raw/demo-2024/") for key in manifest["inputs"])


def test_the_manifest_records_the_versions_that_produced_the_wave(ran):
    from importlib.metadata import version

    _study, result, _ = ran
    versions = json.loads(result.manifest.read_text(encoding="utf-8"))["versions"]
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    for name in ("pandas", "numpy", "pyarrow", "pyreadstat", "statsmodels", "pyxform"):
        assert versions[name] == version(name), name


def test_raw_files_are_untouched_and_a_rerun_skips_and_reproduces(ran):
    study, _result, raw_before = ran
    out = study.processed_dir("demo-2024")
    assert _digests(study.raw_dir("demo-2024")) == raw_before
    first = _digests(out)
    again = run_wave(study, "demo-2024")
    assert all(step.skipped for step in again.steps)
    forced = run_wave(study, "demo-2024", force=True)
    assert not any(step.skipped for step in forced.steps)
    assert _digests(out) == first  # byte-identical outputs, manifest included


def test_a_new_wave_from_copied_exports_runs(ran):
    study, _, _ = ran
    folder = new_wave(study, "2026")
    assert (
        (folder / "corrections.csv")
        .read_text(encoding="utf-8")
        .startswith("instrument,key,variable")
    )
    with pytest.raises(StudyError) as info:
        new_wave(study, "2026")
    assert info.value.code == "STU011"
    for name in ("village.csv", "household.zip", "cadre.csv"):
        shutil.copy2(study.raw_dir("demo-2024") / name, folder / name)
    status = wave_status(study).set_index("wave")
    assert status.loc["2026", "stale"] and status.loc["2026", "raw_files"] == 3
    # the same exports with the cleaning log that resolves their errors (errors block)
    shutil.copy2(study.raw_dir("demo-2024") / "corrections.csv", folder / "corrections.csv")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "--study", str(study.root), "run", "--wave", "2026"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (study.processed_dir("2026") / "household.parquet").is_file()
    assert not wave_status(study).set_index("wave").loc["2026", "stale"]


def test_wave_problems_are_coded_errors(ran, tmp_path):
    study, _, _ = ran
    with pytest.raises(StudyError) as info:
        raw_inventory(study, "nope")
    assert info.value.code == "STU030" and "baicun new-wave nope" in str(info.value)
    folder = study.raw_dir("double")
    folder.mkdir()
    (folder / "household.csv").write_text("a\n1\n", encoding="utf-8")
    (folder / "household.xlsx").write_bytes(b"")
    with pytest.raises(StudyError) as info:
        raw_inventory(study, "double")
    assert info.value.code == "STU031"
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "--study", str(study.root), "run", "--wave", "nope"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "[STU030]" in proc.stderr and "Traceback" not in proc.stderr


def test_panel_instruments_are_checked_against_the_previous_wave(repo_root, tmp_path):
    """[validate.panel.village]: wave demo-2025's villages are checked against demo-2024's
    cleaned villages once that wave has run; before that, the run says they were not."""
    import csv

    root = tmp_path / "study"
    root.mkdir()
    for name in ("study.toml", "surveys"):
        (shutil.copytree if (repo_root / name).is_dir() else shutil.copy2)(
            repo_root / name, root / name
        )
    for wave in ("demo-2024", "demo-2025"):  # the village exports only: a quick run
        (root / "data" / "raw" / wave).mkdir(parents=True)
        shutil.copy2(
            repo_root / "data" / "raw" / wave / "village.csv", root / "data" / "raw" / wave
        )
    with (root / "study.toml").open("a", encoding="utf-8") as toml:  # declared, not silent
        toml.write('\n[waves.optional]\n"demo-2024" = ["household", "cadre"]\n')
        toml.write('"demo-2025" = ["household", "cadre"]\n')
    path = root / "data" / "raw" / "demo-2025" / "village.csv"
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    gone = frame.loc[1, "grp_id/village_id"]
    renamed = frame.loc[0, "grp_id/village_id"]
    frame.loc[0, "grp_id/village_name"] = frame.loc[0, "grp_id/village_name"] + "新村"
    frame.drop(index=1).to_csv(path, sep=";", index=False, quoting=csv.QUOTE_ALL)
    study = Study.load(root)

    def panel_issues():
        issues = pd.read_csv(
            study.processed_dir("demo-2025") / "validation_issues.csv", dtype=str
        ).fillna("")
        return issues[issues["check"] == "panel"]

    first = run_wave(study, "demo-2025")
    facts = json.loads(first.manifest.read_text(encoding="utf-8"))["steps"]["validate"]
    assert "NOT checked against demo-2024" in facts["facts"]["panel"]["village"]
    assert "baicun run --wave demo-2024" in facts["summary"]
    assert panel_issues().empty

    run_wave(study, "demo-2024")
    second = run_wave(study, "demo-2025")
    validate_step = next(s for s in second.steps if s.name == "validate")
    assert not validate_step.skipped  # the previous wave's data is one of its inputs
    facts = json.loads(second.manifest.read_text(encoding="utf-8"))["steps"]["validate"]
    assert facts["facts"]["panel"] == {"village": "checked against demo-2024"}
    found = panel_issues()
    assert found.loc[found["code"] == "VAL184", "key"].tolist() == [gone]
    changed = found[found["code"] == "VAL186"]
    assert changed["key"].tolist() == [renamed]
    assert changed["variable"].tolist() == ["village_name"]


def test_the_readmes_python_example_runs_as_written(ran, repo_root, monkeypatch):
    """README's example on the cleaned data of a run: weights are numbers, not text."""
    import re

    study, _, _ = ran
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme, flags=re.S).group(1)
    monkeypatch.chdir(study.root)
    scope: dict = {}
    exec(compile(code.replace("demo-2025", "demo-2024"), "README.md", "exec"), scope)
    cleaned = pd.read_parquet(study.processed_dir("demo-2024") / "household.parquet")
    assert cleaned["weight"].dtype == "float64"
    assert scope["design"].n_psu > 50


def test_the_estimate_tables_computed_together_equal_those_computed_one_by_one(ran, monkeypatch):
    """The [[estimates]] of a design come from one estimate_many batch; the same tables one
    by one (compute) give the same CSV bytes."""
    from analysis.pipeline import estimates
    from analysis.pipeline.wave import WaveRun, _estimate

    study, _, _ = ran
    folder = study.processed_dir("demo-2024") / "estimates"
    together = {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}
    assert len(together) >= 10

    def one_by_one(specs, design, choices=None):
        return [estimates.compute(spec, design, choices=choices) for spec in specs]

    monkeypatch.setattr(estimates, "compute_many", one_by_one)
    _estimate(WaveRun(study, "demo-2024", study.default_language))
    assert {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))} == together

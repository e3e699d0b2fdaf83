"""A wave's outputs are replaced whole: a failed run leaves the last complete outputs as they
were, and nothing of an older run survives a complete one."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest

from analysis import Study
from analysis.errors import BaicunError
from analysis.pipeline.atomic import complete_or_restore, remove_stale, set_aside_path
from analysis.pipeline.wave import run_wave


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_failed_block_puts_the_previous_folder_back(tmp_path):
    out = tmp_path / "2026"
    (out / "estimates").mkdir(parents=True)
    (out / "estimates" / "a.csv").write_text("1\n")
    before = _digests(out)
    with pytest.raises(RuntimeError), complete_or_restore([out], stream=io.StringIO()):
        (out / "estimates" / "a.csv").write_text("half\n")
        (out / "new.csv").write_text("x\n")
        raise RuntimeError("boom")
    assert _digests(out) == before
    assert not set_aside_path(out).exists()


def test_a_failed_first_run_leaves_no_outputs(tmp_path):
    out = tmp_path / "2026"
    with pytest.raises(RuntimeError), complete_or_restore([out], stream=io.StringIO()):
        out.mkdir()
        (out / "village.parquet").write_text("partial")
        raise RuntimeError("boom")
    assert not out.exists()


def test_an_interrupted_run_is_undone_by_the_next(tmp_path):
    out = tmp_path / "2026"
    aside = set_aside_path(out)
    aside.mkdir()
    (aside / "complete.csv").write_text("1\n")
    out.mkdir()
    (out / "complete.csv").write_text("half\n")  # a run killed half-way
    stream = io.StringIO()
    with complete_or_restore([out], stream=stream):
        assert (out / "complete.csv").read_text() == "1\n"
    assert "interrupted" in stream.getvalue()
    assert not aside.exists()


def test_stale_files_are_removed_but_caches_kept(tmp_path):
    out = tmp_path / "2026"
    (out / ".work").mkdir(parents=True)
    (out / "old" / "deep").mkdir(parents=True)
    for name in ("keep.csv", "old/deep/stale.csv", ".work/cache.pkl"):
        (out / name).write_text("x")
    removed = remove_stale(out, [out / "keep.csv"])
    assert [p.name for p in removed] == ["stale.csv"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".work/cache.pkl",
        "keep.csv",
    ]
    assert not (out / "old").exists()


@pytest.fixture
def village_study(repo_root, tmp_path):
    """A copy of the demo study with the village export of demo-2024 only (a quick run)."""
    root = tmp_path / "study"
    root.mkdir()
    shutil.copy2(repo_root / "study.toml", root / "study.toml")
    shutil.copytree(repo_root / "surveys", root / "surveys")
    raw = root / "data" / "raw" / "demo-2024"
    raw.mkdir(parents=True)
    shutil.copy2(repo_root / "data" / "raw" / "demo-2024" / "village.csv", raw)
    log = (repo_root / "data" / "raw" / "demo-2024" / "corrections.csv").read_text(encoding="utf-8")
    lines = log.splitlines(keepends=True)
    (raw / "corrections.csv").write_text(
        "".join([lines[0], *(x for x in lines[1:] if x.startswith("village,"))]), encoding="utf-8"
    )
    with (root / "study.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[waves.optional]\n"demo-2024" = ["household", "cadre"]\n')
    return Study.load(root)


@pytest.mark.slow
def test_a_wave_run_replaces_its_outputs_whole(village_study):
    study = village_study
    out = study.processed_dir("demo-2024")
    run_wave(study, "demo-2024", stream=io.StringIO())
    (out / "estimates" / "from_an_older_run.csv").write_text("stale\n")
    (out / "village.parquet").rename(out / "village-old-name.parquet")
    run_wave(study, "demo-2024", stream=io.StringIO())
    assert not (out / "estimates" / "from_an_older_run.csv").exists()
    assert not (out / "village-old-name.parquet").exists()
    assert (out / "village.parquet").is_file()
    complete = _digests(out)

    # a correction whose old value no longer matches stops the run: outputs untouched
    raw = study.raw_dir("demo-2024")
    with (raw / "corrections.csv").open("a", encoding="utf-8") as log:
        log.write("village,140101,natural_villages,12345,6,replace,test,me,2026-01-01\n")
    with pytest.raises(BaicunError):
        run_wave(study, "demo-2024", stream=io.StringIO())
    assert _digests(out) == complete
    assert not set_aside_path(out).exists()


@pytest.mark.slow
def test_errors_block_the_run_and_the_last_line_says_where(village_study):
    """An unresolved error-level issue exits 1; the last line counts the errors by code and
    names the report and the cleaning log; confirming it in corrections.csv unblocks."""
    import subprocess
    import sys

    import pandas as pd

    study = village_study
    raw = study.raw_dir("demo-2024") / "village.csv"
    frame = pd.read_csv(raw, sep=";", dtype=str, keep_default_na=False)
    column = next(c for c in frame.columns if c.endswith("/natural_villages"))
    key = frame.loc[0, next(c for c in frame.columns if c.endswith("/village_id"))]
    frame.loc[0, column] = "77"  # outside the form's 1-50: an error (VAL120)
    import csv

    frame.to_csv(raw, sep=";", index=False, quoting=csv.QUOTE_ALL)

    def run():
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "analysis",
                "--study",
                str(study.root),
                "run",
                "--wave",
                "demo-2024",
            ],
            capture_output=True,
            text=True,
        )

    proc = run()
    assert proc.returncode == 1, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert "VAL120 1" in last and "error(s) remain" in last
    assert "validation.html" in last and "corrections.csv" in last

    with (study.raw_dir("demo-2024") / "corrections.csv").open("a", encoding="utf-8") as log:
        log.write(f"village,{key},natural_villages,77,,confirm,电话核实,王敏,2026-01-02\n")
    proc = run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no errors remain" in proc.stdout.strip().splitlines()[-1]


def test_named_checks_can_be_let_through(tmp_path):
    import pandas as pd

    from analysis.pipeline.wave import blocking_issues

    issues = pd.DataFrame(
        {"severity": ["error", "error", "warning"], "check": ["pii", "constraint", "range"]}
    )
    root = tmp_path
    (root / "study.toml").write_text(
        '[pipeline]\nnon_blocking_checks = ["pii"]\n', encoding="utf-8"
    )
    study = Study.load(root)
    assert blocking_issues(issues, study)["check"].tolist() == ["constraint"]
    (root / "study.toml").write_text("", encoding="utf-8")
    assert blocking_issues(issues, Study.load(root))["check"].tolist() == ["pii", "constraint"]


def _village_frame(study):
    import pandas as pd

    path = study.raw_dir("demo-2024") / "village.csv"
    return path, pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)


def _write_village(path, frame):
    import csv

    frame.to_csv(path, sep=";", index=False, quoting=csv.QUOTE_ALL)


@pytest.mark.slow
def test_an_estimate_of_a_column_the_export_lacks_names_the_export_and_table(village_study):
    path, frame = _village_frame(village_study)
    _write_village(path, frame.drop(columns=[c for c in frame if c.endswith("/has_library")]))
    with pytest.raises(BaicunError) as info:
        run_wave(village_study, "demo-2024", stream=io.StringIO())
    text = str(info.value)
    assert "has_library" in text and "village.csv" in text
    assert "estimate table 'village_facilities' of instrument 'village'" in text


@pytest.mark.slow
def test_an_export_with_a_header_only_is_named(village_study):
    path, frame = _village_frame(village_study)
    _write_village(path, frame.iloc[0:0])
    log = village_study.raw_dir("demo-2024") / "corrections.csv"
    log.write_text(log.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(BaicunError) as info:
        run_wave(village_study, "demo-2024", stream=io.StringIO())
    assert info.value.code == "STU036"
    assert "village.csv" in str(info.value) and "no records" in str(info.value)

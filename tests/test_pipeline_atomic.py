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
    (raw / "corrections.csv").write_text(
        "instrument,key,variable,old_value,new_value,action,reason,who,date\n", encoding="utf-8"
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

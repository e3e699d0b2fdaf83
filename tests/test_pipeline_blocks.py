"""Block mode of the wave pipeline on the demo: the same outputs as the in-memory path."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis import Study
from analysis.errors import BaicunError, StudyError
from analysis.pipeline.blockmode import block_settings
from analysis.pipeline.runner import run_steps
from analysis.pipeline.wave import WaveRun, wave_steps

WAVE = "demo-2025"
BLOCKS = '\n[pipeline]\nblock_mode = "always"\nblock_records = 300\n'


def _study(repo_root: Path, root: Path, extra: str = "") -> Study:
    for name in ("study.toml", "surveys"):
        (shutil.copytree if (repo_root / name).is_dir() else shutil.copy2)(
            repo_root / name, root / name
        )
    shutil.copytree(repo_root / "data" / "raw" / WAVE, root / "data" / "raw" / WAVE)
    toml = root / "study.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return Study.load(root)


def _run(study: Study):
    run = WaveRun(study, WAVE, "zh")
    steps = [s for s in wave_steps(run) if s.name != "report"]
    return run, run_steps(steps, state_dir=run.work, context=run, stream=io.StringIO(),
                          base=study.root)  # fmt: skip


@pytest.fixture(scope="module")
def both(repo_root, tmp_path_factory):
    memory = _study(repo_root, tmp_path_factory.mktemp("memory"))
    blocks = _study(repo_root, tmp_path_factory.mktemp("blocks"), BLOCKS)
    return _run(memory), _run(blocks)


@pytest.mark.slow
def test_block_mode_gives_the_outputs_of_the_in_memory_path(both):
    (mem, _), (blk, records) = both
    a, b = mem.out, blk.out
    for name in ("village", "household", "household-members", "cadre"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet")
        )
        assert pq.read_schema(a / f"{name}.parquet").equals(
            pq.read_schema(b / f"{name}.parquet"), check_metadata=True
        )
    assert pq.ParquetFile(b / "household.parquet").metadata.num_row_groups == 7
    same = ["cleaning_log.csv", "validation_issues.csv", "validation.html"]
    same += [p.relative_to(a).as_posix() for p in (a / "quarantine").glob("*.csv")]
    same += [p.relative_to(a).as_posix() for p in (a / "estimates").glob("*.csv")]
    for file in same:
        assert (a / file).read_bytes() == (b / file).read_bytes(), file
    assert not (b / "household.sav").exists()
    write = next(r for r in records if r.name == "write")
    assert write.facts["not_written"]["household"] == ["sav", "dta"]
    assert "parquet only" in write.summary


@pytest.mark.slow
def test_block_mode_keeps_no_whole_wave_pickle_and_skips_unchanged_steps(both):
    _, (blk, _) = both
    work = blk.work
    assert not list(work.glob("*.pkl")) or all(
        not p.name.startswith(("raw-", "clean-")) for p in work.glob("*.pkl")
    )
    assert (work / "raw-household.blocks" / "block-00006.pkl").is_file()
    _, again = _run(blk.study)
    assert all(r.skipped for r in again)


@pytest.mark.slow
def test_sav_asked_in_block_mode_is_a_coded_error(repo_root, tmp_path):
    study = _study(repo_root, tmp_path, BLOCKS + '\n[outputs]\nformats = ["parquet", "sav"]\n')
    with pytest.raises(BaicunError) as err:
        _run(study)
    assert err.value.code == "PIP050" and "cannot be written in blocks" in str(err.value)


def test_block_settings_are_checked():
    study = Study(Path("/s"), {"pipeline": {"block_mode": "sometimes"}})
    with pytest.raises(StudyError) as err:
        block_settings(study)
    assert err.value.code == "STU060"
    study = Study(Path("/s"), {"pipeline": {"block_records": 0}})
    with pytest.raises(StudyError) as err:
        block_settings(study)
    assert err.value.code == "STU061"
    assert block_settings(Study(Path("/s"), {})).mode == "auto"


@pytest.mark.slow
def test_a_run_in_memory_after_a_run_in_blocks_leaves_no_blocks(both):
    _, (blk, _) = both
    toml = blk.study.root / "study.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('block_mode = "always"', 'block_mode = "never"'),
        encoding="utf-8",
    )
    run, _ = _run(Study.load(blk.study.root))
    assert (run.work / "raw-household.pkl").is_file()
    assert not (run.work / "raw-household.blocks").exists()
    assert not (run.work / "clean-household.blocks").exists()
    assert (run.out / "household.sav").is_file()

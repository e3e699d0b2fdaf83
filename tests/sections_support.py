"""A small fixture study for the section and notebook tests: the demo, subsampled.

The demo study's two waves are read and cleaned by the pipeline's own first two
steps (read, correct) in a copy of the study, then the cleaned tables are cut to
a few villages in each county (kept in both waves, a panel), their households
and every other cadre. The sections and notebooks then run on a wave of a few
hundred households in seconds.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import shutil
from pathlib import Path

from analysis import Study
from analysis.pipeline.runner import run_steps
from analysis.pipeline.wave import WaveRun, wave_steps

WAVES = ("demo-2024", "demo-2025")
VILLAGES_PER_COUNTY = 3


def _copy_study(src: Path, dst: Path) -> Path:
    for name in ("study.toml", "surveys", "notebooks"):
        (shutil.copytree if (src / name).is_dir() else shutil.copy2)(src / name, dst / name)
    for wave in WAVES:
        shutil.copytree(src / "data" / "raw" / wave, dst / "data" / "raw" / wave)
    return dst


def _cut(result, keep):
    data = result.data.data
    return dataclasses.replace(
        result, data=dataclasses.replace(result.data, data=data[keep(data)].copy())
    )


def small_study(repo_root: Path, folder: Path) -> Study:
    """A copy of the demo study with both waves read, cleaned and subsampled."""
    study = Study.load(_copy_study(repo_root, folder))
    villages: set[str] | None = None
    for wave in WAVES:
        run = WaveRun(study, wave)
        steps = [s for s in wave_steps(run) if s.name in ("read", "correct")]
        run_steps(steps, state_dir=run.work, context=run, stream=io.StringIO(), base=study.root)
        clean = {
            n: pickle.loads((run.work / f"clean-{n}.pkl").read_bytes())
            for n in study.instrument_names
        }
        if villages is None:
            v = clean["village"].data.data
            villages = set(
                v.sort_values("village_id")
                .groupby("county")
                .head(VILLAGES_PER_COUNTY)["village_id"]
            )
        chosen = frozenset(villages)
        cut = {
            "village": _cut(clean["village"], lambda d, v=chosen: d["village_id"].isin(v)),
            "household": _cut(clean["household"], lambda d, v=chosen: d["village_id"].isin(v)),
            "cadre": _cut(clean["cadre"], lambda d: d.index % 2 == 0),
        }
        for name, result in cut.items():
            (run.work / f"clean-{name}.pkl").write_bytes(pickle.dumps(result, protocol=5))
    return study


def run_notebook(path: Path, **parameters) -> dict:
    """Run a section notebook's code cells in this process; returns its namespace.

    The parameter cell runs first, then ``parameters`` replace its values (as papermill
    injects them); the writer is ``namespace["w"]``. Much faster than a kernel, for
    tests of what the notebook computes and writes.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, str(path), "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(notebook=str(path), **parameters)
    return namespace

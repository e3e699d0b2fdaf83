"""The report step on the demo's last wave: one shared kernel against papermill per notebook.

Two ways to produce the same report, and its assembly alone, (five sections, figures, tables) are timed on
a copy of the demo study's cleaned data (run ``baicun demo`` first):

1. **kernel** (the pipeline's default engine): papermill parameterises the five
   notebooks, nbclient runs them in one Jupyter kernel, then the report is written;
2. **papermill**: ``papermill.execute_notebook`` per notebook (a kernel each);
3. **assembly**: the sections the notebooks saved, written again as DOCX/HTML/figures
   in this process (the part of the step that is not the notebooks' own work).

Run with ``python -m benchmarks report``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from analysis import Study

REPEATS = 1


def _copy(study: Study, wave: str, previous: str | None, dst: Path) -> Study:
    from analysis.pipeline.wave import WaveRun

    for name in ("study.toml", "surveys", "notebooks"):
        src = study.root / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst / name)
    copy = Study.load(dst)
    for w in (wave, previous):
        if w is None:
            continue
        (dst / "data" / "raw" / w).mkdir(parents=True, exist_ok=True)
        shutil.copytree(WaveRun(study, w).work, WaveRun(copy, w).work)
    return copy


def _timed(fn) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    from analysis.pipeline.report import write_wave_report
    from analysis.pipeline.wave import WaveRun
    from analysis.report import write_report
    from analysis.sections import load_section, previous_wave

    study = Study.load(Path(__file__).resolve().parents[1])
    wave = study.waves[-1]
    if not (WaveRun(study, wave).work / "clean-household.pkl").is_file():
        print(f"skipped: wave {wave} is not processed; run `baicun demo` first")
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = _copy(study, wave, previous_wave(study, wave), Path(tmp))
        run = WaveRun(copy, wave)

        timings = {
            "kernel": _timed(lambda: write_wave_report(run, engine="kernel")),
            "papermill": _timed(lambda: write_wave_report(run, engine="papermill")),
        }
        # the sections the notebooks saved, assembled again: the report files alone
        saved = sorted((run.work / "sections").glob("*.section.pkl"))

        def assembly() -> None:
            sections = [load_section(p) for p in saved]
            write_report(sections, Path(tmp) / "assembly", title="report")

        timings["assembly"] = _timed(assembly)
    for name, seconds in timings.items():
        print(f"  {name:<11} {seconds:6.1f} s")
    print(f"  papermill / kernel     {timings['papermill'] / timings['kernel']:.2f}x")
    print(f"  kernel / assembly      {timings['kernel'] / timings['assembly']:.2f}x")


if __name__ == "__main__":
    main()

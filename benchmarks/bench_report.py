"""The report step on the demo's last wave: one shared kernel against papermill per notebook.

Three ways to produce the same report (five sections, figures, tables) are timed on
a copy of the demo study's cleaned data (run ``baicun demo`` first):

1. **in-process**: build the sections and write the report in this Python process,
   no notebooks (the floor: the sections' own work plus writing DOCX/HTML/figures);
2. **kernel** (the pipeline's default engine): papermill parameterises the five
   notebooks, nbclient runs them in one Jupyter kernel, then the report is written;
3. **papermill**: ``papermill.execute_notebook`` per notebook (a kernel each).

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
    from analysis.sections import build_sections, load_context, previous_wave

    study = Study.load(Path(__file__).resolve().parents[1])
    wave = study.waves[-1]
    if not (WaveRun(study, wave).work / "clean-household.pkl").is_file():
        print(f"skipped: wave {wave} is not processed; run `baicun demo` first")
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = _copy(study, wave, previous_wave(study, wave), Path(tmp))
        run = WaveRun(copy, wave)

        def in_process() -> None:
            ctx = load_context(copy, wave)
            write_report(build_sections(ctx), Path(tmp) / "in-process", title="report")

        timings = {
            "in-process": _timed(in_process),
            "kernel": _timed(lambda: write_wave_report(run, engine="kernel")),
            "papermill": _timed(lambda: write_wave_report(run, engine="papermill")),
        }
    for name, seconds in timings.items():
        print(f"  {name:<11} {seconds:6.1f} s")
    print(f"  papermill / kernel     {timings['papermill'] / timings['kernel']:.2f}x")
    print(f"  kernel / in-process    {timings['kernel'] / timings['in-process']:.2f}x")


if __name__ == "__main__":
    main()

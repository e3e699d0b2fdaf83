"""Benchmark: every validation check on 1,000,000 household records.

The demo study's household export (wave demo-2024: about 2,000 households and 7,500
roster rows, ODK Central zip) is read with ``read_raw`` and repeated to ``N`` household
records (default 1,000,000) with their roster rows; each copy gets its own ``_key`` and
``instanceID``, everything else is repeated as is, so every record is also a duplicate
submission of 499 others (a worst case for the duplicate checks, and ~3 million issues
to assemble). ``validate`` then runs every check, with the village data for the
consistency checks and wave demo-2025 as the previous wave (panel checks).

Measured in child processes so the figures are validation's own, in two runs. The
timed run gives wall time, CPU time, the slowest checks and the peak memory of the
child alone (Linux ``VmHWM``, reset after the data is built), plus the resident
memory of the data alone. The memory run gives the peak of all processes together
while validate runs (the child and its forked workers; the sum of their proportional
set sizes, so pages the workers share with the parent count once; sampled from
outside every 0.25 s). Sampling costs about 0.2 s of CPU each time at this size,
taken from the workers on a 2-core machine, which is why it is not done in the timed
run. Goal: 30 s and 4 GiB on the 2-core development machine, the memory goal judged
on the larger of the two peaks.

Run: ``python -m benchmarks.bench_validate [N] [JOBS]``. When the demo data is not in
``data/raw/``, it is generated into a temporary folder first (about a minute).

Block mode (issue 20): ``python -m benchmarks.bench_validate --blocks [--records N]
[--block-records B] [--subset M]`` validates N household records (default 5,000,000)
with :func:`analysis.validate.validate_blocks`, the blocks (default 50,000 records)
made one at a time from the demo export as above (the N records never exist at once),
timed with the peak memory of all processes sampled as above; then checks that the
issues equal ``validate``'s on the first M records (default 1,000,000) in both modes.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _status(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in GiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def _replicate(raw, n: int):
    import numpy as np
    import pandas as pd

    from analysis.readers import RawData

    base = len(raw.data)
    copies = -(-n // base)
    idx = np.tile(np.arange(base), copies)[:n]
    copy = pd.Series(np.repeat(np.arange(copies), base)[:n].astype(str), dtype="str")
    main = raw.data.take(idx).reset_index(drop=True)
    for column in ("_key", "instanceID"):
        main[column] = main[column].astype("str") + "#" + copy
    repeats = {}
    for name, frame in raw.repeats.items():
        parent_pos = pd.Index(raw.data["_key"]).get_indexer(frame["_parent_key"])
        order = np.argsort(parent_pos, kind="stable")
        counts = np.bincount(parent_pos[parent_pos >= 0], minlength=base)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        rows = (
            np.concatenate([order[starts[p] : starts[p] + counts[p]] for p in idx])
            if len(frame)
            else order
        )
        owner = np.repeat(np.arange(n), counts[idx])
        big = frame.take(rows).reset_index(drop=True)
        suffix = pd.Series(copy.to_numpy()[owner], dtype="str")
        big["_key"] = big["_key"].astype("str") + "#" + suffix
        big["_parent_key"] = big["_parent_key"].astype("str") + "#" + suffix
        repeats[name] = big
    return RawData(main, repeats, raw.metadata)


def _lazy_blocks(raw, n: int, block: int):
    """A function giving, each time it is called, the n records of :func:`_replicate` as
    blocks of ``block`` records, made one at a time (the n records are never held)."""

    def blocks():
        for start in range(0, n, block):
            yield _replicate_range(raw, start, min(block, n - start))

    return blocks


def _replicate_range(raw, start: int, size: int):
    """Records ``start:start+size`` of ``_replicate(raw, n)`` for any n beyond them."""
    import numpy as np
    import pandas as pd

    from analysis.readers import RawData

    base = len(raw.data)
    at = np.arange(start, start + size)
    idx, copy_no = at % base, at // base
    copy = pd.Series(copy_no.astype(str), dtype="str")
    main = raw.data.take(idx).reset_index(drop=True)
    for column in ("_key", "instanceID"):
        main[column] = main[column].astype("str") + "#" + copy
    repeats = {}
    for name, frame in raw.repeats.items():
        parent_pos = pd.Index(raw.data["_key"]).get_indexer(frame["_parent_key"])
        order = np.argsort(parent_pos, kind="stable")
        counts = np.bincount(parent_pos[parent_pos >= 0], minlength=base)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        rows = (
            np.concatenate([order[starts[p] : starts[p] + counts[p]] for p in idx])
            if len(frame) and size
            else order[:0]
        )
        owner = np.repeat(np.arange(size), counts[idx])
        big = frame.take(rows).reset_index(drop=True)
        suffix = pd.Series(copy.to_numpy()[owner], dtype="str")
        big["_key"] = big["_key"].astype("str") + "#" + suffix
        big["_parent_key"] = big["_parent_key"].astype("str") + "#" + suffix
        repeats[name] = big
    issues = raw.metadata.issues
    meta = raw.metadata if start == 0 else replace(raw.metadata, issues=issues.iloc[:0])
    return RawData(main, repeats, meta)


def _block_child(
    raw_dir: str, previous_dir: str, surveys: str, study_root: str, n: int, block: int
) -> None:
    """Validate n records in blocks (figures as JSON on stdout)."""
    from analysis.pipeline.memory import use_one_allocator

    use_one_allocator()
    from analysis.instrument import load_instrument
    from analysis.readers import read_raw
    from analysis.study import Study
    from analysis.validate import validate_blocks

    study = Study.load(study_root)
    form = load_instrument(Path(surveys) / "household.xlsx")
    village = read_raw(
        Path(raw_dir) / "village.csv", load_instrument(Path(surveys) / "village.xlsx")
    )
    raw = read_raw(Path(raw_dir) / "household.zip", form)
    previous = read_raw(Path(previous_dir) / "household.zip", form) if previous_dir else None
    load = os.getloadavg()[0]
    marker = Path(os.environ.get("BENCH_VALIDATE_MARKER", os.devnull))
    if marker != Path(os.devnull):
        marker.write_text("start")
    wall = time.perf_counter()
    cpu = time.process_time()
    result = validate_blocks(
        _lazy_blocks(raw, n, block),
        form,
        study=study,
        name="household",
        others={"village": village},
        previous=previous,
        settings={"jobs": 1},
    )
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    if marker != Path(os.devnull):
        marker.write_text("end")
    print(
        json.dumps(
            {
                "households": int(result.counts["main"]),
                "roster_rows": int(sum(v for k, v in result.counts.items() if k != "main")),
                "validate_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "load": round(load, 1),
                "peak_GiB": round(_status("VmHWM"), 2),
                "issues": len(result.issues),
                "issues_by_check": result.issues["check"].value_counts().to_dict(),
            }
        )
    )


def _identity_child(
    raw_dir: str, previous_dir: str, surveys: str, study_root: str, n: int, block: int
) -> None:
    """validate and validate_blocks on the same n records: are the issues equal?"""
    import pandas as pd

    from analysis.instrument import load_instrument
    from analysis.readers import read_raw
    from analysis.study import Study
    from analysis.validate import validate, validate_blocks

    study = Study.load(study_root)
    form = load_instrument(Path(surveys) / "household.xlsx")
    village = read_raw(
        Path(raw_dir) / "village.csv", load_instrument(Path(surveys) / "village.xlsx")
    )
    raw = read_raw(Path(raw_dir) / "household.zip", form)
    previous = read_raw(Path(previous_dir) / "household.zip", form) if previous_dir else None
    kw = dict(study=study, name="household", others={"village": village}, previous=previous)
    blocked = validate_blocks(_lazy_blocks(raw, n, block), form, settings={"jobs": 1}, **kw)
    whole = validate(_replicate(raw, n), form, settings={"jobs": 2}, **kw)
    same = True
    try:
        pd.testing.assert_frame_equal(blocked.issues, whole.issues, check_categorical=False)
        pd.testing.assert_frame_equal(blocked.enumerators, whole.enumerators)
    except AssertionError as err:
        same = str(err)[:2000]
    print(json.dumps({"records": n, "issues": len(whole.issues), "identical": same}))


def _reference_seconds() -> float:
    """Seconds this machine takes, right now, to sort 20M random numbers (one core).

    Shared machines change speed from hour to hour; the figure puts a run's times in
    context (compare runs by their ratio to it, not only by their seconds).
    """
    import numpy as np

    values = np.random.default_rng(0).random(20_000_000)
    start = time.perf_counter()
    np.sort(values)
    return time.perf_counter() - start


def _child(
    raw_dir: str, previous_dir: str, surveys: str, study_root: str, n: int, jobs: int
) -> None:
    from analysis.pipeline.memory import use_one_allocator

    use_one_allocator()  # as the baicun command does (ARROW_DEFAULT_MEMORY_POOL overrides)
    import pyarrow as pa

    from analysis.instrument import load_instrument
    from analysis.readers import read_raw
    from analysis.study import Study
    from analysis.validate import validate

    study = Study.load(study_root)
    form = load_instrument(Path(surveys) / "household.xlsx")
    village_form = load_instrument(Path(surveys) / "village.xlsx")
    t = time.perf_counter()
    raw = read_raw(Path(raw_dir) / "household.zip", form)
    village = read_raw(Path(raw_dir) / "village.csv", village_form)
    previous = read_raw(Path(previous_dir) / "household.zip", form) if previous_dir else None
    big = _replicate(raw, n)
    setup = time.perf_counter() - t
    del raw
    gc.collect()
    pa.default_memory_pool().release_unused()  # what building the data freed goes back
    frames_gib = sum(f.memory_usage(deep=True).sum() for f in big.tables.values()) / 1024**3
    data_gib = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    load = os.getloadavg()[0]
    reference = _reference_seconds()
    marker = Path(os.environ.get("BENCH_VALIDATE_MARKER", os.devnull))
    if marker != Path(os.devnull):
        marker.write_text("start")
    wall = time.perf_counter()
    cpu = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = validate(
        big,
        form,
        study=study,
        name="household",
        others={"village": village},
        previous=previous,
        settings={"jobs": jobs},
    )
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    if marker != Path(os.devnull):
        marker.write_text("end")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    timings = (
        result.timings.groupby("check", as_index=False)[["seconds", "issues"]]
        .sum()
        .sort_values("seconds", ascending=False)
    )
    print(
        json.dumps(
            {
                "households": len(big.data),
                "roster_rows": sum(len(f) for f in big.repeats.values()),
                "setup_s": round(setup, 1),
                "validate_s": round(wall, 1),
                "cpu_s": round(cpu + workers, 1),
                "load": round(load, 1),
                "reference_s": round(reference, 2),
                "worker_peak_GiB": round(after.ru_maxrss / 1024**2, 2),
                "peak_GiB": round(_status("VmHWM"), 2),
                "data_GiB": round(data_gib, 2),
                "frames_GiB": round(frames_gib, 2),
                "issues": len(result.issues),
                "slowest": [
                    [r.check, round(r.seconds, 1), int(r.issues)]
                    for r in timings.head(6).itertuples()
                ],
                "issues_by_check": result.issues["check"].value_counts().to_dict(),
            }
        )
    )


_SAMPLE_S = 0.25


def _tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _pss_gib(pids: list[int]) -> float:
    """Physical memory of the processes together (shared pages counted once), in GiB."""
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024**2


def _watch(child: subprocess.Popen, marker: Path) -> float:
    """The peak memory of the child's process tree while it validates, in GiB.

    The child writes ``start`` to ``marker`` just before calling validate and ``end``
    just after; the tree (the child and its worker processes) is sampled in between.
    """
    peak = 0.0
    while child.poll() is None:
        state = marker.read_text() if marker.is_file() else ""
        if state == "start":
            peak = max(peak, _pss_gib(_tree(child.pid)))
        time.sleep(_SAMPLE_S if state == "start" else 0.05)
    child.wait()
    return peak


def _demo(tmp: Path) -> Path:
    """The root of a study holding the demo waves (the repository, or a generated copy)."""
    from analysis.study import Study

    study = Study.load(ROOT)
    if (study.raw_dir("demo-2024") / "household.zip").is_file():
        return ROOT
    from analysis.demo_study.generate import generate_demo

    shutil.copytree(study.surveys_dir, tmp / "surveys")
    shutil.copy(ROOT / "study.toml", tmp / "study.toml")
    print("validate: generating the demo waves into a temporary folder ...", flush=True)
    generate_demo(Study.load(tmp))
    return tmp


def _run_child(command: list[str], marker: Path | None) -> tuple[dict, float]:
    """Run the child; its figures, and with ``marker`` the peak memory of its tree."""
    env = dict(os.environ)
    env.pop("BENCH_VALIDATE_MARKER", None)
    if marker is not None:
        env["BENCH_VALIDATE_MARKER"] = str(marker)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True, env=env)
        if marker is None:
            child.wait()
            tree_peak = float("nan")
        else:
            tree_peak = _watch(child, marker)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise RuntimeError(f"validation benchmark failed:\n{stderr[-4000:]}")
    return json.loads(stdout.strip().splitlines()[-1]), tree_peak


def main_blocks(n: int = 5_000_000, block: int = 50_000, subset: int = 1_000_000) -> dict:
    """Validate n records in blocks (time, peak memory of all processes), then compare
    the issues of validate and validate_blocks on ``subset`` records."""
    from analysis.study import Study

    with tempfile.TemporaryDirectory() as tmp:
        root = _demo(Path(tmp))
        study = Study.load(root)
        previous = study.raw_dir("demo-2025")
        args = [
            str(study.raw_dir("demo-2024")),
            str(previous) if (previous / "household.zip").is_file() else "",
            str(study.surveys_dir),
            str(root),
        ]
        command = [sys.executable, "-m", "benchmarks.bench_validate", "--block-child", *args]
        figures, tree_peak = _run_child([*command, str(n), str(block)], Path(tmp) / "validating")
        identity, _ = (
            _run_child(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_validate",
                    "--identity-child",
                    *args,
                    str(subset),
                    str(block),
                ],
                None,
            )
            if subset
            else ({"identical": "not checked"}, None)
        )
    figures["tree_peak_GiB"] = round(tree_peak, 2)
    figures["identity"] = identity
    peak = max(figures["peak_GiB"], figures["tree_peak_GiB"])
    print(
        f"validate_blocks: {figures['households']:,} households + {figures['roster_rows']:,} "
        f"roster rows in blocks of {block:,}, every check in {figures['validate_s']} s "
        f"(CPU {figures['cpu_s']} s, load average {figures['load']}); peak memory "
        f"{peak} GiB (all processes, sampled every {_SAMPLE_S} s: {figures['tree_peak_GiB']}; "
        f"the process's high-water mark {figures['peak_GiB']}); "
        f"goal 4 GiB {'met' if peak <= 4 else 'NOT met'}; {figures['issues']:,} issues"
    )
    print(f"validate_blocks: issues equal to validate's on {subset:,} records: {identity}")
    return figures


def main(n: int = 1_000_000, jobs: int = 2) -> dict:
    """Validate n household records in a child process, twice (a timed run, then a
    memory run; see the module doc); print and return the figures."""
    from analysis.study import Study

    with tempfile.TemporaryDirectory() as tmp:
        root = _demo(Path(tmp))
        study = Study.load(root)
        previous = study.raw_dir("demo-2025")
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_validate",
            "--child",
            str(study.raw_dir("demo-2024")),
            str(previous) if (previous / "household.zip").is_file() else "",
            str(study.surveys_dir),
            str(root),
            str(n),
            str(jobs),
        ]
        figures, _ = _run_child(command, None)
        sampled, tree_peak = _run_child(command, Path(tmp) / "validating")
    figures["tree_peak_GiB"] = round(tree_peak, 2)
    figures["sampled_validate_s"] = sampled["validate_s"]
    figures["peak_GiB"] = max(figures["peak_GiB"], sampled["peak_GiB"])
    peak = max(figures["peak_GiB"], figures["tree_peak_GiB"])
    goal = "met" if figures["validate_s"] <= 30 and peak <= 4 else "NOT met"
    print(
        f"validate: {figures['households']:,} households + {figures['roster_rows']:,} roster rows, "
        f"every check in {figures['validate_s']} s (CPU {figures['cpu_s']} s, jobs={jobs}, "
        f"load average {figures['load']}, reference sort {figures['reference_s']} s); "
        f"peak memory of all processes (parent and workers, proportional set size sampled "
        f"every {_SAMPLE_S} s in a second run, which took {sampled['validate_s']} s with "
        f"the sampler) {figures['tree_peak_GiB']} GiB, of the parent alone "
        f"{figures['peak_GiB']} GiB (with the data before validating "
        f"{figures['data_GiB']} GiB, the frames {figures['frames_GiB']} GiB); "
        f"goal 30 s / 4 GiB {goal}"
    )
    print("validate: slowest checks (check, s, issues):", figures["slowest"])
    print("validate: issues by check:", figures["issues_by_check"])
    return figures


def _option(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:6], int(sys.argv[6]), int(sys.argv[7]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--block-child":
        _block_child(*sys.argv[2:6], int(sys.argv[6]), int(sys.argv[7]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--identity-child":
        _identity_child(*sys.argv[2:6], int(sys.argv[6]), int(sys.argv[7]))
    elif "--blocks" in sys.argv:
        main_blocks(
            _option("--records", 5_000_000),
            _option("--block-records", 50_000),
            _option("--subset", 1_000_000),
        )
    else:
        main(*(int(a) for a in sys.argv[1:3]))

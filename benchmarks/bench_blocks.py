"""Benchmark: the wave pipeline in block mode on 5,000,000 household records.

The demo study's household export (wave demo-2025, ODK Central zip, about 2,000
households and 7,200 roster rows) is repeated to ``--records`` households with their
roster rows and written, as an ODK Central zip, into a temporary copy of the demo
study; each copy's ``uuid:`` keys are made its own, everything else is repeated (so
every household is also a duplicate of the others with its ``hh_id``: a worst case for
the duplicate checks). The zip is written in a streaming way (the generator holds one
line at a time). The village and cadre exports are the demo's; ``corrections.csv`` is
empty.

The steps read, correct, validate, write and estimate then run in a child process with
``[pipeline] block_mode = "always"``: wall time and peak memory (``VmHWM``, reset before
each step) of every step, the peak of ``validate_blocks`` alone within the validate step
(``validate_blocks_gib``: what the step adds around it is the step's peak less this), and
the peak of the worker processes (``ru_maxrss`` of the children). With ``--where`` a
thread samples the memory (``VmRSS``) every 0.1 s with the main thread's stack, and each
step's sampled peak is printed with where the step was (``peak_where``).
With ``--compare M`` the same is done on an ``M``-record copy in block mode and in
memory, and the two ``validation_issues.csv`` are compared byte for byte.

Run: ``python -m benchmarks.bench_blocks --records 5000000 --compare 1000000``
(quick: ``--records 200000 --compare 20000``; where the peaks are: add ``--where``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAVE = "demo-2025"


def generate(root: Path, records: int, mode: str, block_records: int) -> Path:
    """A copy of the demo study with a household export of ``records`` households."""
    root.mkdir(parents=True)
    for name in ("study.toml", "surveys"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / name)
    raw = root / "data" / "raw" / WAVE
    raw.mkdir(parents=True)
    for name in ("village.csv", "cadre.csv"):
        shutil.copy2(ROOT / "data" / "raw" / WAVE / name, raw / name)
    header = (ROOT / "data" / "raw" / WAVE / "corrections.csv").read_text(encoding="utf-8")
    (raw / "corrections.csv").write_text(header.splitlines()[0] + "\n", encoding="utf-8")
    toml = root / "study.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + f'\n[pipeline]\nblock_mode = "{mode}"\nblock_records = {block_records}\n',
        encoding="utf-8",
    )
    with zipfile.ZipFile(ROOT / "data" / "raw" / WAVE / "household.zip") as demo:
        members = {n: demo.read(n).splitlines(keepends=True) for n in demo.namelist()}
    main = next(n for n in members if b"PARENT_KEY" not in members[n][0])
    base = len(members[main]) - 1
    copies = -(-records // base)
    last = records - (copies - 1) * base  # households of the last copy
    kept = {_field(line, members[main][0], "KEY") for line in members[main][1 : 1 + last]}
    zipped = {"compression": zipfile.ZIP_DEFLATED, "compresslevel": 1}
    with zipfile.ZipFile(raw / "household.zip", "w", **zipped) as out:
        for name in [main, *sorted(n for n in members if n != main)]:
            lines = members[name]
            body = b"".join(lines[1:])  # one copy of the body: the generator's whole memory
            with out.open(name, "w", force_zip64=True) as handle:
                handle.write(lines[0])
                for c in range(copies):
                    if c == copies - 1 and last < base:  # only the households written
                        body = b"".join(
                            line
                            for line in lines[1:][: last if name == main else None]
                            if name == main
                            or _field(line, lines[0], "PARENT_KEY").split("/")[0] in kept
                        )
                    handle.write(body.replace(b"uuid:", b"uuid:c%d-" % c))
    return root


def _field(line: bytes, header: bytes, column: str) -> str:
    """One field of a CSV line (the demo's lines hold no line breaks)."""
    names = next(csv.reader([header.decode("utf-8-sig").strip()]))
    values = next(csv.reader([line.decode("utf-8").strip()]))
    return values[names.index(column)]


_CHILD = r"""
import io, json, os, resource, sys, threading, time, traceback
from pathlib import Path
import analysis.validate
from analysis import Study
from analysis.pipeline.memory import use_one_allocator
from analysis.pipeline.runner import run_steps
from analysis.pipeline.wave import WaveRun, wave_steps
use_one_allocator()
study = Study.load(Path(sys.argv[1]))
run = WaveRun(study, sys.argv[2], "zh")
where = len(sys.argv) > 3 and sys.argv[3] == "--where"
def status(field):
    with open("/proc/self/status") as lines:
        return next(int(l.split()[1]) for l in lines if l.startswith(field)) / 1024**2
def reset():
    Path("/proc/self/clear_refs").write_text("5")
step_peak = [0.0]  # the step's peak, kept across the resets around validate_blocks
def hwm():
    step_peak[0] = max(step_peak[0], status("VmHWM:"))
    return step_peak[0]
blocks_peak = [0.0]
validate_blocks = analysis.validate.validate_blocks
def measured(*args, **kwargs):  # the peak of validate_blocks alone (VmHWM reset around it)
    hwm(); reset()
    try:
        return validate_blocks(*args, **kwargs)
    finally:
        blocks_peak[0] = max(blocks_peak[0], status("VmHWM:"))
        hwm(); reset()
analysis.validate.validate_blocks = measured
samples = []  # (step, GiB, stack) every 0.1 s with --where
current = [""]
def sample():
    main = threading.main_thread().ident
    while True:
        stack = traceback.extract_stack(sys._current_frames()[main])
        ours = [f"{Path(f.filename).stem}:{f.lineno} {f.name}" for f in stack
                if "/analysis/" in f.filename]
        samples.append((current[0], status("VmRSS:"), " < ".join(ours[::-1][:4])))
        time.sleep(0.1)
if where:
    threading.Thread(target=sample, daemon=True).start()
out = {"steps": {}, "summaries": {}, "peak_gib": {}}
started = time.perf_counter()
for step in [s for s in wave_steps(run) if s.name != "report"]:
    reset()  # peak of this step alone
    step_peak[0] = 0.0
    current[0] = step.name
    record = run_steps([step], state_dir=run.work, context=run, stream=io.StringIO(),
                       base=study.root)[0]
    out["steps"][step.name] = round(record.seconds, 1)
    out["summaries"][step.name] = record.summary
    out["peak_gib"][step.name] = round(hwm(), 2)
out["validate_blocks_gib"] = round(blocks_peak[0], 2)
if where:
    out["peak_where"] = {}
    for name in out["steps"]:
        mine = [s for s in samples if s[0] == name]
        if mine:
            top = max(mine, key=lambda s: s[1])
            out["peak_where"][name] = f"{top[1]:.2f} GiB at {top[2]}"
out["wall"] = time.perf_counter() - started
out["peak"] = max(out["peak_gib"].values())
out["workers_peak_gib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
print(json.dumps(out))
"""


def run_child(root: Path, where: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), WAVE, *(["--where"] if where else [])],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000_000)
    parser.add_argument("--block-records", type=int, default=50_000)
    parser.add_argument("--compare", type=int, default=1_000_000, help="0: no comparison")
    parser.add_argument(
        "--where", action="store_true", help="sample the memory: where each step peaks"
    )
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-blocks-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        root = generate(tmp / "big", args.records, "always", args.block_records)
        size = (root / "data" / "raw" / WAVE / "household.zip").stat().st_size
        print(f"generated {args.records:,} households in {time.perf_counter() - started:.0f} s "
              f"({size / 2**20:.0f} MiB zip)", flush=True)  # fmt: skip
        result = run_child(root, args.where)
        print(json.dumps(result, indent=1, ensure_ascii=False), flush=True)
        shutil.rmtree(root)
        if args.compare:
            outs = {}
            for mode in ("always", "never"):
                root = generate(tmp / mode, args.compare, mode, args.block_records)
                outs[mode] = run_child(root)
                outs[mode]["issues"] = (
                    root / "data" / "processed" / WAVE / "validation_issues.csv"
                ).read_bytes()
            same = outs["always"]["issues"] == outs["never"]["issues"]
            for mode in outs:
                print(f"{args.compare:,} households, block_mode {mode}: "
                      f"{outs[mode]['wall']:.0f} s, peak {outs[mode]['peak']:.2f} GiB "
                      f"(workers {outs[mode]['workers_peak_gib']:.2f} GiB)")  # fmt: skip
            print("issues identical to the in-memory path:", same)
    print(f"load: {os.getloadavg()[0]:.2f}; self maxrss "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB")  # fmt: skip


if __name__ == "__main__":
    main()

"""Replicate-weight estimation at 100k and 1M rows: baicun against svy and R's survey.

The sample is bench_estimate's shared benchmark sample (20 strata, 2,000 PSUs, ``cat5``
and ``domain`` as text) with 80 replicate weight columns: a delete-a-group jackknife
(type JK1, scale 79/80), the PSUs in 80 groups (``(psu_uid - 1) % 80``), replicate ``r``
dropping group ``r`` and multiplying the other rows' weights by 80/79. The timed bundle,
in each tool, in one run:

1. the replicate design from the weight columns (R: ``svrepdesign``, which computes
   ``degf`` from the rank of the replicate weights, as baicun does; svy: a ``Design``
   with ``JackknifeWgts(kind="jk1")``, ``df`` = 79);
2. the mean of ``y``;
3. the shares of the 5 levels of ``cat5`` (baicun and svy also compute logit CIs;
   R computes ``svymean(~cat5)`` only, which favours R);
4. the mean of ``y`` in each of the 10 domains (R: ``svyby``);
5. the total of ``y``.

Every tool reads the base columns (svy the parquet file into polars, R the CSV file)
and builds the same replicate weight columns before its timer starts; baicun gets a
pandas frame holding the 80 columns. svy runs from ``benchmarks/.env`` (see
benchmarks/README.md; another environment, e.g. the main checkout's from a git worktree,
with ``--peer-env DIR`` or the ``BAICUN_BENCH_PEER_ENV`` environment variable), R through
``Rscript``; a missing peer is reported as skipped.
Estimates and SEs of each peer are compared with baicun's before its time is reported.
Peak memory is baicun's traced allocations (``tracemalloc``) during one bundle, against
the frame (replicate columns included).

Each size runs ``--rounds`` rounds (default 3) of every tool (best of 3 runs; R: 1), the
order of the tools rotating from round to round; the figures are the medians of each
tool's ratio to baicun in the same round, with their range. CPU times (all threads of
the process; R's user + system) and their ratios are printed too: on a busy machine they
move less than wall times. The load average is printed before and after.

Run with ``python -m benchmarks replicate`` or
``python -m benchmarks.bench_replicate [ROWS ...] [--rounds N] [--peer-env DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.design.replicate import ReplicateDesign
from analysis.estimate.estimators import mean, proportion, total
from benchmarks.bench_estimate import (
    PEER_PYTHON,
    _last_json,
    max_rel_diff,
    run_rscript,
    write_sample,
)

SIZES = (100_000, 1_000_000)
REPLICATES = 80
REPEATS = 3
ROUNDS = 3
GOALS = {"svy": 2.0, "R survey": 10.0, "memory": 2.0}
NAMES = [f"rw{r + 1}" for r in range(REPLICATES)]
#: environment variable naming the peers' virtual environment (default ``benchmarks/.env``)
PEER_ENV_VARIABLE = "BAICUN_BENCH_PEER_ENV"


def peer_python(peer_env: str | None = None) -> Path:
    """The peers' Python: ``peer_env``, else ``$BAICUN_BENCH_PEER_ENV``, else
    ``benchmarks/.env`` (``bin/python`` inside the environment)."""
    folder = peer_env or os.environ.get(PEER_ENV_VARIABLE)
    return Path(folder) / "bin" / "python" if folder else PEER_PYTHON


def add_replicates(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with the 80 JK1 replicate weight columns ``rw1`` ... ``rw80``."""
    grp = (df["psu_uid"].to_numpy() - 1) % REPLICATES
    factor = df["w"].to_numpy() * (REPLICATES / (REPLICATES - 1))
    reps = np.where(grp[:, None] == np.arange(REPLICATES), 0.0, factor[:, None])
    return pd.concat([df, pd.DataFrame(reps, columns=NAMES, index=df.index)], axis=1)


def bundle(df: pd.DataFrame) -> dict[str, list[float]]:
    """baicun's bundle; returns estimates and SEs for the agreement check."""
    design = ReplicateDesign(
        df,
        weights="w",
        replicate_weights=NAMES,
        type="JK1",
        scale=(REPLICATES - 1) / REPLICATES,
    )
    m = mean(design, "y")
    p = proportion(design, "cat5")
    by = mean(design, "y", by="domain")
    t = total(design, "y")
    return {
        "mean": [m["estimate"].iloc[0], m["se"].iloc[0]],
        "prop": p["estimate"].tolist() + p["se"].tolist(),
        "by": by["estimate"].tolist() + by["se"].tolist(),
        "total": [t["estimate"].iloc[0], t["se"].iloc[0]],
    }


SVY_SCRIPT = r"""
import json, sys, time
import numpy as np
import polars as pl
import svy
df = pl.read_parquet(sys.argv[1])
R = int(sys.argv[3])
grp = (df["psu_uid"].to_numpy() - 1) % R
w = df["w"].to_numpy() * (R / (R - 1))
df = df.with_columns([pl.Series(f"rw{r + 1}", np.where(grp == r, 0.0, w)) for r in range(R)])
runs, cpu = [], []
for _ in range(int(sys.argv[2])):
    t0, c0 = time.perf_counter(), time.process_time()
    design = svy.Design(wgt="w", rep_wgts=svy.JackknifeWgts(prefix="rw", n_reps=R, kind="jk1"))
    e = svy.Sample(data=df, design=design).estimation
    m = e.mean("y", method="replication").to_polars()
    p = e.prop("cat5", method="replication").to_polars()
    b = e.mean("y", by="domain", method="replication").to_polars()
    t = e.total("y", method="replication").to_polars()
    runs.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
b = b.sort("domain")
p = p.sort("cat5")
print(json.dumps({"version": svy.__version__, "runs": runs, "cpu": cpu, "result": {
    "mean": [m["est"][0], m["se"][0]],
    "prop": p["est"].to_list() + p["se"].to_list(),
    "by": b["est"].to_list() + b["se"].to_list(),
    "total": [t["est"][0], t["se"][0]]}}))
"""

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- as.data.frame(data.table::fread(args[1], colClasses = list(
  integer = c("stratum", "psu", "psu_uid", "ybin"), numeric = c("w", "y"),
  character = c("cat5", "domain"))))
df$cat5 <- factor(df$cat5)
R <- as.integer(args[3])
W <- outer((df$psu_uid - 1) %% R, 0:(R - 1), "!=") * (df$w * (R / (R - 1)))
runs <- c()
cpu <- c()
for (i in seq_len(as.integer(args[2]))) {
  st <- system.time({
    des <- svrepdesign(data = df, repweights = W, weights = ~w, type = "JK1",
                       scale = (R - 1) / R, combined.weights = TRUE)
    m <- svymean(~y, des)
    p <- svymean(~cat5, des)
    b <- svyby(~y, ~domain, des, svymean)
    tt <- svytotal(~y, des)
  })
  runs <- c(runs, st[["elapsed"]])
  cpu <- c(cpu, st[["user.self"]] + st[["sys.self"]])
}
b <- b[order(b$domain), ]
cat(jsonlite::toJSON(list(version = as.character(packageVersion("survey")), runs = runs, cpu = cpu,
  result = list(mean = c(coef(m), SE(m)), prop = c(coef(p), SE(p)), by = c(b$y, b$se),
                total = c(coef(tt), SE(tt)))), digits = NA, auto_unbox = TRUE))
"""


def run_svy(parquet: Path, repeats: int, peer_env: str | None = None) -> dict | str:
    """svy's bundle in the peers' environment (:func:`peer_python`), or why it could not
    run."""
    python = peer_python(peer_env)
    if not python.exists():
        return (
            f"skipped: {python} is missing (see benchmarks/README.md; --peer-env DIR or "
            f"{PEER_ENV_VARIABLE} names another environment)"
        )
    proc = subprocess.run(
        [str(python), "-c", SVY_SCRIPT, str(parquet), str(repeats), str(REPLICATES)],
        capture_output=True,
        text=True,
        check=False,
    )
    return _last_json(proc)


def _in_process(df: pd.DataFrame) -> dict:
    """baicun's bundle, best of ``REPEATS``: wall and CPU times and the estimates."""
    runs, cpu, result = [], [], {}
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = bundle(df)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"version": "", "runs": runs, "cpu": cpu, "result": result}


def _peak_ratio(df: pd.DataFrame, n_rows: int) -> dict[str, float]:
    frame_mb = df.memory_usage(deep=True).sum() / 1e6
    tracemalloc.start()
    try:
        bundle(df)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    mult = peak / frame_mb
    verdict = "meets" if mult <= GOALS["memory"] else "MISSES"
    print(
        f"  peak memory   {peak:8.1f} MB traced during one bundle = {mult:.2f}x the frame "
        f"with its replicate columns ({frame_mb:.0f} MB; {verdict} the goal of "
        f"<= {GOALS['memory']:g}x)"
    )
    return {f"peak_ratio_{n_rows}": mult}


def _one_size(
    n_rows: int, folder: Path, rounds: int, peer_env: str | None = None
) -> dict[str, float]:
    parquet, csv = write_sample(n_rows, folder)
    df = add_replicates(pd.read_parquet(parquet))
    print(
        f"replicate bundle on {n_rows:,} rows, {REPLICATES} JK1 replicate columns: "
        "design + mean + 5-level proportion + mean by 10 domains + total; "
        f"best of {REPEATS} runs per tool and round (R: 1), {rounds} rounds, order rotating"
    )
    tools: dict[str, Callable[[], dict | str]] = {
        "baicun": lambda: _in_process(df),
        "svy": lambda: run_svy(parquet, REPEATS, peer_env),
        "R survey": lambda: run_rscript(R_SCRIPT, csv, "1", str(REPLICATES)),
    }
    names = list(tools)
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    last: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if name in skipped:
                continue
            out = tools[name]()
            if isinstance(out, str):
                skipped[name] = out
                continue
            runs = out["runs"] if isinstance(out["runs"], list) else [out["runs"]]
            wall[name].append(min(runs))
            if "cpu" in out:
                cpu[name].append(min(out["cpu"] if isinstance(out["cpu"], list) else [out["cpu"]]))
            last[name] = out
    base = wall["baicun"]
    ours = last["baicun"]["result"]
    print(
        f"  baicun        median {statistics.median(base):8.3f} s (range {min(base):.3f}-"
        f"{max(base):.3f}; CPU {statistics.median(cpu['baicun']):.3f} s)"
    )
    figures = {
        f"baicun_s_{n_rows}": statistics.median(base),
        f"baicun_cpu_s_{n_rows}": statistics.median(cpu["baicun"]),
    }
    for name in names[1:]:
        if name in skipped:
            print(f"  {name:<13} {skipped[name]}")
            continue
        ratios = [t / b for t, b in zip(wall[name], base)]
        ratio = statistics.median(ratios)
        diff = max_rel_diff(ours, last[name]["result"])
        verdict = "meets" if ratio >= GOALS[name] else "MISSES"
        label = f"{name} {last[name]['version']}"
        their_cpu = ""
        if len(cpu[name]) == len(cpu["baicun"]):  # CPU time: steadier on a busy machine
            cpu_ratios = [t / b for t, b in zip(cpu[name], cpu["baicun"])]
            their_cpu = (
                f"; CPU {statistics.median(cpu[name]):.3f} s, "
                f"{statistics.median(cpu_ratios):.2f}x baicun's"
            )
            figures[f"{'r' if name == 'R survey' else name}_cpu_ratio_{n_rows}"] = (
                statistics.median(cpu_ratios)
            )
        print(
            f"  {label:<13} median {statistics.median(wall[name]):8.3f} s{their_cpu}   "
            f"{name}/baicun {ratio:.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}; "
            f"{verdict} the goal of {GOALS[name]:g}x); estimates and SEs agree to {diff:.1e}"
        )
        key = "r" if name == "R survey" else name
        figures[f"{key}_s_{n_rows}"] = statistics.median(wall[name])
        figures[f"{key}_ratio_{n_rows}"] = ratio
        figures[f"{key}_agreement_{n_rows}"] = diff
    figures.update(_peak_ratio(df, n_rows))
    parquet.unlink()
    csv.unlink()
    return figures


def main(
    sizes: tuple[int, ...] = SIZES, rounds: int = ROUNDS, peer_env: str | None = None
) -> dict[str, float]:
    """Time the replicate bundle at each size in baicun, svy and R; print and return figures."""
    figures: dict[str, float] = {}
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            figures.update(_one_size(n, Path(tmp), rounds, peer_env))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="rows (default 100k and 1M)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="alternating rounds")
    parser.add_argument(
        "--peer-env",
        default=None,
        help=f"virtual environment holding svy (default ${PEER_ENV_VARIABLE}, else "
        "benchmarks/.env)",
    )
    args = parser.parse_args()
    main(tuple(args.sizes) or SIZES, args.rounds, args.peer_env)

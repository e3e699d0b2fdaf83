"""Design-based estimation at one million rows: baicun against svy and R's survey package.

The sample is a seeded synthetic stratified cluster sample: 1,000,000 rows, 20 strata,
2,000 PSUs (100 per stratum), 10 domains, a numeric variable and a 5-level categorical
one. The timed bundle is, in each tool, in one run:

1. design construction (strata, PSUs, weights);
2. the mean of ``y``;
3. the shares of the 5 levels of ``cat`` (baicun and svy also compute logit CIs;
   R computes ``svymean(~cat)`` only, which favours R);
4. the mean of ``y`` in each of the 10 domains (R: ``svyby``);
5. the total of ``y``.

Only the computation is timed: each peer gets the data already loaded in its native
frame (pandas for baicun, polars for svy, an R data.frame for R, timed inside R with
``system.time``). svy runs in ``benchmarks/.env`` and R through ``Rscript`` when they
are present; a missing peer is reported and skipped. Peak memory is baicun's traced
allocations (``tracemalloc``) during one bundle, against the input frame's size.

Run with ``python -m benchmarks estimate`` or ``python -m benchmarks.bench_estimate``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.design.survey import SurveyDesign
from analysis.estimate.estimators import mean, proportion, total

HERE = Path(__file__).resolve().parent
PEER_PYTHON = HERE / ".env" / "bin" / "python"
N_ROWS = 1_000_000
N_STRATA = 20
N_PSU = 2_000
N_DOMAINS = 10
SEED = 20240601
REPEATS = 3
GOALS = {"svy": 5.0, "R survey": 25.0, "memory": 2.0}


def make_sample(n_rows: int = N_ROWS, seed: int = SEED) -> pd.DataFrame:
    """The seeded synthetic stratified cluster sample (rows in random order)."""
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, N_PSU, n_rows)
    stratum = psu % N_STRATA
    psu_weight = rng.uniform(40.0, 120.0, N_PSU)
    psu_effect = rng.normal(0.0, 5.0, N_PSU)
    domain = rng.integers(0, N_DOMAINS, n_rows)
    y = 50.0 + psu_effect[psu] + 2.0 * domain + rng.normal(0.0, 15.0, n_rows)
    cat = (rng.integers(0, 5, n_rows) + (psu_effect[psu] > 2)) % 5
    return pd.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "w": psu_weight[psu] * rng.uniform(0.8, 1.25, n_rows),
            "y": y,
            "cat": cat,
            "domain": domain,
        }
    )


def bundle(df: pd.DataFrame) -> dict[str, list[float]]:
    """baicun's bundle; returns estimates and SEs for the agreement check."""
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    m = mean(design, "y")
    p = proportion(design, "cat")
    by = mean(design, "y", by="domain")
    t = total(design, "y")
    return {
        "mean": [m["estimate"].iloc[0], m["se"].iloc[0]],
        "prop": p["estimate"].tolist() + p["se"].tolist(),
        "by": by["estimate"].tolist() + by["se"].tolist(),
        "total": [t["estimate"].iloc[0], t["se"].iloc[0]],
    }


def time_baicun(df: pd.DataFrame) -> tuple[list[float], dict[str, list[float]]]:
    runs = []
    result = {}
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = bundle(df)
        runs.append(time.perf_counter() - start)
    return runs, result


def peak_memory(df: pd.DataFrame) -> float:
    """Peak bytes allocated (numpy and Python) while running one bundle."""
    tracemalloc.start()
    try:
        bundle(df)
        return float(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


SVY_SCRIPT = r"""
import json, sys, time
import polars as pl
import svy
df = pl.read_parquet(sys.argv[1])
runs = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    smp = svy.Sample(data=df, design=svy.Design(stratum="stratum", psu="psu", wgt="w"))
    e = smp.estimation
    m = e.mean("y").to_polars()
    p = e.prop("cat").to_polars()
    b = e.mean("y", by="domain").to_polars()
    t = e.total("y").to_polars()
    runs.append(time.perf_counter() - t0)
b = b.sort("domain")
p = p.sort("cat")
print(json.dumps({"version": svy.__version__, "runs": runs, "result": {
    "mean": [m["est"][0], m["se"][0]],
    "prop": p["est"].to_list() + p["se"].to_list(),
    "by": b["est"].to_list() + b["se"].to_list(),
    "total": [t["est"][0], t["se"][0]]}}))
"""

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1], colClasses = c("integer", "integer", "numeric", "numeric", "integer", "integer"))
df$cat <- factor(df$cat)
runs <- c()
for (i in seq_len(as.integer(args[2]))) {
  runs <- c(runs, system.time({
    des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df, nest = TRUE)
    m <- svymean(~y, des)
    p <- svymean(~cat, des)
    b <- svyby(~y, ~domain, des, svymean)
    tt <- svytotal(~y, des)
  })[["elapsed"]])
}
b <- b[order(b$domain), ]
cat(jsonlite::toJSON(list(version = as.character(packageVersion("survey")), runs = runs,
  result = list(mean = c(coef(m), SE(m)), prop = c(coef(p), SE(p)), by = c(b$y, b$se),
                total = c(coef(tt), SE(tt)))), digits = NA, auto_unbox = TRUE))
"""


def run_svy(df: pd.DataFrame, tmp: Path, repeats: int) -> dict | str:
    if not PEER_PYTHON.exists():
        return "skipped: benchmarks/.env is missing (see benchmarks/README.md)"
    path = tmp / "sample.parquet"
    if not path.exists():
        df.to_parquet(path, index=False)
    proc = subprocess.run(
        [str(PEER_PYTHON), "-c", SVY_SCRIPT, str(path), str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_rscript(script: str, df: pd.DataFrame, tmp: Path, *args: str) -> dict | str:
    """Run an R script on ``df`` (written as CSV; its path is the first argument) and
    return the JSON it prints last, or why it could not run."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "skipped: Rscript is not installed"
    path = tmp / "sample.csv"
    df.to_csv(path, index=False)
    file = tmp / "bench.R"
    file.write_text(script, encoding="utf-8")
    proc = subprocess.run(
        [rscript, str(file), str(path), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_r(df: pd.DataFrame, tmp: Path, repeats: int) -> dict | str:
    return run_rscript(R_SCRIPT, df, tmp, str(repeats))


def max_rel_diff(a: dict[str, list[float]], b: dict[str, list[float]]) -> float:
    worst = 0.0
    for key, values in a.items():
        x = np.asarray(values, dtype=float)
        y = np.asarray(b[key], dtype=float)
        worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-300))))
    return worst


def main(n_rows: int = N_ROWS) -> dict[str, float]:
    """Time the bundle in baicun, svy and R; print the figures and ratios; return them."""
    df = make_sample(n_rows)
    frame_mb = df.memory_usage(deep=True).sum() / 1e6
    print(
        f"bundle on {n_rows:,} rows ({N_STRATA} strata, {N_PSU:,} PSUs, {N_DOMAINS} domains): "
        "design + mean + 5-level proportion + mean by domain + total"
    )
    runs, ours = time_baicun(df)
    best = min(runs)
    figures: dict[str, float] = {"baicun_s": best}
    print(f"  baicun        {best:8.3f} s   (runs: {', '.join(f'{r:.3f}' for r in runs)})")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for label, runner, repeats in (("svy", run_svy, REPEATS), ("R survey", run_r, 1)):
            peer = runner(df, tmp, repeats)
            if isinstance(peer, str):
                print(f"  {label:<13} {peer}")
                continue
            runs_peer = peer["runs"] if isinstance(peer["runs"], list) else [peer["runs"]]
            their = min(runs_peer)
            ratio = their / best
            diff = max_rel_diff(ours, peer["result"])
            goal = GOALS[label]
            verdict = "meets" if ratio >= goal else "MISSES"
            print(
                f"  {label + ' ' + peer['version']:<13} {their:8.3f} s   -> baicun is "
                f"{ratio:.1f}x faster ({verdict} the goal of {goal:g}x); estimates and SEs "
                f"agree to {diff:.1e} (max relative difference)"
            )
            key = "svy" if label == "svy" else "r"
            figures[f"{key}_s"] = their
            figures[f"{key}_ratio"] = ratio
            figures[f"{key}_agreement"] = diff
    peak = peak_memory(df) / 1e6
    mult = peak / frame_mb
    verdict = "meets" if mult <= GOALS["memory"] else "MISSES"
    print(
        f"  peak memory   {peak:8.1f} MB traced during one bundle = {mult:.2f}x the input "
        f"frame ({frame_mb:.0f} MB; {verdict} the goal of <= {GOALS['memory']:g}x)"
    )
    figures["peak_mb"] = peak
    figures["peak_ratio"] = mult
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N_ROWS)

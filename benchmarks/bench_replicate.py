"""Replicate-weight estimation at 100k and 1M rows: baicun against R's survey package.

The sample is bench_estimate's seeded synthetic stratified cluster sample with 80
replicate weight columns: a delete-a-group jackknife (type JK1, scale 79/80), the
2,000 PSUs in 80 groups, replicate ``r`` dropping group ``r`` and multiplying the other
rows' weights by 80/79. The timed bundle, in each tool, in one run:

1. the replicate design from the weight columns (R: ``svrepdesign``, which computes
   ``degf`` from the rank of the replicate weights, as baicun does);
2. the mean of ``y``;
3. the shares of the 5 levels of ``cat`` (baicun also computes logit CIs, refitting on
   every replicate; R computes ``svymean(~cat)`` only, which favours R);
4. the mean of ``y`` in each of the 10 domains (R: ``svyby``);
5. the total of ``y``.

R gets the base columns and builds the same replicate weight matrix before its timer
starts; baicun gets a pandas frame holding the 80 columns. svy is run when
``benchmarks/.env`` has it (see benchmarks/README.md); this module has no svy script
yet and reports it as skipped. Peak memory is baicun's traced allocations
(``tracemalloc``) during one bundle, against the frame (replicate columns included).

Run with ``python -m benchmarks replicate`` or ``python -m benchmarks.bench_replicate``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.design.replicate import ReplicateDesign
from analysis.estimate.estimators import mean, proportion, total
from benchmarks.bench_estimate import make_sample as base_sample
from benchmarks.bench_estimate import max_rel_diff, run_rscript

SIZES = (100_000, 1_000_000)
REPLICATES = 80
REPEATS = 3
GOALS = {"R survey": 10.0, "memory": 2.0}


def make_sample(n_rows: int) -> pd.DataFrame:
    """bench_estimate's sample, a replicate group per PSU and the 80 replicate columns."""
    df = base_sample(n_rows)
    df["grp"] = df["psu"] % REPLICATES
    factor = df["w"].to_numpy() * (REPLICATES / (REPLICATES - 1))
    drop = df["grp"].to_numpy()[:, None] == np.arange(REPLICATES)
    reps = np.where(drop, 0.0, factor[:, None])
    names = [f"rw{r + 1}" for r in range(REPLICATES)]
    return pd.concat([df, pd.DataFrame(reps, columns=names, index=df.index)], axis=1)


def bundle(df: pd.DataFrame) -> dict[str, list[float]]:
    """baicun's bundle; returns estimates and SEs for the agreement check."""
    design = ReplicateDesign(
        df,
        weights="w",
        replicate_weights=[f"rw{r + 1}" for r in range(REPLICATES)],
        type="JK1",
        scale=(REPLICATES - 1) / REPLICATES,
    )
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


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1])
df$cat <- factor(df$cat)
R <- as.integer(args[3])
W <- outer(df$grp, 0:(R - 1), "!=") * (df$w * (R / (R - 1)))
runs <- c()
for (i in seq_len(as.integer(args[2]))) {
  runs <- c(runs, system.time({
    des <- svrepdesign(data = df, repweights = W, weights = ~w, type = "JK1",
                       scale = (R - 1) / R, combined.weights = TRUE)
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


def _one_size(n_rows: int) -> dict[str, float]:
    df = make_sample(n_rows)
    frame_mb = df.memory_usage(deep=True).sum() / 1e6
    print(
        f"replicate bundle on {n_rows:,} rows, {REPLICATES} JK1 replicate columns: "
        "design + mean + 5-level proportion + mean by 10 domains + total"
    )
    runs = []
    ours: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        start = time.perf_counter()
        ours = bundle(df)
        runs.append(time.perf_counter() - start)
    best = min(runs)
    figures = {f"baicun_s_{n_rows}": best}
    print(f"  baicun        {best:8.3f} s   (runs: {', '.join(f'{r:.3f}' for r in runs)})")
    print("  svy           skipped: no replicate-weight svy script in this benchmark yet")
    base = df[["stratum", "psu", "w", "y", "cat", "domain", "grp"]]
    with tempfile.TemporaryDirectory() as tmp_name:
        peer = run_rscript(R_SCRIPT, base, Path(tmp_name), "1", str(REPLICATES))
    if isinstance(peer, str):
        print(f"  R survey      {peer}")
    else:
        runs_r = peer["runs"] if isinstance(peer["runs"], list) else [peer["runs"]]
        their = min(runs_r)
        ratio = their / best
        diff = max_rel_diff(ours, peer["result"])
        verdict = "meets" if ratio >= GOALS["R survey"] else "MISSES"
        print(
            f"  R survey {peer['version']:<5} {their:8.3f} s   -> baicun is {ratio:.1f}x faster "
            f"({verdict} the goal of {GOALS['R survey']:g}x); estimates and SEs agree to "
            f"{diff:.1e}"
        )
        figures[f"r_s_{n_rows}"] = their
        figures[f"r_ratio_{n_rows}"] = ratio
        figures[f"r_agreement_{n_rows}"] = diff
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
    figures[f"peak_ratio_{n_rows}"] = mult
    return figures


def main(sizes: tuple[int, ...] = SIZES) -> dict[str, float]:
    """Time the replicate bundle at each size in baicun and R; print and return figures."""
    figures: dict[str, float] = {}
    for n in sizes:
        figures.update(_one_size(n))
    return figures


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)

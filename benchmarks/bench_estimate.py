"""Design-based estimation on string-coded survey data: baicun, svy, R survey, a numpy floor.

The sample is the shared benchmark shape (``../shared/bench/gen_data.py``, reproduced here
with the same seed so the benchmark needs nothing outside the repository): 20 strata,
2,000 PSUs (60-140 per stratum) whose codes restart within each stratum (so the design
nests PSUs in strata), about ``n / 2000`` households per PSU, weights varying within PSUs,
a lognormal ``y``, and ``cat5`` (5 levels) and ``domain`` (10 levels) as **text**, as real
exports have them. The timed bundle is, in each tool:

1. design construction (strata, nested PSUs, weights);
2. the mean of ``y``;
3. the shares of the 5 levels of ``cat5`` (baicun and svy also compute logit CIs;
   R computes ``svymean(~cat5)`` only, which favours R);
4. the mean of ``y`` in each of the 10 domains (R: ``svyby``);
5. the total of ``y``.

Tools: baicun (in this process, on a pandas frame read from parquet; the four estimates
requested together through ``estimate_many``, one reduction of the rows); baicun's
**4 calls** (the same four estimates as single calls: mean, proportion, mean by, total);
the **numpy floor**
(in this process: one weighted ``bincount`` over (PSU, domain, level) cells serves all four
estimates, after factorising its own strings; Wald/xlogit intervals only); svy 0.35 (in
``benchmarks/.env``, on a polars frame) and R survey (``Rscript``, ``system.time`` inside R,
data read with ``data.table::fread``). Only the computation is timed. A missing peer is
reported and skipped.

Rounds alternate the order of the tools (round ``r`` starts with tool ``r mod k``); each
round takes the best of ``REPEATS`` runs per tool (R: one run), and the ratio of every tool
to baicun in the same round. The report gives, per size, the median ratio and its range
over the rounds, and whether the estimates and SEs of all tools agree with baicun.

Then, at the largest size of the table: the **whole process** (fresh interpreter: imports,
reading the parquet file, design, the four estimates once; wall time and peak resident
memory) for baicun, svy, the numpy floor and R (R reads the CSV file); and the time of
``python -c "import analysis; analysis.mean"``. With ``--growth`` baicun alone runs the
bundle at 1M, 3M, 10M and 30M rows, each size in a fresh interpreter: wall and CPU seconds
(user + system, ``getrusage``) per million rows and their ratio to 1M's, beside two
references run on the same data (a sort, n log n, and one ``bincount`` pass, linear), and
the peak resident memory beside the frame's size.

Run with ``python -m benchmarks estimate`` or
``python -m benchmarks.bench_estimate [--sizes 10000 100000 1000000] [--rounds 3] [--growth]``
(``--sizes --growth``: the growth run only).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.design.survey import SurveyDesign
from analysis.estimate.batch import estimate_many
from analysis.estimate.estimators import mean, proportion, total

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_PYTHON = HERE / ".env" / "bin" / "python"
SIZES = (10_000, 100_000, 1_000_000)
GROWTH_SIZES = (1_000_000, 3_000_000, 10_000_000, 30_000_000)
ROUNDS = 3
REPEATS = 3
SEED = 20240611
N_STRATA = 20
N_PSU = 2000
N_DOMAIN = 10
N_CAT = 5
GOALS = {"svy": 5.0, "R survey": 25.0, "floor": 1.5, "svy_10k": 2.0}


# ------------------------------------------------------------------------------ the data
def _psu_allocation(rng: np.random.Generator) -> np.ndarray:
    """PSUs per stratum: 60..140, summing to exactly ``N_PSU``."""
    n_h = rng.integers(60, 141, size=N_STRATA)
    diff = N_PSU - n_h.sum()
    i = 0
    while diff != 0:
        step = 1 if diff > 0 else -1
        if 60 <= n_h[i % N_STRATA] + step <= 140:
            n_h[i % N_STRATA] += step
            diff -= step
        i += 1
    return n_h


def make_table(n_rows: int, seed: int = SEED) -> Any:
    """The shared benchmark sample as a pyarrow Table (same numbers as gen_data.py)."""
    import pyarrow as pa

    rng = np.random.default_rng(seed + n_rows)
    n_h = _psu_allocation(np.random.default_rng(seed))
    psu_stratum = np.repeat(np.arange(1, N_STRATA + 1), n_h)
    psu_within = np.concatenate([np.arange(1, k + 1) for k in n_h])
    psu_uid = np.arange(1, N_PSU + 1)
    m = n_rows / N_PSU
    lo, hi = max(1, int(np.ceil(0.8 * m))), max(2, int(np.floor(1.2 * m)))
    sizes = rng.integers(lo, hi + 1, size=N_PSU)
    diff = n_rows - sizes.sum()
    order = rng.permutation(N_PSU)
    i = 0
    while diff != 0:
        j = order[i % N_PSU]
        step = 1 if diff > 0 else -1
        if sizes[j] + step >= 2:
            sizes[j] += step
            diff -= step
        i += 1
    stratum_base_w = rng.uniform(50, 400, size=N_STRATA)
    psu_w_factor = rng.lognormal(0.0, 0.35, size=N_PSU)
    psu_effect = rng.normal(0.0, 0.35, size=N_PSU)
    psu_dom = rng.integers(0, N_DOMAIN, size=N_PSU)
    stratum_effect = rng.normal(0.0, 0.25, size=N_STRATA)
    dom_effect = np.linspace(-0.4, 0.4, N_DOMAIN)
    hh_psu = np.repeat(np.arange(N_PSU), sizes)
    stratum = psu_stratum[hh_psu]
    w = stratum_base_w[stratum - 1] * psu_w_factor[hh_psu] * rng.uniform(0.8, 1.25, size=n_rows)
    dom_idx = np.where(
        rng.random(n_rows) < 0.7, psu_dom[hh_psu], rng.integers(0, N_DOMAIN, size=n_rows)
    )
    eta = stratum_effect[stratum - 1] + psu_effect[hh_psu] + dom_effect[dom_idx]
    y = rng.lognormal(mean=8.0 + eta, sigma=0.8)
    p = 1.0 / (1.0 + np.exp(-(-0.6 + 1.5 * eta)))
    ybin = (rng.random(n_rows) < p).astype(np.int64)
    latent = eta + rng.logistic(size=n_rows)
    cat_idx = np.searchsorted(np.array([-1.5, -0.5, 0.5, 1.5]), latent)
    cat_labels = np.array([f"c{k + 1}" for k in range(N_CAT)])
    dom_labels = np.array([f"D{k + 1:02d}" for k in range(N_DOMAIN)])
    return pa.table(
        {
            "stratum": pa.array(stratum.astype(np.int64)),
            "psu": pa.array(psu_within[hh_psu].astype(np.int64)),
            "psu_uid": pa.array(psu_uid[hh_psu].astype(np.int64)),
            "w": pa.array(w.astype(np.float64)),
            "y": pa.array(y.astype(np.float64)),
            "ybin": pa.array(ybin),
            "cat5": pa.array(cat_labels[cat_idx]),
            "domain": pa.array(dom_labels[dom_idx]),
        }
    )


def write_sample(n_rows: int, folder: Path) -> tuple[Path, Path]:
    """The sample as parquet and CSV files in ``folder``."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = make_table(n_rows)
    parquet = folder / f"survey_{n_rows}.parquet"
    csv = folder / f"survey_{n_rows}.csv"
    pq.write_table(table, parquet)
    pacsv.write_csv(table, csv, pacsv.WriteOptions(quoting_style="none"))
    return parquet, csv


# ------------------------------------------------------------------------------ the bundles
#: The four estimates of the bundle as one estimate_many call.
REQUESTS = (
    {"stat": "mean", "variables": "y"},
    {"stat": "proportion", "variables": "cat5"},
    {"stat": "mean", "variables": "y", "by": "domain"},
    {"stat": "total", "variables": "y"},
)


def bundle(df: pd.DataFrame) -> dict[str, list[float]]:
    """baicun's bundle, the four estimates requested together (``estimate_many``: one
    reduction of the rows); returns estimates and SEs for the agreement check."""
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    m, p, by, t = estimate_many(design, REQUESTS)
    return _figures(m, p, by, t)


def bundle_calls(df: pd.DataFrame) -> dict[str, list[float]]:
    """baicun's bundle as four single calls (mean, proportion, mean by, total)."""
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    m = mean(design, "y")
    p = proportion(design, "cat5")
    by = mean(design, "y", by="domain")
    t = total(design, "y")
    return _figures(m, p, by, t)


def _figures(m: pd.DataFrame, p: pd.DataFrame, by: pd.DataFrame, t: pd.DataFrame) -> dict:
    return {
        "mean": [m["estimate"].iloc[0], m["se"].iloc[0]],
        "prop": p["estimate"].tolist() + p["se"].tolist(),
        "by": by["estimate"].tolist() + by["se"].tolist(),
        "total": [t["estimate"].iloc[0], t["se"].iloc[0]],
    }


# The floor is plain numpy and pandas, run here and as a script in a fresh interpreter.
FLOOR_SOURCE = r'''
import numpy as np
import pandas as pd


def _stratified_var(unit_tot, psu_stratum, n_strata):
    """With-replacement variance of totals from PSU totals (columns: estimates)."""
    n_h = np.bincount(psu_stratum, minlength=n_strata).astype(float)
    out = np.zeros(unit_tot.shape[1])
    for j in range(unit_tot.shape[1]):
        col = unit_tot[:, j]
        mean_h = np.bincount(psu_stratum, weights=col, minlength=n_strata) / n_h
        dev = col - mean_h[psu_stratum]
        ss = np.bincount(psu_stratum, weights=dev * dev, minlength=n_strata)
        out[j] = (n_h / (n_h - 1) * ss).sum()
    return out


def floor_bundle(df):
    """The four estimates from one weighted bincount over (PSU, domain, level) cells."""
    strat = df["stratum"].to_numpy()
    psu = df["psu"].to_numpy()
    w = df["w"].to_numpy()
    y = df["y"].to_numpy()
    cat, cat_levels = pd.factorize(df["cat5"], sort=True)
    dom, dom_levels = pd.factorize(df["domain"], sort=True)
    s_code, s_levels = pd.factorize(strat, sort=True)
    width = int(psu.max()) + 1
    pcode, puniq = pd.factorize(s_code * width + psu)
    n_psu, n_strata = len(puniq), len(s_levels)
    psu_stratum = np.asarray(puniq) // width
    n_l, n_d = len(cat_levels), len(dom_levels)
    cell = (pcode * n_d + dom) * n_l + cat
    size = n_psu * n_d * n_l
    sw = np.bincount(cell, weights=w, minlength=size).reshape(n_psu, n_d, n_l)
    swy = np.bincount(cell, weights=w * y, minlength=size).reshape(n_psu, n_d, n_l)
    dfree = n_psu - n_strata
    from scipy.special import stdtrit
    t = stdtrit(dfree, 0.975)
    psu_w = sw.sum(axis=(1, 2))
    psu_wy = swy.sum(axis=(1, 2))
    big_w = psu_w.sum()
    ybar = psu_wy.sum() / big_w
    v_mean = _stratified_var(((psu_wy - ybar * psu_w) / big_w)[:, None], psu_stratum, n_strata)
    tot = psu_wy.sum()
    v_tot = _stratified_var(psu_wy[:, None], psu_stratum, n_strata)
    lev_w = sw.sum(axis=1)
    share = lev_w.sum(axis=0) / big_w
    v_share = _stratified_var((lev_w - share * psu_w[:, None]) / big_w, psu_stratum, n_strata)
    se_share = np.sqrt(v_share)
    eta = np.log(share / (1 - share))
    se_eta = se_share / (share * (1 - share))
    _ci = 1 / (1 + np.exp(-(eta - t * se_eta))), 1 / (1 + np.exp(-(eta + t * se_eta)))
    dom_w = sw.sum(axis=2)
    dom_wy = swy.sum(axis=2)
    dom_mean = dom_wy.sum(axis=0) / dom_w.sum(axis=0)
    v_by = _stratified_var((dom_wy - dom_mean * dom_w) / dom_w.sum(axis=0), psu_stratum, n_strata)
    return {
        "mean": [ybar, float(np.sqrt(v_mean[0]))],
        "prop": share.tolist() + se_share.tolist(),
        "by": dom_mean.tolist() + np.sqrt(v_by).tolist(),
        "total": [tot, float(np.sqrt(v_tot[0]))],
    }
'''

_floor: dict[str, Any] = {}
exec(compile(FLOOR_SOURCE, "floor", "exec"), _floor)  # our own source, above
floor_bundle: Callable[[pd.DataFrame], dict[str, list[float]]] = _floor["floor_bundle"]

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
    p = e.prop("cat5").to_polars()
    b = e.mean("y", by="domain").to_polars()
    t = e.total("y").to_polars()
    runs.append(time.perf_counter() - t0)
b = b.sort("domain")
p = p.sort("cat5")
print(json.dumps({"version": svy.__version__, "runs": runs, "result": {
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
runs <- c()
for (i in seq_len(as.integer(args[2]))) {
  runs <- c(runs, system.time({
    des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df, nest = TRUE)
    m <- svymean(~y, des)
    p <- svymean(~cat5, des)
    b <- svyby(~y, ~domain, des, svymean)
    tt <- svytotal(~y, des)
  })[["elapsed"]])
}
b <- b[order(b$domain), ]
cat(jsonlite::toJSON(list(version = as.character(packageVersion("survey")), runs = runs,
  result = list(mean = c(coef(m), SE(m)), prop = c(coef(p), SE(p)), by = c(b$y, b$se),
                total = c(coef(tt), SE(tt)))), digits = NA, auto_unbox = TRUE))
"""


def _last_json(proc: subprocess.CompletedProcess) -> dict | str:
    if proc.returncode != 0:
        return "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_svy(parquet: Path, repeats: int) -> dict | str:
    if not PEER_PYTHON.exists():
        return "skipped: benchmarks/.env is missing (see benchmarks/README.md)"
    proc = subprocess.run(
        [str(PEER_PYTHON), "-c", SVY_SCRIPT, str(parquet), str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    return _last_json(proc)


def run_rscript(script: str, csv: Path, *args: str) -> dict | str:
    """Run an R script on the CSV file (its first argument) and return the JSON it prints
    last, or why it could not run."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "skipped: Rscript is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "bench.R"
        file.write_text(script, encoding="utf-8")
        proc = subprocess.run(
            [rscript, str(file), str(csv), *args], capture_output=True, text=True, check=False
        )
    return _last_json(proc)


def run_r(csv: Path, repeats: int) -> dict | str:
    return run_rscript(R_SCRIPT, csv, str(repeats))


def max_rel_diff(a: dict[str, list[float]], b: dict[str, list[float]]) -> float:
    worst = 0.0
    for key, values in a.items():
        x = np.asarray(values, dtype=float)
        y = np.asarray(b[key], dtype=float)
        worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-300))))
    return worst


def _in_process(fn: Callable[[pd.DataFrame], dict], df: pd.DataFrame) -> dict:
    """Best of ``REPEATS`` runs: wall time, and this process's CPU time (less sensitive to
    the load of a shared machine; both tools run here are single-threaded)."""
    runs, cpu, result = [], [], {}
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn(df)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"runs": runs, "cpu": cpu, "result": result}


# ------------------------------------------------------------------------------ the table
def compare(sizes: tuple[int, ...], rounds: int, folder: Path) -> dict[str, Any]:
    """Alternating rounds at each size; median ratios to baicun and their range."""
    figures: dict[str, Any] = {}
    for n in sizes:
        parquet, csv = write_sample(n, folder)
        df = pd.read_parquet(parquet)
        tools: dict[str, Callable[[], dict | str]] = {
            "baicun": lambda df=df: _in_process(bundle, df),
            "4 calls": lambda df=df: _in_process(bundle_calls, df),
            "floor": lambda df=df: _in_process(floor_bundle, df),
            "svy": lambda parquet=parquet: run_svy(parquet, REPEATS),
            "R survey": lambda csv=csv: run_r(csv, 1),
        }
        names = list(tools)
        times: dict[str, list[float]] = {k: [] for k in names}
        cpu: dict[str, list[float]] = {k: [] for k in names}
        skipped: dict[str, str] = {}
        agreement: dict[str, float] = {}
        versions: dict[str, str] = {}
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                if name in skipped:
                    continue
                out = tools[name]()
                if isinstance(out, str):
                    skipped[name] = out
                    continue
                runs = out["runs"] if isinstance(out["runs"], list) else [out["runs"]]
                times[name].append(min(runs))
                if "cpu" in out:
                    cpu[name].append(min(out["cpu"]))
                versions[name] = str(out.get("version", ""))
                if name == "baicun":
                    ours = out["result"]
                else:
                    agreement[name] = out["result"]
        base = times["baicun"]
        print(f"\n{n:,} rows: best of {REPEATS} runs per tool and round (R: 1), {rounds} rounds")
        print(f"  baicun        median {statistics.median(base) * 1000:9.1f} ms")
        entry: dict[str, Any] = {"baicun_s": statistics.median(base)}
        for name in names[1:]:
            if name in skipped:
                print(f"  {name:<13} {skipped[name]}")
                continue
            ratios = [t / b for t, b in zip(times[name], base)]
            diff = max_rel_diff(ours, agreement[name])
            label = f"{name} {versions[name]}".strip()
            print(
                f"  {label:<13} median {statistics.median(times[name]) * 1000:9.1f} ms   "
                f"{name}/baicun {statistics.median(ratios):6.2f}x "
                f"(range {min(ratios):.2f}-{max(ratios):.2f})   "
                f"max relative difference of estimates and SEs {diff:.1e}"
            )
            entry[f"{name}_s"] = statistics.median(times[name])
            entry[f"{name}_ratio"] = statistics.median(ratios)
            entry[f"{name}_ratio_range"] = [min(ratios), max(ratios)]
            entry[f"{name}_agreement"] = diff
        cpu_ratios = [f / b for f, b in zip(cpu["floor"], cpu["baicun"])]
        print(
            f"  CPU time      baicun {statistics.median(cpu['baicun']) * 1000:.1f} ms "
            f"(4 calls {statistics.median(cpu['4 calls']) * 1000:.1f} ms), floor "
            f"{statistics.median(cpu['floor']) * 1000:.1f} ms: floor/baicun "
            f"{statistics.median(cpu_ratios):.2f}x (range {min(cpu_ratios):.2f}-"
            f"{max(cpu_ratios):.2f})"
        )
        entry["cpu_baicun_s"] = statistics.median(cpu["baicun"])
        entry["cpu_floor_ratio"] = statistics.median(cpu_ratios)
        figures[str(n)] = entry
        parquet.unlink()
        if n != max(sizes):
            csv.unlink()
    return figures


# ------------------------------------------------------------------------------ whole process
BAICUN_PROCESS = r"""
import json, resource, sys
import pandas as pd
import analysis
df = pd.read_parquet(sys.argv[1])
d = analysis.SurveyDesign(df, weights="w", strata="stratum", psu="psu")
analysis.estimate_many(d, [{"stat": "mean", "variables": "y"},
    {"stat": "proportion", "variables": "cat5"},
    {"stat": "mean", "variables": "y", "by": "domain"}, {"stat": "total", "variables": "y"}])
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

FLOOR_PROCESS = (
    FLOOR_SOURCE
    + r"""
import json, resource, sys
floor_bundle(pd.read_parquet(sys.argv[1]))
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""
)

SVY_PROCESS = r"""
import json, resource, sys
import polars as pl
import svy
df = pl.read_parquet(sys.argv[1])
e = svy.Sample(data=df, design=svy.Design(stratum="stratum", psu="psu", wgt="w")).estimation
e.mean("y"); e.prop("cat5"); e.mean("y", by="domain"); e.total("y")
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

R_PROCESS = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- as.data.frame(data.table::fread(args[1]))
df$cat5 <- factor(df$cat5)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df, nest = TRUE)
m <- svymean(~y, des); p <- svymean(~cat5, des); b <- svyby(~y, ~domain, des, svymean)
tt <- svytotal(~y, des)
cat("{}\n")
"""


def _timed_process(argv: list[str]) -> tuple[float, float | None] | str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    out = _last_json(proc)
    if isinstance(out, str):
        return out
    peak = out.get("peak_kib")
    return wall, (peak / 1024 if peak else None)


def whole_process(n: int, folder: Path, rounds: int) -> dict[str, Any]:
    """Fresh interpreter: imports + read + design + four estimates (alternating rounds)."""
    parquet, csv = write_sample(n, folder)
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {}
        for name, text in (
            ("baicun", BAICUN_PROCESS),
            ("floor", FLOOR_PROCESS),
            ("svy", SVY_PROCESS),
            ("R", R_PROCESS),
        ):
            path = Path(tmp) / ("process_" + name + (".R" if name == "R" else ".py"))
            path.write_text(text, encoding="utf-8")
            scripts[name] = path
        commands = {
            "baicun": [sys.executable, str(scripts["baicun"]), str(parquet)],
            "floor": [sys.executable, str(scripts["floor"]), str(parquet)],
        }
        if PEER_PYTHON.exists():
            commands["svy"] = [str(PEER_PYTHON), str(scripts["svy"]), str(parquet)]
        if shutil.which("Rscript"):
            commands["R"] = [str(shutil.which("Rscript")), str(scripts["R"]), str(csv)]
        names = list(commands)
        walls: dict[str, list[float]] = {k: [] for k in names}
        peaks: dict[str, float | None] = {}
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                out = _timed_process(commands[name])
                if isinstance(out, str):
                    print(f"  {name}: {out}")
                    continue
                walls[name].append(out[0])
                peaks[name] = out[1]
        imports = []
        for _ in range(rounds * 2):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", "import analysis; analysis.mean"],
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            imports.append(time.perf_counter() - start)
    parquet.unlink()
    csv.unlink()
    print(f"\nwhole process at {n:,} rows (fresh interpreter: import, read, design, estimates)")
    base = walls["baicun"]
    result: dict[str, Any] = {}
    for name in names:
        if not walls[name]:
            continue
        ratios = [t / b for t, b in zip(walls[name], base)]
        peak = peaks.get(name)
        print(
            f"  {name:<7} median {statistics.median(walls[name]):6.2f} s"
            + (f"   peak {peak:6.0f} MiB" if peak else "")
            + (
                f"   {name}/baicun {statistics.median(ratios):.2f}x "
                f"(range {min(ratios):.2f}-{max(ratios):.2f})"
                if name != "baicun"
                else ""
            )
        )
        result[name] = {"wall_s": statistics.median(walls[name]), "peak_mib": peak}
    print(
        f"  python -c 'import analysis; analysis.mean': median {statistics.median(imports):.2f} s "
        f"(range {min(imports):.2f}-{max(imports):.2f}; goal <= 0.3 s)"
    )
    result["import_s"] = statistics.median(imports)
    return result


def _reset_peak() -> bool:
    """Reset this process's resident high-water mark (Linux ``clear_refs``); False if not."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
        return True
    except OSError:
        return False


def _peak_gib() -> float:
    """This process's resident high-water mark in GiB (VmHWM, else ``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _rss_gib() -> float:
    """This process's resident memory now, in GiB (0 where ``/proc`` is missing)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def _cpu() -> tuple[float, float]:
    """User and system CPU seconds of this process so far (``getrusage``)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[float, float, float]:
    """Wall, user CPU and system CPU seconds of one call of ``fn``."""
    wall, (user, system) = time.perf_counter(), _cpu()
    fn()
    end_user, end_system = _cpu()
    return time.perf_counter() - wall, end_user - user, end_system - system


#: Bundles per size in the growth run (the best is kept).
GROWTH_REPEATS = 3


def growth_size(n: int, repeats: int = GROWTH_REPEATS) -> dict[str, Any]:
    """One size of the growth run, in this (fresh) process: the best of ``repeats`` bundles
    and of the two references, with the resident high-water mark during the bundles."""
    df = make_table(n).to_pandas()
    frame = df.memory_usage(deep=True).sum() / 1024**3
    resident = _rss_gib()
    reset = _reset_peak()
    bundles = [_timed(lambda: bundle(df)) for _ in range(repeats)]
    peak = _peak_gib()
    # references of known growth, on the same data: a sort (n log n) and one pass (linear)
    y = df["y"].to_numpy()
    psu = df["psu_uid"].to_numpy().copy()  # writable: numpy's bincount copies read-only input
    sorts = [_timed(lambda: np.sort(y)) for _ in range(repeats)]
    passes = [_timed(lambda: np.bincount(psu, weights=y)) for _ in range(repeats)]

    def best(runs: list[tuple[float, float, float]]) -> dict[str, float]:
        _, user, system = min(runs, key=lambda r: r[1] + r[2])
        return {"wall_s": min(r[0] for r in runs), "cpu_s": user + system, "system_s": system}

    return {
        "rows": n,
        "bundle": best(bundles),
        "sort": best(sorts),
        "pass": best(passes),
        "peak_gib": peak if reset else None,
        "resident_before_gib": resident,
        "frame_gib": frame,
        "load": os.getloadavg()[0],
    }


def growth(sizes: tuple[int, ...]) -> dict[str, Any]:
    """baicun's bundle at growing sizes, each in a fresh interpreter: seconds per million
    rows (wall, and CPU = user + system from ``getrusage``) and their ratio to the smallest
    size's, beside a sort and a one-pass reference; peak resident memory beside the frame."""
    print(
        "\ngrowth (baicun's bundle, best of "
        f"{GROWTH_REPEATS} per size, each size in a fresh interpreter; per million rows: wall "
        "and CPU seconds (user + system, getrusage; system = mostly the kernel zeroing fresh "
        "pages); x = ratio to the first size's figure; references between the same data: "
        "numpy.sort of y (n log n) and one bincount pass (linear: its x is the machine's, "
        "e.g. data outgrowing the CPU cache); x/pass = the CPU x over the pass's x; "
        "peak = resident high-water mark during the bundles, frame included; before = "
        "resident before the bundles; bundle = peak - before)"
    )
    print(
        f"  {'rows':>11}  {'wall/M':>7} {'x':>5}  {'CPU/M':>7} {'x':>5} {'x/pass':>6} "
        f"{'system/M':>8}  "
        f"{'sort/M':>7} {'x':>5}  {'pass/M':>7} {'x':>5}  {'peak GiB':>8} {'frame':>6} "
        f"{'before':>6} {'bundle':>6}  load"
    )
    out: dict[str, Any] = {}
    first: dict[str, float] = {}
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_estimate", "--growth-size", str(n)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        res = _last_json(proc)
        if isinstance(res, str):
            print(f"  {n:>11,}  {res}")
            continue
        m = n / 1e6
        per = {
            "wall": res["bundle"]["wall_s"] / m,
            "cpu": res["bundle"]["cpu_s"] / m,
            "sort": res["sort"]["cpu_s"] / m,
            "pass": res["pass"]["cpu_s"] / m,
        }
        first = first or per
        ratio = {k: v / first[k] for k, v in per.items()}
        peak = res["peak_gib"]
        print(
            f"  {n:>11,}  {per['wall']:7.3f} {ratio['wall']:5.2f}  {per['cpu']:7.3f} "
            f"{ratio['cpu']:5.2f} {ratio['cpu'] / ratio['pass']:6.2f} "
            f"{res['bundle']['system_s'] / m:8.3f}  {per['sort']:7.4f} "
            f"{ratio['sort']:5.2f}  {per['pass']:7.4f} {ratio['pass']:5.2f}  "
            + (f"{peak:8.2f}" if peak is not None else f"{'n/a':>8}")
            + f" {res['frame_gib']:6.2f} {res['resident_before_gib']:6.2f} "
            + (f"{peak - res['resident_before_gib']:6.2f}" if peak is not None else f"{'':>6}")
            + f"  {res['load']:.1f}"
        )
        out[str(n)] = {
            **res,
            "s_per_million": per["wall"],
            "cpu_s_per_million": per["cpu"],
            "ratio_to_first": ratio,
        }
    return out


def main(
    sizes: tuple[int, ...] = SIZES,
    rounds: int = ROUNDS,
    with_growth: bool = False,
    with_process: bool = True,
) -> dict[str, Any]:
    """Run the comparison (and the whole-process and growth runs); print and return figures."""
    print(
        "bundle: design + mean + 5-level proportion + mean by 10 domains + total, on "
        f"string-coded data ({N_STRATA} strata, {N_PSU:,} PSUs restarting within strata)"
    )
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if sizes:  # --sizes with no value: the growth run only
            figures["bundle"] = compare(tuple(sizes), rounds, Path(tmp))
            if with_process:
                figures["process"] = whole_process(max(sizes), Path(tmp), rounds)
    if with_growth:
        figures["growth"] = growth(GROWTH_SIZES)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "estimate.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--growth", action="store_true", help="also 1M-30M rows (baicun)")
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process run")
    parser.add_argument("--growth-size", type=int, help=argparse.SUPPRESS)  # one growth size
    args = parser.parse_args()
    if args.growth_size:
        print(json.dumps(growth_size(args.growth_size)))
    else:
        main(tuple(args.sizes), args.rounds, args.growth, not args.no_process)

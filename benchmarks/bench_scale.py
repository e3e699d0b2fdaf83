"""Estimation beyond one machine's memory: DuckDB over parquet, Dask, and pandas, by size.

A seeded synthetic stratified two-stage sample (the layout of the shared bench generator:
20 strata, 2,000 PSUs numbered within their stratum, ~N/2,000 households per PSU, a
lognormal ``y``, a 5-level ``cat5`` and a 10-level ``domain`` correlated with the PSU) is
written as a parquet dataset (5M-row files) under ``benchmarks/.data`` (git-ignored) and
deleted afterwards unless ``--keep``. The bundle, timed from the design's construction:

1. the design (strata, PSUs nested in strata, weights; for the engines this reads the
   PSU structure and checks the weights in the engine);
2. the mean of ``y``; 3. the shares of the 5 levels of ``cat5`` (logit intervals);
4. the mean of ``y`` in each of the 10 domains; 5. the total of ``y``.

Each engine runs in a fresh child process; its peak memory is the child's ``VmHWM``
(for Dask, plus the peaks of the two LocalCluster worker processes). pandas reads the
whole dataset first (the read is timed separately) and only runs where the frame fits
the memory goal. The estimates of every engine are compared with the first engine's.

Goal: 100M rows in <= 60 s and <= 4 GiB on 2 cores (DuckDB).

Run with ``python -m benchmarks scale`` or
``python -m benchmarks.bench_scale --sizes 10000000 100000000 --engines duckdb dask pandas``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
N_STRATA = 20
N_PSU = 2_000
N_DOMAIN = 10
N_CAT = 5
SEED = 20240611
CHUNK = 5_000_000
PANDAS_MAX_ROWS = 30_000_000  # ~ 4 GiB of frame and intermediates
GOAL_SECONDS, GOAL_GIB = 60.0, 4.0


# ---------------------------------------------------------------------------- data
def _layout() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    n_h = np.full(N_STRATA, N_PSU // N_STRATA)
    n_h += rng.integers(-40, 41, N_STRATA) // 2 * np.array([1, -1] * (N_STRATA // 2))
    n_h[-1] += N_PSU - n_h.sum()
    return dict(
        stratum=np.repeat(np.arange(1, N_STRATA + 1), n_h),
        psu=np.concatenate([np.arange(1, k + 1) for k in n_h]),
        base_w=rng.uniform(50, 400, N_STRATA),
        w_factor=rng.lognormal(0.0, 0.35, N_PSU),
        effect=rng.normal(0.0, 0.35, N_PSU),
        dominant=rng.integers(0, N_DOMAIN, N_PSU),
        s_effect=rng.normal(0.0, 0.25, N_STRATA),
    )


def write_dataset(n_rows: int, folder: Path) -> Path:
    """Write ``n_rows`` households as parquet files of at most 5M rows each."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    lay = _layout()
    dom_effect = np.linspace(-0.4, 0.4, N_DOMAIN)
    cats = np.array([f"c{k + 1}" for k in range(N_CAT)])
    doms = np.array([f"D{k + 1:02d}" for k in range(N_DOMAIN)])
    for part, start in enumerate(range(0, n_rows, CHUNK)):
        m = min(CHUNK, n_rows - start)
        rng = np.random.default_rng([SEED, n_rows, part])
        hh_psu = np.sort(rng.integers(0, N_PSU, m))
        s = lay["stratum"][hh_psu]
        w = lay["base_w"][s - 1] * lay["w_factor"][hh_psu] * rng.uniform(0.8, 1.25, m)
        dom = np.where(rng.random(m) < 0.7, lay["dominant"][hh_psu], rng.integers(0, N_DOMAIN, m))
        eta = lay["s_effect"][s - 1] + lay["effect"][hh_psu] + dom_effect[dom]
        cat = np.searchsorted([-1.5, -0.5, 0.5, 1.5], eta + rng.logistic(size=m))
        table = pa.table(
            {
                "stratum": s.astype(np.int64),
                "psu": lay["psu"][hh_psu].astype(np.int64),
                "w": w,
                "y": rng.lognormal(8.0 + eta, 0.8),
                "cat5": cats[cat],
                "domain": doms[dom],
            }
        )
        pq.write_table(table, folder / f"part-{part:04d}.parquet", row_group_size=1_000_000)
    return folder


# ---------------------------------------------------------------------------- one engine
def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 2**20  # kB -> GiB
    return float("nan")


def _bundle(design) -> list:
    from analysis import estimate as est

    tables = [
        est.mean(design, "y"),
        est.proportion(design, "cat5"),
        est.mean(design, "y", by="domain"),
        est.total(design, "y"),
    ]
    return [t[["estimate", "se", "ci_low", "ci_high"]].to_numpy().tolist() for t in tables]


def child(engine: str, folder: str) -> dict:
    """Run the bundle on one engine in this process; return times, peak and estimates."""
    from analysis import SurveyDesign

    options = dict(weights="w", strata="stratum", psu="psu")
    out: dict = {"engine": engine}
    workers: list[float] = []
    if engine == "pandas":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_parquet(folder)
        out["read_s"] = time.perf_counter() - start
        start = time.perf_counter()
        design = SurveyDesign(frame, **options)
        out["estimates"] = _bundle(design)
    elif engine == "duckdb":
        start = time.perf_counter()
        design = SurveyDesign.from_parquet(folder, **options, threads=2, memory_limit="3GB")
        out["estimates"] = _bundle(design)
    else:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            start = time.perf_counter()
            design = SurveyDesign.from_parquet(folder, **options, engine="dask", scheduler=client)
            out["estimates"] = _bundle(design)
            out["seconds"] = time.perf_counter() - start
            workers = list(client.run(_status, "VmHWM").values())
    out.setdefault("seconds", time.perf_counter() - start)
    out["peak_gib"] = _status("VmHWM") + sum(workers)
    out["worker_peaks_gib"] = workers
    return out


def _run_child(engine: str, folder: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_scale", "--child", engine, str(folder)],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    if proc.returncode:
        return {"engine": engine, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _max_rel_diff(a: list, b: list) -> float:
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y) & (x != 0)
        worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]) / np.abs(x[ok]), initial=0.0)))
    return worst


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def reference_sort() -> float:
    """Seconds this machine takes now to sort 20M numbers (the host's speed varies by load)."""
    values = np.random.default_rng(0).random(20_000_000)
    start = time.perf_counter()
    np.sort(values)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Generate the datasets, run every engine on each size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[10_000_000, 100_000_000])
    parser.add_argument("--engines", nargs="*", default=["duckdb", "dask", "pandas"])
    parser.add_argument("--keep", action="store_true", help="keep the generated parquet")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args([] if argv is None and __name__ != "__main__" else argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    print(f"reference sort of 20M numbers: {reference_sort():.2f} s; load {_load()}")
    print(f"{'rows':>12} {'engine':>7} {'seconds':>8} {'peak GiB':>9} {'max rel diff':>13}  load")
    first_time: dict[str, float] = {}
    try:
        for n in args.sizes:
            folder = DATA / f"scale_{n}"
            if not folder.is_dir():
                start = time.perf_counter()
                write_dataset(n, folder)
                size = sum(f.stat().st_size for f in folder.iterdir()) / 2**30
                print(
                    f"  (wrote {n:,} rows, {size:.2f} GiB, in {time.perf_counter() - start:.0f} s)"
                )
            reference = None
            for engine in args.engines:
                if engine == "pandas" and n > PANDAS_MAX_ROWS:
                    print(f"{n:>12,} {engine:>7}  skipped: the frame does not fit {GOAL_GIB} GiB")
                    continue
                res = _run_child(engine, folder)
                if "error" in res:
                    print(f"{n:>12,} {engine:>7}  failed: {res['error']}")
                    continue
                reference = reference or res["estimates"]
                diff = _max_rel_diff(reference, res["estimates"])
                extra = f" (+ read {res['read_s']:.1f} s)" if "read_s" in res else ""
                growth = ""
                if engine in first_time:
                    growth = f", x{res['seconds'] / first_time[engine]:.1f} time"
                first_time.setdefault(engine, res["seconds"])
                print(
                    f"{n:>12,} {engine:>7} {res['seconds']:>8.1f} {res['peak_gib']:>9.2f} "
                    f"{diff:>13.1e}  {_load()}{extra}{growth}",
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(DATA, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

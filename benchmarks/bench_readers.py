"""Benchmark: reading a large KoboToolbox CSV export into the canonical layout.

The household fixture's three submissions are repeated to ``N`` records (default
100,000) and written as Kobo writes them (``;``, every field quoted, UTF-8). We time
``read_raw`` with the form (typing, choice columns, geopoints, keys, issues) against
``pandas.read_csv`` of the same file (text only, no typing: a floor, not a peer doing
the same work), and report the growth of the process's peak resident memory.

Run: ``python -m benchmarks.bench_readers [N]``.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "exports"


def _export(folder: Path, n: int) -> Path:
    lines = (FIXTURES / "kobo" / "household_xml.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    path = folder / "household.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\r\n")
        for i in range(n):
            row = rows[i % len(rows)].replace("uuid:", f"uuid:{i:08d}-", 1)
            handle.write(row + "\r\n")
    return path


def main(n: int = 100_000) -> dict[str, float]:
    """Time read_raw and pandas.read_csv on an n-record Kobo CSV; returns the figures."""
    import pandas as pd

    from analysis.instrument import load_instrument
    from analysis.readers import read_raw

    form = load_instrument(FIXTURES / "household.md")
    with tempfile.TemporaryDirectory() as tmp:
        path = _export(Path(tmp), n)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        raw = read_raw(path, form)
        ours_s = time.perf_counter() - t
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        t = time.perf_counter()
        pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
        pandas_s = time.perf_counter() - t
        assert len(raw.data) == n
    figures = {"records": n, "read_raw_s": round(ours_s, 2), "pandas_read_csv_s": round(pandas_s, 2),
               "ratio": round(ours_s / pandas_s, 1), "peak_growth_MiB": round(peak)}  # fmt: skip
    print("readers:", figures)
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

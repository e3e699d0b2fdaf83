"""Honest intervals on the demo study: 95% CI coverage over repeated samples.

Draws ``--samples`` (default 200) two-stage samples from the synthetic province with
the toolkit's own sampling (stratified systematic PPS of 100 villages, 20 households
per village), estimates the key indicators with ``analysis.design.survey.SurveyDesign`` and
``analysis.estimate.estimators.mean`` (province and each county), and prints how often the 95%
interval covers the population truth. Goal: 93-97% for the province estimates.

Run from the repository root (slow: about half a second per sample)::

    python benchmarks/coverage.py                 # 200 samples of the 2024 wave
    python benchmarks/coverage.py --samples 500 --wave demo-2025 --csv coverage.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.demo_study.coverage import coverage_runs, coverage_table
from analysis.demo_study.population import build_province


def main(argv: list[str] | None = None) -> int:
    """Print the coverage table; exit 1 when a province coverage falls outside 93-97%."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1, help="seed of the samples")
    parser.add_argument(
        "--province-seed", type=int, default=2024, help="seed of the synthetic province"
    )
    parser.add_argument("--wave", default="demo-2024")
    parser.add_argument(
        "--csv", type=Path, default=None, help="also write every interval to this CSV"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    province = build_province(args.province_seed)
    runs = coverage_runs(province, args.wave, n_samples=args.samples, seed=args.seed)
    table = coverage_table(runs)
    took = time.perf_counter() - started
    if args.csv is not None:
        runs.to_csv(args.csv, index=False)
    print(
        f"95% CI coverage, {args.samples} samples of {args.wave} "
        f"({len(province.villages)} villages, {len(province.households)} households; {took:.0f} s)"
    )
    print(
        f"{'indicator':<26}{'level':<11}{'domain':<10}{'intervals':>10}{'coverage':>10}{'±se':>8}"
        f"{'rel.bias':>10}{'SE/SD':>8}"
    )
    for r in table.itertuples():
        se_sd = "" if r.se_over_sd != r.se_over_sd else f"{r.se_over_sd:.2f}"
        print(
            f"{r.indicator:<26}{r.level:<11}{r.domain:<10}{r.intervals:>10}{r.coverage:>10.1%}"
            f"{r.coverage_se:>8.1%}{r.relative_bias:>10.2%}{se_sd:>8}"
        )
    province_rows = table[table["domain"] == "province"]
    outside = province_rows[(province_rows["coverage"] < 0.93) | (province_rows["coverage"] > 0.97)]
    if len(outside):
        print("outside 93-97%: " + ", ".join(outside["indicator"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

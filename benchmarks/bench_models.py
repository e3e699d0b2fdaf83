"""Tables, weighting and regression at one million rows: baicun against R's survey package.

The sample is a seeded synthetic stratified cluster sample (1,000,000 rows, 20 strata,
2,000 PSUs, a numeric ``y``, a 5-level ``cat``, 10 ``domain`` values, integer-coded).
The timed bundle, in each tool, in one run:

1. the Rao-Scott F test of ``cat`` by ``domain`` (R: ``svychisq``; 50 cells);
2. raking to the margins of ``cat`` and ``domain`` (R: ``rake``, default control);
3. the mean of ``y`` on the raked design (its SE uses the raking residuals);
4. a linear model ``y ~ C(cat) + domain`` (R: ``svyglm``);
5. a logistic model ``I(y > 55) ~ domain + C(cat)`` (R: ``svyglm``, quasibinomial).

Only the computation is timed (R inside R with ``system.time``); the design is built
once beforehand in both. The F statistic, the raked mean and its SE, and the models'
coefficients and SEs are compared between the tools. svy has no Rao-Scott test,
raking with calibrated variance or design-based GLM, so it is not a peer here.

Run with ``python -m benchmarks models`` or ``python -m benchmarks.bench_models [rows]``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.design.survey import SurveyDesign
from analysis.estimate.crosstab import chisq_test
from analysis.estimate.estimators import mean
from analysis.models.glm import linear_regression, logistic_regression
from analysis.weighting import rake

from .bench_estimate import max_rel_diff

REPEATS = 3
N_ROWS = 1_000_000
N_STRATA = 20
N_PSU = 2_000
N_DOMAINS = 10
SEED = 20240601


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


def margins(df: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Census margins: the weighted counts, shifted so that raking has work to do."""
    w = df["w"]
    cat = w.groupby(df["cat"]).sum()
    cat = cat * np.linspace(0.9, 1.1, len(cat))
    dom = w.groupby(df["domain"]).sum()
    dom = dom * cat.sum() / dom.sum()
    return {"cat": cat.to_dict(), "domain": dom.to_dict()}


def bundle(design: SurveyDesign, pops: dict) -> dict[str, list[float]]:
    f = chisq_test(design, "cat", "domain").iloc[0]
    raked = rake(design, pops)
    m = mean(raked, "y")
    lin = linear_regression(design, "y ~ C(cat) + domain").coefficients
    logit = logistic_regression(design, "I(y > 55) ~ domain + C(cat)").coefficients
    return {
        "chisq": [f["value"], f["ndf"], f["ddf"]],
        "raked": [m["estimate"].iloc[0], m["se"].iloc[0]],
        "linear": lin["estimate"].tolist() + lin["se"].tolist(),
        "logistic": logit["estimate"].tolist() + logit["se"].tolist(),
    }


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1], colClasses = c("integer", "integer", "numeric", "numeric", "integer", "integer"))
pops <- jsonlite::fromJSON(args[3])
df$cat <- factor(df$cat)
pop_cat <- data.frame(cat = names(pops$cat), Freq = unlist(pops$cat))
pop_dom <- data.frame(domain = as.integer(names(pops$domain)), Freq = unlist(pops$domain))
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df, nest = TRUE)
runs <- c()
for (i in seq_len(as.integer(args[2]))) {
  runs <- c(runs, system.time({
    f <- svychisq(~cat + domain, des)
    r <- rake(des, list(~cat, ~domain), list(pop_cat, pop_dom))
    m <- svymean(~y, r)
    lin <- svyglm(y ~ cat + domain, des)
    logit <- svyglm(I(y > 55) ~ domain + cat, des, family = quasibinomial())
  })[["elapsed"]])
}
sl <- summary(lin)$coefficients
sg <- summary(logit)$coefficients
cat(jsonlite::toJSON(list(version = as.character(packageVersion("survey")), runs = runs,
  result = list(chisq = c(f$statistic, f$parameter), raked = c(coef(m), SE(m)),
                linear = c(sl[, 1], sl[, 2]), logistic = c(sg[, 1], sg[, 2]))),
  digits = NA, auto_unbox = TRUE))
"""


def run_r(df: pd.DataFrame, pops: dict, tmp: Path, repeats: int) -> dict | str:
    pops_json = json.dumps({k: {str(a): b for a, b in v.items()} for k, v in pops.items()})
    return run_rscript(R_SCRIPT, df, tmp, str(repeats), pops_json)


def main(n_rows: int = N_ROWS) -> dict[str, float]:
    """Time the bundle in baicun and R; print the figures and the ratio; return them."""
    df = make_sample(n_rows)
    pops = margins(df)
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    print(
        f"bundle on {n_rows:,} rows: Rao-Scott F (5 x 10) + rake (2 margins) + raked mean + "
        "linear svyglm + logistic svyglm"
    )
    runs = []
    ours: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        start = time.perf_counter()
        ours = bundle(design, pops)
        runs.append(time.perf_counter() - start)
    best = min(runs)
    print(f"  baicun        {best:8.3f} s   (runs: {', '.join(f'{r:.3f}' for r in runs)})")
    figures = {"baicun_s": best}
    with tempfile.TemporaryDirectory() as tmp_name:
        peer = run_r(df, pops, Path(tmp_name), 1)
    if isinstance(peer, str):
        print(f"  R survey      {peer}")
        return figures
    their = min(peer["runs"]) if isinstance(peer["runs"], list) else float(peer["runs"])
    diff = max_rel_diff(ours, peer["result"])
    print(
        f"  R survey {peer['version']:<5}{their:8.3f} s   -> baicun is {their / best:.1f}x faster; "
        f"results agree to {diff:.1e} (max relative difference)"
    )
    figures.update(r_s=their, r_ratio=their / best, r_agreement=diff)
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N_ROWS)

"""Honest intervals: draw many samples from the synthetic province and count CI coverage.

Each replicate draws the demo's two-stage sample with the toolkit's own selection
(:func:`analysis.demo_study.sample.two_stage_sample`: stratified systematic PPS of
villages, systematic households), builds an :class:`analysis.design.survey.SurveyDesign`
(strata = county, PSU = village, weights = inverse inclusion probabilities), estimates
the key indicators with :func:`analysis.estimate.estimators.mean` (province and each county), and
checks whether the 95% interval covers the population truth.

The variance is the with-replacement (ultimate cluster) approximation without a
finite population correction, so coverage may sit slightly above 95% where the
sampling fraction of villages is large.

Examples
--------
>>> from analysis.demo_study.population import build_province
>>> p = build_province(seed=11, scale=0.4)
>>> runs = coverage_runs(p, "demo-2024", n_samples=2, seed=1, n_villages=36, n_households=10)
>>> sorted(runs["indicator"].unique())[:2]
['mean_broadband_coverage', 'mean_cable_tv_coverage']
>>> set(runs["covered"].unique()) <= {True, False}
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..design.survey import SurveyDesign
from ..estimate.estimators import mean
from .population import INDICATORS, Province, population_truth
from .sample import two_stage_sample

__all__ = ["coverage_runs", "coverage_table"]

_HOUSEHOLD_VARIABLES = {
    "participation_rate": "participated",
    "mean_satisfaction": "satisfaction",
    "share_info_tv": "info_tv",
    "share_info_phone": "info_phone",
}
_VILLAGE_VARIABLES = {
    "share_culture_room": "culture_room",
    "mean_cable_tv_coverage": "cable_tv_coverage",
    "mean_broadband_coverage": "broadband_coverage",
}


def _estimates(households: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    hh = households.assign(
        participated=households["participated"].astype(float),
        satisfaction=households["att_culture_satisfied"]
        .where(households["att_culture_satisfied"] < 90)
        .astype(float),
        info_tv=households["info_tv"].astype(float),
        info_phone=households["info_phone"].astype(float),
    )
    vv = villages.assign(culture_room=(villages["has_culture_room"] == "1").astype(float))
    out = []
    hd = SurveyDesign(hh, weights="weight", strata="county", psu="village_id")
    vd = SurveyDesign(vv, weights="weight", strata="county", psu="village_id", lonely_psu="adjust")
    for design, variables in ((hd, _HOUSEHOLD_VARIABLES), (vd, _VILLAGE_VARIABLES)):
        names = list(variables.values())
        whole = mean(design, names).assign(domain="province")
        counties = mean(design, names, by="county")
        counties["domain"] = "county " + counties["county"].astype(str)
        both = pd.concat([whole, counties.drop(columns="county")], ignore_index=True)
        both["indicator"] = both["variable"].map({v: k for k, v in variables.items()})
        out.append(both)
    return pd.concat(out, ignore_index=True)


def coverage_runs(
    province: Province,
    wave: str = "demo-2024",
    *,
    n_samples: int = 200,
    seed: int = 1,
    n_villages: int = 100,
    n_households: int = 20,
) -> pd.DataFrame:
    """One row per (sample, domain, indicator): estimate, interval, truth and ``covered``."""
    truth = population_truth(province).xs(wave, level="wave")["value"].rename("truth").reset_index()
    runs = []
    for r in range(n_samples):
        hh, villages = two_stage_sample(
            province,
            wave,
            seed=seed * 100_003 + r,
            n_villages=n_villages,
            n_households=n_households,
        )
        est = _estimates(hh, villages)
        est["sample"] = r
        runs.append(est)
    out = pd.concat(runs, ignore_index=True).merge(truth, on=["domain", "indicator"], how="left")
    out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    out["level"] = out["indicator"].map(lambda k: INDICATORS[k][0])
    return out


def coverage_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the 95% intervals: per indicator for the province, and pooled over counties.

    Columns: indicator, level, domain (``province`` or ``counties``), intervals,
    coverage, its binomial standard error, mean relative bias of the estimate and
    the ratio of the mean SE to the empirical SD of the estimates (province rows).
    """
    rows = []
    province = runs[runs["domain"] == "province"]
    counties = runs[runs["domain"] != "province"]
    for indicator in INDICATORS:
        for label, part in (("province", province), ("counties", counties)):
            p = part[part["indicator"] == indicator]
            if p.empty:
                continue
            cov = float(p["covered"].mean())
            k = len(p)
            bias = float(((p["estimate"] - p["truth"]) / p["truth"]).mean())
            se_ratio = (
                float(p["se"].mean() / p["estimate"].std(ddof=1))
                if label == "province" and k > 2
                else np.nan
            )
            rows.append(
                {
                    "indicator": indicator,
                    "level": INDICATORS[indicator][0],
                    "domain": label,
                    "intervals": k,
                    "coverage": cov,
                    "coverage_se": float(np.sqrt(cov * (1 - cov) / k)),
                    "relative_bias": bias,
                    "se_over_sd": se_ratio,
                }
            )
    return pd.DataFrame(rows)

"""Likert blocks: items recoded for scoring, answer shares for a chart, scales with Cronbach's alpha.

:func:`likert_columns` adds, for each item, ``<item>_s`` (1..5, reverse-worded items
turned round, "can't say" and other codes missing) and ``agree_<item>`` (1 for the
agreeing answers); :func:`likert_shares` gives the answer shares of a block labelled
for :func:`analysis.charts.likert_bars`; :func:`scale_table` gives each scale's
Cronbach's alpha and mean score with its interval, as a tidy table and a report table.

Examples
--------
>>> import pandas as pd
>>> h = pd.DataFrame({"a": ["5", "4", "98"], "b_r": ["1", "2", "3"]})
>>> out = likert_columns(h, ["a", "b_r"])
>>> out["b_r_s"].tolist(), out["agree_a"].tolist()
([5.0, 4.0, 3.0], [1.0, 1.0, nan])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .. import estimate as est
from ..design.survey import SurveyDesign
from ..estimate.scales import composite_score, cronbach_alpha, recode_items
from ..format import ci_range, count, number
from ..report import ReportTable
from .indicators import item_means

__all__ = ["likert_columns", "likert_shares", "scale_scores", "scale_table"]


def likert_columns(
    frame: pd.DataFrame,
    items: Sequence[str],
    *,
    scale: tuple[int, int] = (1, 5),
    agree_from: int = 4,
) -> pd.DataFrame:
    """``frame`` with ``<item>_s`` (recoded, reverse ``_r`` items turned round) and
    ``agree_<item>`` (1 when the answer is ``agree_from`` or more) for each item."""
    lo, hi = scale
    codes = frame[list(items)].apply(lambda s: pd.to_numeric(s, errors="coerce"))
    codes = codes.where((codes >= lo) & (codes <= hi))
    recoded = recode_items(codes, list(items), scale=scale)
    out = {}
    for name in items:
        out[f"{name}_s"] = recoded[name]
        out[f"agree_{name}"] = (codes[name] >= agree_from).astype(float).where(codes[name].notna())
    return frame.assign(**out)


def scale_scores(frame: pd.DataFrame, scales: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """``frame`` with one raw mean score column per scale (name -> its items' ``_s`` columns)."""
    out = frame.copy()
    for name, items in scales.items():
        out[name] = composite_score(out, [f"{n}_s" for n in items], method="raw", name=name)
    return out


def likert_shares(
    design: SurveyDesign,
    items: Mapping[str, str],
    choices: Mapping[str, str],
    *,
    scale: tuple[int, int] = (1, 5),
) -> tuple[pd.DataFrame, list[str]]:
    """Answer shares of each item (``item``, ``level`` label, ``estimate``) and the level order.

    ``choices`` maps answer codes to labels (the items' choice list); codes outside
    ``scale`` (说不清 98) are left out.
    """
    lo, hi = scale
    levels = [c for c in choices if c.isdigit() and lo <= int(c) <= hi]
    t = est.proportion(design, list(items))
    t = t[t["level"].astype(str).isin(levels)]
    t = t.assign(item=t["variable"].map(items), level=t["level"].astype(str).map(choices))
    return t[["item", "level", "estimate"]].reset_index(drop=True), [choices[c] for c in levels]


def scale_table(
    design: SurveyDesign,
    scales: Mapping[str, tuple[str, Sequence[str]]],
    *,
    lang: str = "zh",
) -> tuple[pd.DataFrame, ReportTable]:
    """Cronbach's alpha and mean score of each scale.

    Parameters
    ----------
    scales : mapping
        Score column -> (label, items); the score columns come from :func:`scale_scores`,
        the items' ``_s`` columns from :func:`likert_columns`.

    Returns
    -------
    (DataFrame, ReportTable)
        One row per scale: ``scale`` (label), ``n_items``, ``alpha``, ``variable``,
        ``estimate``, ``ci_low``, ``ci_high``, ``n`` ...; and the report table.
    """
    t = {"zh": lambda zh, en: zh, "en": lambda zh, en: en}[lang if lang == "en" else "zh"]
    alphas = pd.concat(
        [
            cronbach_alpha(design, [f"{n}_s" for n in items], name=label)
            for label, items in scales.values()
        ],
        ignore_index=True,
    )
    scores = item_means(design, {col: label for col, (label, _) in scales.items()})
    rows = alphas.merge(scores.rename(columns={"item": "scale"}), on="scale", suffixes=("", "_s"))
    table = ReportTable(
        pd.DataFrame(
            {
                t("量表", "Scale"): rows["scale"],
                t("题项数", "Items"): [count(v) for v in rows["n_items"]],
                "Cronbach α": [number(v, 2) for v in rows["alpha"]],
                t("平均得分", "Mean score"): [number(v, 2) for v in rows["estimate"]],
                t("95%置信区间", "95% CI"): [
                    ci_range(a, b, percent=False, decimals=2)
                    for a, b in zip(rows["ci_low"], rows["ci_high"])
                ],
                t("样本量", "n"): [count(v) for v in rows["n"]],
            }
        ),
        label_columns=1,
        source=rows,
    )
    return rows, table

"""Change since the last wave: comparison tables of shares and means, panel or independent.

Instruments of a panel (units surveyed in both waves, e.g. villages and their
households) are compared on one design of both waves stacked, in which a unit keeps
its stratum and PSU (:meth:`SectionContext.panel_design`), so the covariance between
the waves narrows the intervals. An instrument whose units differ each wave (cadres
on postings) is compared as independent samples
(:func:`analysis.estimate.waves.change_independent`). A zero change is never flagged
significant (:func:`analysis.sections.indicators.no_change_is_not_significant`).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"item": ["书屋"], "significant": [True], "change": [0.1]})
>>> [len(x) for x in split_changes(t)]
[1, 0, 0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from ..report import ReportTable, report_table
from .context import SectionContext
from .indicators import change_table, no_change_is_not_significant

__all__ = ["COMPARED", "compare_waves", "comparison_table", "panel_size", "split_changes"]

#: Columns of a comparison table, shares and scores alike.
COMPARED = ["item", "estimate_old", "estimate_new", "change", "ci", "p_value", "significant"]


def _independent(ctx: SectionContext, instrument: str, items: Mapping[str, str]) -> pd.DataFrame:
    from ..estimate.waves import change_independent

    old, new = ctx.before.designs[instrument], ctx.designs[instrument]
    t = no_change_is_not_significant(change_independent(old, new, list(items)))
    t.insert(0, "item", t["variable"].map(items))
    return t.reset_index(drop=True)


def compare_waves(
    ctx: SectionContext,
    shares: Mapping[str, Mapping[str, str]],
    means: Mapping[str, Mapping[str, str]] = (),
    *,
    derive: Mapping[str, Callable[[pd.DataFrame], pd.DataFrame]] = (),
    independent: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Comparison tables of the previous and this wave: shares, and means.

    Parameters
    ----------
    shares, means : mapping
        Instrument -> {question: label}: shares of "yes" (or means of 0..1 rates), and
        means of scores. Questions the data lacks are left out.
    derive : mapping
        Instrument -> a function adding derived columns to both waves stacked.
    independent : tuple of str
        Instruments compared as independent samples (only their means); every other
        instrument is compared as a panel.

    Returns
    -------
    (DataFrame, DataFrame)
        ``instrument, item, variable, estimate_old, estimate_new, change, se, ci_low,
        ci_high, df, p_value, significant``; empty when nothing can be compared.
    """
    derive = dict(derive)
    means = dict(means)
    out_shares, out_means = [], []
    for instrument, spec in shares.items():
        if instrument in independent or not ctx.has_change(instrument):
            continue
        d = ctx.panel_design(instrument, derive=derive.get(instrument))
        present = {k: v for k, v in spec.items() if k in d.data.columns}
        t = change_table(d, present, old=ctx.previous, new=ctx.wave)
        out_shares.append(t.assign(instrument=instrument))
        if instrument in means:
            m = change_table(d, means[instrument], old=ctx.previous, new=ctx.wave)
            out_means.append(m.assign(instrument=instrument))
    for instrument, spec in means.items():
        if instrument not in independent or not ctx.has_change(instrument):
            continue
        out_means.append(_independent(ctx, instrument, spec).assign(instrument=instrument))

    def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts, ignore_index=True)
        first = ["instrument", "item", "variable"]
        return out[first + [c for c in out.columns if c not in first]]

    return stack(out_shares), stack(out_means)


def split_changes(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The rows of a comparison that rose significantly, fell significantly, held steady."""
    sig = table["significant"].astype(bool)
    return (
        table[sig & (table["change"] > 0)],
        table[sig & (table["change"] < 0)],
        table[~sig],
    )


def panel_size(ctx: SectionContext, instrument: str) -> pd.Series | None:
    """Units of ``instrument`` surveyed in both waves: a row with ``n`` (panel units) and
    ``all``; ``None`` without two waves."""
    from ..estimate.waves import panel_units

    if not ctx.has_change(instrument):
        return None
    key = ctx.study.instrument(instrument).key
    units = panel_units(
        ctx.stacked(instrument), wave="wave", unit=key, old=ctx.previous, new=ctx.wave
    )
    return pd.Series({"n": int((units["status"] == "panel").sum()), "all": len(units)})


def comparison_table(
    table: pd.DataFrame,
    *,
    waves: tuple[str, str],
    lang: str = "zh",
    percent: bool = True,
    decimals: int = 1,
) -> ReportTable:
    """A comparison as a report table: indicator, both waves, change, its interval, p, sig."""
    t = (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)
    labels = {
        "item": t("指标", "Indicator"),
        "change": t("变化", "Change"),
        "ci": t("变化的置信区间", "CI of change"),
        "significant": t("显著", "Sig."),
    }
    return report_table(
        table,
        columns=COMPARED,
        labels=labels,
        waves=waves,
        percent=percent,
        decimals=decimals,
        lang=lang,
    )

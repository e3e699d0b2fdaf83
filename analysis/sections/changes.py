"""Section 与上一轮相比的变化: wave-over-wave change of the key indicators, with tests.

Villages and households come from the panel of villages surveyed in both waves:
the two waves are stacked and the change estimated on one design in which a
village keeps its stratum and PSU (:func:`analysis.estimate.waves.change`), so the
covariance between the waves narrows the intervals. Cadres on postings are a new
group each wave: their change is between independent samples
(:func:`analysis.estimate.waves.change_independent`). A change is said to be a rise or a
fall ("比上年提高X个百分点") only when it is significant; otherwise the text says
the indicator held steady.

For the first wave of a study the section says there is no previous wave.

Examples
--------
>>> sorted(SHARES) == ["household", "village"]
True
"""

from __future__ import annotations

import pandas as pd

from ..charts import change_arrows
from ..report import Section, report_table
from .context import SectionContext
from .facilities import COVERAGE, FACILITIES
from .households import ACTIVITIES, participated
from .indicators import change_table, no_change_is_not_significant

__all__ = ["MEANS", "SHARES", "build", "change_tables", "title"]

#: Share indicators compared, by instrument: question -> (zh, en).
SHARES: dict[str, dict[str, tuple[str, str]]] = {
    "village": {
        **{k: FACILITIES[k] for k in ("has_library", "has_culture_room", "has_distance_edu")},
        "has_broadcast": ("通村级广播的村", "Villages with a broadcast"),
        **{k: COVERAGE[k] for k in ("cable_tv_coverage", "broadband_coverage")},
    },
    "household": {
        "participated": ("参加过至少一项活动的农户", "Households taking part in any activity"),
        **{k: ACTIVITIES[k] for k in ("visited_library", "attended_lecture", "attended_training")},
        "has_broadband": ("家中接通宽带的农户", "Households with broadband"),
    },
}

#: Mean indicators compared (not shares), by instrument.
MEANS: dict[str, dict[str, tuple[str, str]]] = {
    "household": {"life_score": ("生活满意度评分（零至十分）", "Life rating (nought to ten)")},
    "cadre": {"total_score": ("挂职干部考核综合得分", "Cadres' total assessment score")},
}

#: How an indicator is named in a list of changes (who or what it counts).
_LABELS = {
    "has_library": ("建有农家书屋的村", "Villages with a farmhouse library"),
    "has_culture_room": ("建有文化活动室的村", "Villages with a culture room"),
    "has_distance_edu": ("建有远程教育站点的村", "Villages with a distance-education station"),
    "cable_tv_coverage": ("有线电视平均入户率", "Cable TV coverage"),
    "broadband_coverage": ("宽带平均入户率", "Broadband coverage"),
    "visited_library": ("去过农家书屋的农户", "Households that visited the library"),
    "attended_lecture": ("听过政策理论宣讲的农户", "Households that attended a policy lecture"),
    "attended_training": ("参加过技术或技能培训的农户", "Households that attended training"),
}

#: Columns of the comparison tables, shares and scores alike.
_COMPARED = ["item", "estimate_old", "estimate_new", "change", "ci", "p_value", "significant"]


def title(ctx: SectionContext) -> str:
    """The section's heading."""
    return ctx.t("与上一轮相比的变化", "Changes since the previous wave")


def _labels(ctx: SectionContext, spec: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {k: ctx.t(*_LABELS.get(k, v)) for k, v in spec.items()}


def _with_participation(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(participated=participated(frame))


def _independent(ctx: SectionContext, instrument: str, items: dict[str, str]) -> pd.DataFrame:
    from ..estimate.waves import change_independent

    old, new = ctx.before.designs[instrument], ctx.designs[instrument]
    t = no_change_is_not_significant(change_independent(old, new, list(items)))
    t.insert(0, "item", t["variable"].map(items))
    return t.reset_index(drop=True)


def change_tables(ctx: SectionContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparison tables: shares (village and household panels) and means.

    Both have ``instrument, item, variable, estimate_old, estimate_new, change, se,
    ci_low, ci_high, df, p_value, significant``; empty when nothing can be compared.
    """
    shares, means = [], []
    for instrument, spec in SHARES.items():
        if not ctx.has_change(instrument):
            continue
        derive = _with_participation if instrument == "household" else None
        d = ctx.panel_design(instrument, derive=derive)
        present = {k: v for k, v in _labels(ctx, spec).items() if k in d.data.columns}
        t = change_table(d, present, old=ctx.previous, new=ctx.wave)
        shares.append(t.assign(instrument=instrument))
        if instrument in MEANS:
            m = change_table(d, _labels(ctx, MEANS[instrument]), old=ctx.previous, new=ctx.wave)
            means.append(m.assign(instrument=instrument))
    for instrument, spec in MEANS.items():
        if instrument in SHARES or not ctx.has_change(instrument):
            continue
        means.append(
            _independent(ctx, instrument, _labels(ctx, spec)).assign(instrument=instrument)
        )

    def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts, ignore_index=True)
        first = ["instrument", "item", "variable"]
        return out[first + [c for c in out.columns if c not in first]]

    return stack(shares), stack(means)


def _headers(ctx: SectionContext) -> dict[str, str]:
    """Short headers of a comparison table (units in the note)."""
    return {
        "item": ctx.t("指标", "Indicator"),
        "change": ctx.t("变化", "Change"),
        "ci": ctx.t("变化的置信区间", "CI of change"),
        "significant": ctx.t("显著", "Sig."),
    }


def _verdicts(ctx: SectionContext, table: pd.DataFrame, kind: str, unit: str = "") -> list[str]:
    spec = "change" if kind == "pct" else f"change_num:{unit}" if unit else "change_num"
    return [
        ctx.fill(f"{{r.item}}{{r:{spec}}}", f"{{r.item}}: {{r:{spec}}}", r=r)
        for _, r in table.iterrows()
    ]


def _panel_size(ctx: SectionContext) -> dict[str, int] | None:
    from ..estimate.waves import panel_units

    if not ctx.has_change("village"):
        return None
    key = ctx.study.instrument("village").key or "village_id"
    units = panel_units(
        ctx.stacked("village"), wave="wave", unit=key, old=ctx.previous, new=ctx.wave
    )
    return {"n": int((units["status"] == "panel").sum()), "all": len(units)}


def build(ctx: SectionContext) -> Section:
    """The section on changes since the previous wave, for the context's wave."""
    section = Section(title(ctx))
    if ctx.previous is None:
        return section.paragraph(
            ctx.fill(
                "本轮（{wave}）是该研究的首轮调查，没有上一轮数据可供比较。下一轮调查完成后，"
                "本部分将给出各项主要指标的变化及其显著性检验。",
                "This wave ({wave}) is the study's first, so there is no previous wave to "
                "compare with. Once the next wave is in, this section gives the change in "
                "every key indicator with its test.",
                wave=ctx.wave,
            )
        )
    if ctx.before is None:
        return section.paragraph(
            ctx.fill(
                "上一轮（{prev}）的数据尚未处理，无法比较。请先运行 baicun run {prev}，再重新生成本报告。",
                "The previous wave ({prev}) has not been processed, so nothing is compared. "
                "Run `baicun run {prev}` first, then make this report again.",
                prev=ctx.previous,
            )
        )
    shares, means = change_tables(ctx)
    if shares.empty and means.empty:
        return section.paragraph(
            ctx.fill(
                "上一轮（{prev}）与本轮没有共同的调查表，无法比较。",
                "The previous wave ({prev}) and this one share no instrument to compare.",
                prev=ctx.previous,
            )
        )
    panel = _panel_size(ctx)
    intro = ctx.fill(
        "本部分比较本轮（{wave}）与上一轮（{prev}）的主要指标。村和农户的指标按两轮都调查的"
        "样本村（{p.n:count:个}）做面板比较，计入两轮之间的相关；挂职干部每轮不同，按独立样本比较。"
        "只有经检验差异显著的变化才表述为提高或降低。",
        "This section compares the key indicators of this wave ({wave}) with the previous one "
        "({prev}). Village and household indicators are compared over the panel of villages "
        "surveyed in both waves ({p.n:count}), allowing for the correlation between waves; "
        "cadres differ each wave and are compared as independent samples. A change is called "
        "a rise or a fall only when it is significant.",
        wave=ctx.wave,
        prev=ctx.previous,
        p=panel or {"n": 0},
    )
    section = section.paragraph(intro)
    waves = (ctx.previous, ctx.wave)
    if not shares.empty:
        up = shares[shares["significant"] & (shares["change"] > 0)]
        down = shares[shares["significant"] & (shares["change"] < 0)]
        flat = shares[~shares["significant"]]
        sep = "；" if ctx.lang == "zh" else "; "
        parts = []
        if len(up):
            parts.append(
                ctx.t("显著提高的有：", "Significant rises: ") + sep.join(_verdicts(ctx, up, "pct"))
            )
        if len(down):
            parts.append(
                ctx.t("显著降低的有：", "Significant falls: ")
                + sep.join(_verdicts(ctx, down, "pct"))
            )
        if len(flat):
            parts.append(
                ctx.fill(
                    "{items}与{when}基本持平",
                    "{items} held steady",
                    items=ctx.listing(list(flat["item"])),
                    when=ctx.period,
                )
            )
        section = section.paragraph(
            ("。" if ctx.lang == "zh" else ". ").join(parts) + ctx.t("。", ".")
        )
        section = section.figure(
            change_arrows(shares, label="item", waves=waves, wrap=14, lang=ctx.lang),
            ctx.t("主要比例指标的变化", "Change in the key shares"),
        ).table(
            report_table(
                shares,
                columns=_COMPARED,
                labels=_headers(ctx),
                waves=waves,
                lang=ctx.lang,
            ),
            ctx.t("主要比例指标与上一轮的比较", "Key shares compared with the previous wave"),
            note=ctx.note(
                "变化以百分点计；置信区间（百分之九十五）和p值为变化的设计校正估计，显著指p值小于百分之五。",
                "Changes in percentage points; the 95% interval and the p-value are those of the "
                "change, design-based; significant means p below five per cent.",
            ),
        )
    if not means.empty:
        scores = _verdicts(ctx, means, "num")
        section = section.paragraph(
            ctx.fill(
                "评分类指标：{parts}。",
                "Scores: {parts}.",
                parts=("；" if ctx.lang == "zh" else "; ").join(scores),
            )
        ).table(
            report_table(
                means,
                columns=_COMPARED,
                labels=_headers(ctx),
                waves=waves,
                percent=False,
                decimals=2,
                lang=ctx.lang,
            ),
            ctx.t("评分类指标与上一轮的比较", "Scores compared with the previous wave"),
            note=ctx.note(
                "置信区间（百分之九十五）和p值为变化的设计校正估计。",
                "The 95% interval and the p-value are those of the change, design-based.",
            ),
        )
    return section

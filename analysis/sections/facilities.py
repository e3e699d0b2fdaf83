"""Section 村级文化设施与覆盖: facilities of the villages, coverage rates, change since last wave.

Reads the village instrument: the share of villages with each facility (农家书屋,
文化活动室, 远程教育站点, 村级广播, 文化体育广场) and the estimated number of them,
cable-TV, broadband and satellite coverage (the mean over villages of each
village's connected households over its households) by county, facilities by
village type, publicity staff and activities, and the change on the previous wave
for the villages surveyed in both.

Examples
--------
>>> sorted(FACILITIES) == sorted(["has_library", "has_culture_room", "has_distance_edu",
...                               "has_broadcast", "has_square"])
True
"""

from __future__ import annotations

import pandas as pd

from ..charts import domain_bars, share_bars
from ..report import Section, pick, report_table
from .context import SectionContext
from .indicators import change_table, item_means, item_totals, yes_shares

__all__ = ["COVERAGE", "FACILITIES", "STAFF", "build", "title"]

#: Facility questions (yes/no) and their short labels (zh, en).
FACILITIES: dict[str, tuple[str, str]] = {
    "has_library": ("农家书屋", "Farmhouse library"),
    "has_culture_room": ("文化活动室", "Culture room"),
    "has_distance_edu": ("远程教育站点", "Distance-education station"),
    "has_broadcast": ("村级广播", "Village broadcast"),
    "has_square": ("文化体育广场", "Culture and sports square"),
}

#: Coverage rates (calculated shares of households) and their labels.
COVERAGE: dict[str, tuple[str, str]] = {
    "cable_tv_coverage": ("有线电视入户率", "Cable TV coverage"),
    "broadband_coverage": ("宽带入户率", "Broadband coverage"),
    "satellite_coverage": ("卫星电视入户率", "Satellite TV coverage"),
}

#: Staff and activity counts totalled over the villages.
STAFF: dict[str, tuple[str, str]] = {
    "propaganda_staff": ("宣传思想工作人员", "Publicity staff"),
    "culture_volunteers": ("文化志愿者", "Cultural volunteers"),
}

_BY_TYPE = ("has_library", "has_culture_room", "has_distance_edu")


def title(ctx: SectionContext) -> str:
    """The section's heading."""
    return ctx.t("村级文化设施与覆盖", "Village cultural facilities and coverage")


def _items(ctx: SectionContext, spec: dict[str, tuple[str, str]], names=None) -> dict[str, str]:
    return {k: ctx.t(*v) for k, v in spec.items() if names is None or k in names}


def _facilities(ctx: SectionContext, section: Section) -> Section:
    d = ctx.designs["village"]
    items = _items(ctx, FACILITIES)
    shares = yes_shares(d, items)
    counts = item_totals(d, items, yes="1")
    lib, room, edu, bc, sq = (pick(shares, variable=v) for v in FACILITIES)
    ranked = shares.sort_values("estimate", ascending=False, kind="mergesort")
    top, low = ranked.iloc[0], ranked.iloc[-1]
    text = ctx.fill(
        "本轮共调查样本村{lib:n:个}。据加权估计，{lib:pct}的村建有农家书屋{lib:ci}，"
        "全省约有农家书屋{libn:count:个}；建有文化活动室的村占{room:pct}，"
        "建有党员干部现代远程教育站点的占{edu:pct}，通村级广播的占{bc:pct}，"
        "建有文化体育广场的占{sq:pct}。各类设施中，{top.item}最为普及（{top:pct}），"
        "{low.item}最少（{low:pct}）。",
        "The wave surveyed {lib:n: villages}. Weighted, {lib:pct} of villages have a farmhouse "
        "library{lib:ci}, about {libn:count} libraries across the province; {room:pct} have a "
        "culture room, {edu:pct} a distance-education station, {bc:pct} a village broadcast and "
        "{sq:pct} a culture and sports square. Most common: {top.item} ({top:pct}); least "
        "common: {low.item} ({low:pct}).",
        lib=lib,
        libn=pick(counts, variable="has_library"),
        room=room,
        edu=edu,
        bc=bc,
        sq=sq,
        top=top,
        low=low,
    )
    facility = ctx.t("设施", "Facility")
    return (
        section.paragraph(text)
        .figure(
            share_bars(shares, label="item", lang=ctx.lang),
            ctx.t("建有各类文化设施的村所占比例", "Share of villages with each facility"),
        )
        .table(
            report_table(
                ranked,
                columns=["item", "estimate", "ci", "n"],
                labels={"item": facility},
                lang=ctx.lang,
            ),
            ctx.t("村级文化设施的普及情况", "Village cultural facilities"),
            note=ctx.note(
                "比例为按村抽样权数加权的估计值；样本量为回答该题的样本村数。",
                "Shares are weighted by the village sampling weights; n is the number of "
                "sampled villages answering.",
            ),
        )
    )


def _coverage(ctx: SectionContext, section: Section) -> Section:
    d = ctx.designs["village"]
    items = _items(ctx, COVERAGE)
    overall = item_means(d, items, bounds=(0, 1))
    two = _items(ctx, COVERAGE, ("cable_tv_coverage", "broadband_coverage"))
    by_county = ctx.relabel(item_means(d, two, by="county", bounds=(0, 1)), "village", ["county"])
    tv_c = by_county[by_county["variable"] == "cable_tv_coverage"].sort_values(
        "estimate", ascending=False, kind="mergesort"
    )
    bb_c = by_county[by_county["variable"] == "broadband_coverage"].sort_values(
        "estimate", ascending=False, kind="mergesort"
    )
    text = ctx.fill(
        "样本村有线电视平均入户率为{tv:pct}{tv:ci}，宽带为{bb:pct}{bb:ci}，"
        "卫星电视（户户通）为{sat:pct}。分县看，有线电视入户率以{tvh.county}最高（{tvh:pct}），"
        "{tvl.county}最低（{tvl:pct}）；宽带入户率以{bbh.county}最高（{bbh:pct}），"
        "{bbl.county}最低（{bbl:pct}）。",
        "On average {tv:pct} of a village's households are connected to cable TV{tv:ci}, "
        "{bb:pct} to broadband{bb:ci} and {sat:pct} have a satellite receiver. Cable TV "
        "coverage is highest in {tvh.county} ({tvh:pct}) and lowest in {tvl.county} "
        "({tvl:pct}); broadband coverage is highest in {bbh.county} ({bbh:pct}) and lowest in "
        "{bbl.county} ({bbl:pct}).",
        tv=pick(overall, variable="cable_tv_coverage"),
        bb=pick(overall, variable="broadband_coverage"),
        sat=pick(overall, variable="satellite_coverage"),
        tvh=tv_c.iloc[0],
        tvl=tv_c.iloc[-1],
        bbh=bb_c.iloc[0],
        bbl=bb_c.iloc[-1],
    )
    wide = _county_table(ctx, by_county, two)
    return (
        section.paragraph(text)
        .figure(
            domain_bars(by_county, by="county", hue="item", lang=ctx.lang),
            ctx.t("各县有线电视和宽带平均入户率", "Cable TV and broadband coverage by county"),
        )
        .table(
            wide,
            ctx.t("各县有线电视和宽带平均入户率及其置信区间", "Coverage by county, with intervals"),
            note=ctx.note(
                "入户率为各村入户户数占户籍户数比例的加权平均；括号内为95%置信区间。",
                "Coverage is the weighted mean over villages of connected households over "
                "registered households; 95% confidence intervals in brackets.",
            ),
        )
    )


def _county_table(ctx: SectionContext, by_county: pd.DataFrame, items: dict[str, str]):
    """Counties as rows, one column per coverage rate (estimate and interval), and n."""
    from ..report import ReportTable, ci_range, count, pct

    county = ctx.t("县", "County")
    first = None
    cols: dict[str, list[str]] = {}
    order = (
        by_county[by_county["variable"] == next(iter(items))]
        .sort_values("estimate", ascending=False, kind="mergesort")["county"]
        .tolist()
    )
    cols[county] = order
    for var, label in items.items():
        rows = by_county[by_county["variable"] == var].set_index("county").loc[order]
        cols[label] = [
            f"{pct(e)}{ctx.t('（', ' (')}{ci_range(lo, hi)}{ctx.t('）', ')')}"
            for e, lo, hi in zip(rows["estimate"], rows["ci_low"], rows["ci_high"])
        ]
        first = rows if first is None else first
    cols[ctx.t("样本村数", "Villages")] = [count(v) for v in first["n"]]
    return ReportTable(pd.DataFrame(cols), label_columns=1, source=by_county)


def _village_types(ctx: SectionContext, section: Section) -> Section:
    d = ctx.designs["village"]
    items = _items(ctx, FACILITIES, _BY_TYPE)
    t = ctx.relabel(yes_shares(d, items, by="village_type"), "village", ["village_type"])
    lib = t[t["variable"] == "has_library"]
    parts = [
        ctx.fill("{r.village_type}为{r:pct}", "{r.village_type} villages {r:pct}", r=row)
        for _, row in lib.iterrows()
    ]
    room = t[t["variable"] == "has_culture_room"].sort_values("estimate", kind="mergesort")
    text = ctx.fill(
        "分村庄类型看，建有农家书屋的村所占比例：{parts}。建有文化活动室的比例以"
        "{hi.village_type}最高（{hi:pct}），{lo.village_type}最低（{lo:pct}）。",
        "By type of village, the share with a farmhouse library is: {parts}. Culture rooms "
        "are most common in {hi.village_type} villages ({hi:pct}) and least common in "
        "{lo.village_type} villages ({lo:pct}).",
        parts=ctx.listing(parts, last=True) if ctx.lang == "en" else "，".join(parts),
        hi=room.iloc[-1],
        lo=room.iloc[0],
    )
    return section.paragraph(text).figure(
        domain_bars(t, by="village_type", hue="item", lang=ctx.lang),
        ctx.t("不同类型村各类设施的普及情况", "Facilities by type of village"),
    )


def _staff(ctx: SectionContext, section: Section) -> Section:
    d = ctx.designs["village"]
    totals = item_totals(d, _items(ctx, STAFF))
    acts = item_means(d, {"activity_count": ctx.t("活动场次", "Activity sessions")})
    text = ctx.fill(
        "据推算，全省村级从事宣传思想工作的人员约{staff:count:人}，文化志愿者约{vol:count:人}；"
        "组织过活动的村上年平均开展各类活动{act:num:场}。",
        "Projected to the province, about {staff:count} people do publicity work in the "
        "villages and about {vol:count} are cultural volunteers; villages that held activities "
        "held {act:num} sessions last year on average.",
        staff=pick(totals, variable="propaganda_staff"),
        vol=pick(totals, variable="culture_volunteers"),
        act=pick(acts, variable="activity_count"),
    )
    return section.paragraph(text)


def _change(ctx: SectionContext, section: Section) -> Section:
    if not ctx.has_change("village"):
        if ctx.previous is not None:
            return section.paragraph(
                ctx.fill(
                    "上一轮（{prev}）的数据尚未处理，本节未作比较。",
                    "The previous wave ({prev}) has not been processed, so no comparison is made.",
                    prev=ctx.previous,
                )
            )
        return section
    items = {
        **_items(ctx, FACILITIES, ("has_library", "has_culture_room", "has_distance_edu")),
        **_items(ctx, COVERAGE, ("cable_tv_coverage", "broadband_coverage")),
    }
    ch = change_table(ctx.panel_design("village"), items, old=ctx.previous, new=ctx.wave)
    lib, room, edu, tv, bb = (pick(ch, variable=v) for v in items)
    text = ctx.fill(
        "与上一轮调查（{prev}）相比，建有农家书屋的村的比例为{lib:pct_new}，{lib:change}；"
        "建有文化活动室的为{room:pct_new}，{room:change}；建有远程教育站点的为{edu:pct_new}，"
        "{edu:change}。有线电视平均入户率{tv:change}，宽带平均入户率{bb:change}。"
        "各项变化及其检验见第五部分。",
        "Compared with the previous wave ({prev}), the share of villages with a farmhouse "
        "library is {lib:pct_new}, {lib:change}; with a culture room {room:pct_new}, "
        "{room:change}; with a distance-education station {edu:pct_new}, {edu:change}. Cable "
        "TV coverage is {tv:change}, broadband coverage {bb:change}. Section five gives every "
        "change and its test.",
        prev=ctx.previous,
        lib=lib,
        room=room,
        edu=edu,
        tv=tv,
        bb=bb,
    )
    return section.paragraph(text)


def build(ctx: SectionContext) -> Section:
    """The section on village facilities and coverage for the context's wave."""
    section = Section(title(ctx))
    if not ctx.has("village"):
        return section.paragraph(
            ctx.t("本轮没有村级调查表数据，本节从略。", "This wave has no village data.")
        )
    sub = Section(ctx.t("设施建设", "Facilities"))
    sub = _staff(ctx, _facilities(ctx, sub))
    section = section.subsection(sub)
    cov = _coverage(ctx, Section(ctx.t("广播电视和宽带覆盖", "Broadcasting and broadband")))
    section = section.subsection(cov)
    types = _village_types(ctx, Section(ctx.t("不同类型村的差异", "Differences by village type")))
    section = section.subsection(types)
    change = _change(ctx, Section(ctx.t("与上一轮相比", "Since the previous wave")))
    return section.subsection(change) if change.blocks else section

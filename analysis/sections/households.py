"""Section 农牧户参与、信息渠道与满意度: households' participation, information and views.

Reads the household instrument, with the facilities of each household's village
merged in by ``village_id``:

* participation in cultural and educational activities in the past year;
* where policy information comes from (the 0/1 columns ``info_channels_<code>``);
* Likert items on satisfaction and attitudes: answer shares, two scales
  (services, civic attitudes) with Cronbach's alpha after reverse-worded items
  (``_r``) are turned round and 98 (说不清) is left out, and their mean scores;
* group differences in participation, tested with Rao-Scott F tests;
* a design-based logistic regression of participation on the village's facilities.

Examples
--------
>>> len(SERVICE_SCALE), len(CIVIC_SCALE)
(8, 5)
>>> all(name in LIKERT for name in SERVICE_SCALE + CIVIC_SCALE)
True
"""

from __future__ import annotations

import pandas as pd

from ..charts import likert_bars, share_bars
from ..estimate.scales import composite_score, cronbach_alpha, recode_items
from ..report import ReportTable, Section, ci_range, count, number, p_value, pct, pick, report_table
from .context import SectionContext
from .indicators import item_means, yes_shares

__all__ = [
    "ACTIVITIES",
    "CIVIC_SCALE",
    "LIKERT",
    "SERVICE_SCALE",
    "build",
    "household_frame",
    "participated",
    "title",
]

#: Participation questions (yes/no) and their short labels.
ACTIVITIES: dict[str, tuple[str, str]] = {
    "visited_library": ("去过农家书屋", "Visited the farmhouse library"),
    "watched_film": ("看过村里放映的电影", "Watched a village film screening"),
    "attended_lecture": ("听过政策理论宣讲", "Attended a policy lecture"),
    "attended_training": ("参加过技术或技能培训", "Attended skills training"),
    "attended_performance": ("看过演出或参加过节庆", "Saw a performance or festival"),
    "used_distance_edu": ("到远程教育站点学习过", "Studied at the distance-education station"),
}

#: Likert items (agree5, 98 = 说不清) and short labels; ``_r`` items are reverse-worded.
LIKERT: dict[str, tuple[str, str]] = {
    "att_culture_satisfied": ("对本村文化活动满意", "Satisfied with village cultural activities"),
    "att_library_useful": ("书屋的书对家里有用", "Library books are useful"),
    "att_tv_enough": ("广播电视能满足需要", "Radio and TV meet our needs"),
    "att_lecture_clear": ("政策宣讲清楚易懂", "Policy lectures are clear"),
    "att_formality_r": ("宣传活动大多走过场", "Publicity events are just for show"),
    "att_policy_timely": ("能及时了解惠农政策", "I learn about policies in time"),
    "att_irrelevant_r": ("宣讲内容与生活无关", "Lectures have little to do with our life"),
    "att_cadres_listen": ("村干部常听群众意见", "Village cadres listen to villagers"),
    "att_not_my_business_r": ("公共事务跟我关系不大", "Village affairs are not my business"),
    "att_neighbours_help": ("邻里互助风气比以前好", "Neighbours help each other more"),
    "att_rely_on_aid_r": ("有补贴就不用太努力", "With subsidies there is no need to work hard"),
    "att_join_public": ("愿意参加公益活动", "Willing to do voluntary work"),
    "att_education_matters": ("孩子多读书很重要", "Schooling matters for the future"),
}

#: Satisfaction with public cultural and information services.
SERVICE_SCALE: tuple[str, ...] = (
    "att_culture_satisfied",
    "att_library_useful",
    "att_tv_enough",
    "att_lecture_clear",
    "att_formality_r",
    "att_policy_timely",
    "att_irrelevant_r",
    "att_cadres_listen",
)

#: Civic attitudes.
CIVIC_SCALE: tuple[str, ...] = (
    "att_not_my_business_r",
    "att_neighbours_help",
    "att_rely_on_aid_r",
    "att_join_public",
    "att_education_matters",
)

#: Village facilities merged onto households for the regression (0/1 or share).
_FACILITY_TERMS: dict[str, tuple[str, str]] = {
    "v_library": ("所在村建有农家书屋", "Village has a farmhouse library"),
    "v_culture_room": ("所在村建有文化活动室", "Village has a culture room"),
    "v_distance_edu": ("所在村建有远程教育站点", "Village has a distance-education station"),
    "v_cable_tv": ("所在村有线电视入户率", "Village cable TV coverage"),
}
_CONTROL_TERMS: dict[str, tuple[str, str]] = {
    "head_age": ("户主年龄（岁）", "Age of the head (years)"),
    "head_male": ("户主为男性", "Head is male"),
}

_YES = "1"


def title(ctx: SectionContext) -> str:
    """The section's heading."""
    return ctx.t(
        "农牧户参与、信息渠道与满意度", "Households: participation, information and satisfaction"
    )


def _labels(ctx: SectionContext, spec: dict[str, tuple[str, str]], names=None) -> dict[str, str]:
    return {k: ctx.t(*spec[k]) for k in (names or spec)}


def participated(households: pd.DataFrame) -> pd.Series:
    """1 when a household took part in any activity of :data:`ACTIVITIES` (but the
    distance-education station), 0 when in none; missing when it answered none of them.

    Examples
    --------
    >>> h = pd.DataFrame({a: ["2", "2", None] for a in ACTIVITIES}).assign(watched_film=["1", "2", None])
    >>> participated(h).tolist()
    [1.0, 0.0, nan]
    """
    acts = [a for a in ACTIVITIES if a != "used_distance_edu" and a in households]
    answers = households[acts].astype("string")
    any_yes = (answers == _YES).fillna(False).any(axis=1)
    return any_yes.astype(float).where(answers.notna().any(axis=1))


def household_frame(ctx: SectionContext) -> pd.DataFrame:
    """This wave's households with derived columns and their village's facilities.

    Adds ``participated`` (1 when the household took part in any activity of
    :data:`ACTIVITIES` but the distance-education station, 0 when in none, missing
    without an interview), ``head_male``, recoded Likert items ``<item>_s`` (1-5,
    reverse items turned round), ``agree_<item>`` (1 for 比较同意/非常同意), the
    scale scores ``service_score`` and ``civic_score``, and from the village table
    ``village_type``, ``v_library``, ``v_culture_room``, ``v_distance_edu`` (0/1)
    and ``v_cable_tv`` (coverage share).
    """
    h = ctx.frames["household"]
    out = {
        "participated": participated(h),
        "head_male": (h["head_sex"].astype("string") == _YES)
        .astype(float)
        .where(h["head_sex"].notna()),
    }
    items = list(LIKERT)
    codes = h[items].apply(lambda s: pd.to_numeric(s, errors="coerce"))
    codes = codes.where((codes >= 1) & (codes <= 5))
    recoded = recode_items(codes, items)
    for name in items:
        out[f"{name}_s"] = recoded[name]
        out[f"agree_{name}"] = (codes[name] >= 4).astype(float).where(codes[name].notna())
    frame = h.assign(**out)
    frame["service_score"] = composite_score(
        frame, [f"{n}_s" for n in SERVICE_SCALE], method="raw", name="service_score"
    )
    frame["civic_score"] = composite_score(
        frame, [f"{n}_s" for n in CIVIC_SCALE], method="raw", name="civic_score"
    )
    if ctx.has("village"):
        v = ctx.frames["village"]
        village = pd.DataFrame(
            {
                "village_id": v["village_id"],
                "village_type": v["village_type"],
                "v_library": (v["has_library"].astype("string") == _YES).astype(float),
                "v_culture_room": (v["has_culture_room"].astype("string") == _YES).astype(float),
                "v_distance_edu": (v["has_distance_edu"].astype("string") == _YES).astype(float),
                "v_cable_tv": v["cable_tv_coverage"].astype(float),
            }
        ).drop_duplicates("village_id")
        frame = frame.drop(columns=[c for c in village.columns if c != "village_id" and c in frame])
        frame = frame.merge(village, on="village_id", how="left", validate="many_to_one")
        frame.index = h.index
    return frame


# ----------------------------------------------------------------------------- participation
def _participation(ctx: SectionContext, d, section: Section) -> Section:
    items = _labels(ctx, ACTIVITIES)
    shares = yes_shares(d, items)
    anyp = yes_shares(d, {"participated": ctx.t("参加过至少一项", "Any of these")})
    ranked = shares.sort_values("estimate", ascending=False, kind="mergesort")
    top, second, low = ranked.iloc[0], ranked.iloc[1], ranked.iloc[-1]
    text = ctx.fill(
        "本轮有效访问农牧户{any:n:户}。过去一年，{any:pct}的农牧户参加过至少一项村里的文化教育活动"
        "{any:ci}。各项活动中，参与面最广的是{top.item}（{top:pct}）和{sec.item}（{sec:pct}），"
        "最窄的是{low.item}（{low:pct}）。",
        "The wave interviewed {any:n: households}. In the past year {any:pct} of households "
        "took part in at least one cultural or educational activity in the village{any:ci}. "
        "The most widely reached: {top.item} ({top:pct}) and {sec.item} ({sec:pct}); the "
        "least: {low.item} ({low:pct}).",
        any=anyp.iloc[0],
        top=top,
        sec=second,
        low=low,
    )
    return section.paragraph(text).figure(
        share_bars(shares, label="item", lang=ctx.lang),
        ctx.t("过去一年农牧户参加各类活动的比例", "Households taking part in each activity"),
    )


# ----------------------------------------------------------------------------- information
def _channels(ctx: SectionContext, d, frame: pd.DataFrame, section: Section) -> Section:
    labels = ctx.labels("household", "info_channels")
    items = {
        f"info_channels_{c}": lab for c, lab in labels.items() if f"info_channels_{c}" in frame
    }
    if not items:
        return section
    shares = yes_shares(d, items)
    ranked = shares.sort_values("estimate", ascending=False, kind="mergesort")
    a, b, c = ranked.iloc[0], ranked.iloc[1], ranked.iloc[2]
    low = ranked.iloc[-1]
    text = ctx.fill(
        "农牧户了解政策的渠道（可多选）以{a.item}（{a:pct}）、{b.item}（{b:pct}）和"
        "{c.item}（{c:pct}）为主，{low.item}最少（{low:pct}）。",
        "Households learn about policies (several answers allowed) mainly from: {a.item} "
        "({a:pct}), {b.item} ({b:pct}) and {c.item} ({c:pct}); least from {low.item} "
        "({low:pct}).",
        a=a,
        b=b,
        c=c,
        low=low,
    )
    return section.paragraph(text).figure(
        share_bars(shares, label="item", wrap=13, lang=ctx.lang),
        ctx.t("农牧户了解政策的渠道（可多选）", "Where households learn about policies"),
    )


# ----------------------------------------------------------------------------- attitudes
def _likert_table(ctx: SectionContext, d, names) -> tuple[pd.DataFrame, list[str]]:
    from .. import estimate as est

    labels = ctx.labels("household", names[0])
    levels = [c for c in labels if c.isdigit() and 1 <= int(c) <= 5]
    t = est.proportion(d, list(names))
    t = t[t["level"].astype(str).isin(levels)]
    t = t.assign(
        item=t["variable"].map(_labels(ctx, LIKERT, names)),
        level=t["level"].astype(str).map(labels),
    )
    return t[["item", "level", "estimate"]].reset_index(drop=True), [labels[c] for c in levels]


def _attitudes(ctx: SectionContext, d, section: Section) -> Section:
    service = list(SERVICE_SCALE)
    agree = yes_shares(d, {f"agree_{n}": ctx.t(*LIKERT[n]) for n in service})
    positive = agree[~agree["variable"].str.endswith("_r")].sort_values(
        "estimate", ascending=False, kind="mergesort"
    )
    hi, lo = positive.iloc[0], positive.iloc[-1]
    show = pick(agree, variable="agree_att_formality_r")
    text = ctx.fill(
        "在对公共文化和信息服务的评价中，同意（比较同意或非常同意）“{hi.item}”的农牧户最多，"
        "占{hi:pct}；同意“{lo.item}”的最少，占{lo:pct}。同时，仍有{show:pct}的农牧户认为"
        "村里的宣传活动大多是走过场。",
        "Of the statements on public cultural and information services, most households "
        "agree that “{hi.item}” ({hi:pct}) and fewest that “{lo.item}” ({lo:pct}). Still, "
        "{show:pct} agree that publicity events in the village are mostly for show.",
        hi=hi,
        lo=lo,
        show=show,
    )
    likert, levels = _likert_table(ctx, d, service)
    return section.paragraph(text).figure(
        likert_bars(likert, item="item", levels=levels, lang=ctx.lang),
        ctx.t(
            "农牧户对公共文化和信息服务的评价",
            "Households' views of cultural and information services",
        ),
    )


def _scales(ctx: SectionContext, d, section: Section) -> Section:
    svc_name = ctx.t("公共文化服务满意度", "Satisfaction with services")
    civ_name = ctx.t("公共参与态度", "Civic attitudes")
    alphas = pd.concat(
        [
            cronbach_alpha(d, [f"{n}_s" for n in SERVICE_SCALE], name=svc_name),
            cronbach_alpha(d, [f"{n}_s" for n in CIVIC_SCALE], name=civ_name),
        ],
        ignore_index=True,
    )
    scores = item_means(d, {"service_score": svc_name, "civic_score": civ_name})
    svc, civ = alphas.iloc[0], alphas.iloc[1]
    text = ctx.fill(
        "将评价题组成两个量表（反向题已转换，“说不清”不计入）：“{svc.scale}”量表共{svc.n_items:count}题，"
        "Cronbach α系数为{svc.alpha:num.2}；“{civ.scale}”量表共{civ.n_items:count}题，"
        "α系数为{civ.alpha:num.2}。按一至五分计，两个量表的平均得分分别为{s:num.2:分}和{c:num.2:分}。",
        "The items form two scales (reverse-worded items turned round, “can't say” left out): "
        "“{svc.scale}” of {svc.n_items:count} items, Cronbach's alpha {svc.alpha:num.2}, and "
        "“{civ.scale}” of {civ.n_items:count} items, alpha {civ.alpha:num.2}. On the one-to-five "
        "scale their mean scores are {s:num.2} and {c:num.2}.",
        svc=svc,
        civ=civ,
        s=pick(scores, variable="service_score"),
        c=pick(scores, variable="civic_score"),
    )
    rows = alphas.merge(scores.rename(columns={"item": "scale"}), on="scale", suffixes=("", "_s"))
    table = ReportTable(
        pd.DataFrame(
            {
                ctx.t("量表", "Scale"): rows["scale"],
                ctx.t("题项数", "Items"): [count(v) for v in rows["n_items"]],
                "Cronbach α": [number(v, 2) for v in rows["alpha"]],
                ctx.t("平均得分", "Mean score"): [number(v, 2) for v in rows["estimate"]],
                ctx.t("95%置信区间", "95% CI"): [
                    ci_range(a, b, percent=False, decimals=2)
                    for a, b in zip(rows["ci_low"], rows["ci_high"])
                ],
                ctx.t("样本量", "n"): [count(v) for v in rows["n"]],
            }
        ),
        label_columns=1,
        source=rows,
    )
    return section.paragraph(text).table(
        table,
        ctx.t("满意度与态度量表的信度和平均得分", "Reliability and mean scores of the scales"),
        note=ctx.note(
            "得分为各题得分（一至五分，反向题已转换）的平均；α与样本量按回答了全部题项的农户计算。",
            "Scores are the mean of the items (one to five, reverse items turned round); alpha "
            "and n count households answering every item.",
        ),
    )


# ----------------------------------------------------------------------------- groups
def _groups(ctx: SectionContext, d, frame: pd.DataFrame, section: Section) -> Section:
    from ..estimate.crosstab import crosstab

    groups = [
        (g, ctx.t(*said), ctx.t(*short))
        for g, said, short in (
            ("village_type", ("村庄类型", "type of village"), ("村庄类型", "Village type")),
            (
                "head_literacy",
                ("户主读汉文", "whether the head reads Chinese"),
                ("户主读汉文", "Reads Chinese"),
            ),
            ("head_sex", ("户主性别", "sex of the head"), ("户主性别", "Sex of head")),
        )
        if g in frame.columns
    ]
    rows, parts = [], []
    for var, label, short in groups:
        ct = crosstab(d, var, "participated")
        shares = ct.row_shares[ct.row_shares["level"].astype(float) == 1.0]
        instrument = "village" if var == "village_type" else "household"
        shares = ctx.relabel(shares.drop(columns=["variable"]), instrument, [var])
        shares = shares.rename(columns={var: "group"})
        test = ct.test.iloc[0]
        significant = bool(test["p_value"] < 0.05)
        listing = ctx.listing(
            [ctx.fill("{r.group}{r:pct}", "{r.group} {r:pct}", r=r) for _, r in shares.iterrows()]
        )
        parts.append(
            ctx.fill(
                "按{label}分，参与比例依次为{listing}，差异{verdict}",
                "by {label}: {listing}, a difference that is {verdict}",
                label=label,
                listing=listing,
                verdict=ctx.t("具有统计显著性", "statistically significant")
                if significant
                else ctx.t("不显著", "not significant"),
            )
        )
        for i, (_, r) in enumerate(shares.iterrows()):
            rows.append(
                {
                    ctx.t("分组", "Group"): short if i == 0 else "",
                    ctx.t("类别", "Category"): r["group"],
                    ctx.t("参与比例", "Took part"): pct(r["estimate"]),
                    ctx.t("95%置信区间", "95% CI"): ci_range(r["ci_low"], r["ci_high"]),
                    ctx.t("样本量", "n"): count(r["n"]),
                    "F": number(test["value"], 2) if i == 0 else "",
                    ctx.t("p值", "p-value"): p_value(test["p_value"]) if i == 0 else "",
                }
            )
    text = ctx.fill(
        "参加过至少一项活动的比例在不同群体间的差异（Rao-Scott检验）：{parts}。",
        "Differences in taking part between groups (Rao-Scott tests): {parts}.",
        parts=("；" if ctx.lang == "zh" else "; ").join(parts),
    )
    table = ReportTable(pd.DataFrame(rows), label_columns=2)
    return section.paragraph(text).table(
        table,
        ctx.t("不同群体农牧户参加活动的比例及差异检验", "Taking part by group, with tests"),
        note=ctx.note(
            "F为二阶Rao-Scott校正的F统计量，p值据此计算；比例为设计加权估计。",
            "F is the second-order Rao-Scott corrected statistic; shares are design-weighted.",
        ),
    )


# ----------------------------------------------------------------------------- regression
def _regression(ctx: SectionContext, d, frame: pd.DataFrame, section: Section) -> Section:
    from ..models.glm import logistic_regression

    if "v_library" not in frame.columns:
        return section
    terms = list(_FACILITY_TERMS)
    formula = "participated ~ " + " + ".join([*terms, "C(village_type)", *_CONTROL_TERMS])
    model = logistic_regression(d, formula)
    ors = model.odds_ratios()
    ors = ors[ors["term"] != "Intercept"].rename(columns={"odds_ratio": "estimate"})
    type_labels = ctx.labels("village", "village_type")
    base = type_labels.get(str(sorted(frame["village_type"].dropna().astype(str))[0]), "")

    def term_label(term: str) -> str:
        if term in _FACILITY_TERMS:
            return ctx.t(*_FACILITY_TERMS[term])
        if term in _CONTROL_TERMS:
            return ctx.t(*_CONTROL_TERMS[term])
        if term.startswith("C(village_type)[T."):
            code = term[len("C(village_type)[T.") : -1]
            return ctx.t(
                f"{type_labels.get(code, code)}（对照：{base}）",
                f"{type_labels.get(code, code)} (vs {base})",
            )
        return term

    ors = ors.assign(term=ors["term"].map(term_label)).reset_index(drop=True)
    facility = ors[ors["term"].isin([ctx.t(*v) for v in _FACILITY_TERMS.values()])]
    sig = facility[facility["p_value"] < 0.05].sort_values("estimate", ascending=False)
    insig = facility[facility["p_value"] >= 0.05]
    found = [
        ctx.fill(
            "{r.term}的农户，参加活动的几率是其他农户的{r:num_ci.2:倍}",
            "{r.term}: odds of taking part {r:num_ci.2} times as high",
            r=r,
        )
        for _, r in sig.iterrows()
    ]
    text = ctx.fill(
        "为考察村级设施与农户参与的关系，以农户是否参加过至少一项活动为因变量，以所在村的文化设施和"
        "有线电视入户率为自变量，控制村庄类型和户主年龄、性别，做设计加权的logistic回归（表中为比值比）。"
        "结果显示：{found}；{none}与参与没有显著关系。",
        "To see how village facilities relate to taking part, a design-weighted logistic "
        "regression of taking part in any activity on the village's facilities and cable TV "
        "coverage, controlling for the type of village and the head's age and sex (odds ratios "
        "in the table). Results: {found}; {none}: no significant relation.",
        found=("；" if ctx.lang == "zh" else "; ").join(found)
        or ctx.t("各项设施均未显示显著作用", "no facility shows a significant effect"),
        none=ctx.listing(list(insig["term"])) or ctx.t("其余变量", "the other terms"),
    )
    table = report_table(
        ors,
        columns=["term", "estimate", "ci", "p_value"],
        labels={"term": ctx.t("自变量", "Term"), "estimate": ctx.t("比值比", "Odds ratio")},
        percent=False,
        decimals=2,
        lang=ctx.lang,
    )
    n = pd.DataFrame({"n": [model.n]})
    note = ctx.fill(
        "因变量：过去一年是否参加过至少一项文化教育活动；设计加权logistic回归，纳入分析{m:n:户}。",
        "Note: the outcome is whether the household took part in any activity in the past year; "
        "design-weighted logistic regression on {m:n: households}.",
        m=n.iloc[0],
    )
    return section.paragraph(text).table(
        table,
        ctx.t(
            "农户参与活动与村级设施的logistic回归",
            "Logistic regression of taking part on village facilities",
        ),
        note=note,
    )


def build(ctx: SectionContext) -> Section:
    """The section on households for the context's wave."""
    section = Section(title(ctx))
    if not ctx.has("household"):
        return section.paragraph(
            ctx.t("本轮没有农牧户问卷数据，本节从略。", "This wave has no household data.")
        )
    frame = household_frame(ctx)
    d = ctx.design_for("household", frame)
    part = _participation(ctx, d, Section(ctx.t("文化教育活动参与", "Taking part in activities")))
    section = section.subsection(part)
    info = _channels(ctx, d, frame, Section(ctx.t("政策信息来源", "Sources of policy information")))
    section = section.subsection(info)
    views = _scales(
        ctx, d, _attitudes(ctx, d, Section(ctx.t("满意度与看法", "Satisfaction and views")))
    )
    section = section.subsection(views)
    diff = Section(ctx.t("群体差异与影响因素", "Group differences and village facilities"))
    diff = _regression(ctx, d, frame, _groups(ctx, d, frame, diff))
    return section.subsection(diff)

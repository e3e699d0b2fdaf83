"""Section 挂职干部: posting modes, durations, assessment scores, composite index and rankings.

Reads the cadre instrument (a census of the cadres on temporary postings):

* posting modes (外派, 下派, 上派) and planned durations, postings ended early;
* the weighted total of the assessment scores the form computes (``total_score``),
  by posting mode, and the share graded 优秀;
* a composite index: the five assessment scores standardised (z-scores) and
  weighted as the form weighs them (:func:`analysis.estimate.scales.composite_score`), so a
  score with a wide spread does not dominate; cadres ranked on it
  (:func:`analysis.estimate.scales.rank_scores`, ties share a rank);
* sending counties ranked by their cadres' mean total score.

Answers outside a question's choice list (validation flags them) are left out.

Examples
--------
>>> round(sum(SCORE_WEIGHTS.values()), 6)
1.0
"""

from __future__ import annotations

import pandas as pd

from .. import estimate as est
from ..charts import ranking_dots, score_distribution, share_bars
from ..estimate.scales import composite_score, rank_scores
from ..report import ReportTable, Section, count, number, pick
from .context import SectionContext
from .indicators import item_means, yes_shares

__all__ = ["SCORE_WEIGHTS", "build", "cadre_frame", "title"]

#: The assessment scores and their weights in the form's total_score.
SCORE_WEIGHTS: dict[str, float] = {
    "score_daily": 0.3,
    "score_democratic": 0.3,
    "score_report": 0.2,
    "score_worklog": 0.1,
    "score_interview": 0.1,
}

_TOP = 10


def title(ctx: SectionContext) -> str:
    """The section's heading."""
    return ctx.t("挂职干部", "Cadres on temporary postings")


def cadre_frame(ctx: SectionContext) -> pd.DataFrame:
    """This wave's cadres with codes outside the choice lists set missing, and derived columns.

    Adds ``ended_early`` and ``excellent`` (0/1) and ``composite`` (the standardised,
    weighted index of the assessment scores).
    """
    c = ctx.frames["cadre"]
    out = {}
    for col in ("posting_mode", "county", "posting_status", "overall_grade"):
        if col in c:
            valid = set(ctx.labels("cadre", col))
            codes = c[col].astype("string")
            out[col] = codes.where(codes.isin(valid))
    frame = c.assign(**out)
    status = frame["posting_status"]
    grade = frame["overall_grade"]
    frame["ended_early"] = (status == "3").astype(float).where(status.notna())
    frame["excellent"] = (grade == "1").astype(float).where(grade.notna())
    frame["composite"] = composite_score(frame, SCORE_WEIGHTS, method="zscore", name="composite")
    return frame


def _short(label: object) -> str:
    """A posting mode's short name for charts and tables: 下派（到乡镇） -> 下派."""
    text = str(label)
    for mark in ("（", " ("):
        text = text.split(mark)[0]
    return text


def _modes(ctx: SectionContext, d, section: Section) -> Section:
    modes = est.proportion(d, "posting_mode")
    modes = ctx.relabel(modes, "cadre", ["level"]).rename(columns={"level": "item"})
    durations = ctx.relabel(
        item_means(d, {"duration_months": ctx.t("计划期限", "Planned length")}, by="posting_mode"),
        "cadre",
        ["posting_mode"],
    )
    overall = item_means(d, {"duration_months": ctx.t("计划期限", "Planned length")})
    early = yes_shares(d, {"ended_early": ctx.t("提前结束", "Ended early")})
    ranked = modes.sort_values("estimate", ascending=False, kind="mergesort")
    parts = [
        ctx.fill(
            "{m.item}的占{m:pct}，平均计划期限{dur:num:个月}",
            "{m.item}: {m:pct}, planned for {dur:num} months on average",
            m=m,
            dur=pick(durations, posting_mode=m["item"]),
        )
        for _, m in ranked.iterrows()
    ]
    text = ctx.fill(
        "本轮调查挂职干部{all:n:名}。按挂职方式分，{parts}。全部挂职的计划期限平均为"
        "{dur:num:个月}，已有{early:pct}的挂职提前结束。",
        "The wave covers {all:n: cadres} on postings. By mode: {parts}. Postings are planned "
        "for {dur:num} months on average; {early:pct} have ended early.",
        all=ranked.iloc[0],
        parts=("；" if ctx.lang == "zh" else "; ").join(parts),
        dur=overall.iloc[0],
        early=early.iloc[0],
    )
    return section.paragraph(text).figure(
        share_bars(modes.assign(item=modes["item"].map(_short)), label="item", lang=ctx.lang),
        ctx.t("挂职干部的挂职方式", "Cadres by posting mode"),
    )


def _scores(ctx: SectionContext, d, frame: pd.DataFrame, section: Section) -> Section:
    label = ctx.t("综合得分", "Total score")
    overall = item_means(d, {"total_score": label})
    by_mode = ctx.relabel(
        item_means(d, {"total_score": label}, by="posting_mode"), "cadre", ["posting_mode"]
    ).sort_values("estimate", ascending=False, kind="mergesort")
    by_mode = by_mode.assign(posting_mode=by_mode["posting_mode"].map(_short))
    excellent = yes_shares(d, {"excellent": ctx.t("评为优秀", "Graded excellent")})
    text = ctx.fill(
        "考核综合得分（日常考核、民主测评、述职评议、工作日志和个别谈话按规定权重加总，满分为百分）"
        "平均为{tot:num_ci:分}，{exc:pct}的干部综合评定为优秀。分挂职方式看，{hi.posting_mode}"
        "干部平均得分最高（{hi:num:分}），{lo.posting_mode}干部最低（{lo:num:分}）。",
        "The total assessment score (routine assessment, democratic appraisal, work report, "
        "work log and interview, weighted as the form prescribes, out of a hundred) averages "
        "{tot:num_ci}; {exc:pct} of the cadres are graded excellent. By mode, cadres posted "
        "{hi.posting_mode} score highest ({hi:num}), those posted {lo.posting_mode} lowest "
        "({lo:num}).",
        tot=overall.iloc[0],
        exc=excellent.iloc[0],
        hi=by_mode.iloc[0],
        lo=by_mode.iloc[-1],
    )
    data = ctx.relabel(frame[["posting_mode", "total_score"]].dropna(), "cadre", ["posting_mode"])
    data = data.assign(posting_mode=data["posting_mode"].map(_short))
    return section.paragraph(text).figure(
        score_distribution(
            data,
            "total_score",
            by="posting_mode",
            kind="box",
            xlabel=label,
            lang=ctx.lang,
        ),
        ctx.t("不同挂职方式干部的考核综合得分分布", "Total scores by posting mode"),
    )


def _ranking(ctx: SectionContext, d, frame: pd.DataFrame, section: Section) -> Section:
    label = ctx.t("综合得分", "Total score")
    counties = ctx.relabel(
        item_means(d, {"total_score": label}, by="county"), "cadre", ["county"]
    ).sort_values("estimate", ascending=False, kind="mergesort")
    ranked = rank_scores(frame, "composite", method="min")
    top = ranked[ranked["rank"] <= _TOP]
    top = ctx.relabel(top, "cadre", ["county", "posting_mode"])
    top = top.assign(posting_mode=top["posting_mode"].map(_short))
    overlap = bool(counties.iloc[0]["ci_low"] <= counties.iloc[-1]["ci_high"])
    caution = (
        ctx.t(
            "，但首末两县平均分的置信区间相互重叠，名次差异不宜过度解读。",
            " The intervals of the first and last county overlap, so the order says little.",
        )
        if overlap
        else ""
    )
    text = ctx.fill(
        "按派出县平均综合得分排序，{first.county}最高（{first:num:分}），{last.county}最低"
        "（{last:num:分}）{caution}为避免各项得分离散程度不同造成的偏差，另将五项得分标准化后按同样权重"
        "合成综合评价指数，据此排序，前列干部见下表（同分并列）。",
        "Ranked by their cadres' mean total score, {first.county} comes first ({first:num}) and "
        "{last.county} last ({last:num}).{caution} So that no score counts more merely for its wider "
        "spread, the five scores are also standardised and weighted the same way into a "
        "composite index; the cadres ranked highest on it are listed below (ties share a rank).",
        first=counties.iloc[0],
        last=counties.iloc[-1],
        caution=caution or ctx.t("。", ""),
    )
    table = ReportTable(
        pd.DataFrame(
            {
                ctx.t("名次", "Rank"): [count(v) for v in top["rank"]],
                ctx.t("干部编号", "Cadre"): top["cadre_id"].astype(str).tolist(),
                ctx.t("派出县", "County"): top["county"].astype(str).tolist(),
                ctx.t("挂职方式", "Mode"): top["posting_mode"].astype(str).tolist(),
                ctx.t("综合得分", "Total score"): [number(v) for v in top["total_score"]],
                ctx.t("综合评价指数", "Composite index"): [number(v, 2) for v in top["composite"]],
            }
        ),
        label_columns=4,
        source=top,
    )
    return (
        section.paragraph(text)
        .figure(
            ranking_dots(
                counties,
                label="county",
                xlabel=ctx.t(
                    "平均综合得分（误差线为95%置信区间）", "Mean total score (bars: 95% CI)"
                ),
                lang=ctx.lang,
            ),
            ctx.t("各县派出干部平均综合得分排名", "Counties ranked by their cadres' mean score"),
        )
        .table(
            table,
            ctx.t("综合评价指数排名前列的挂职干部", "Cadres ranked highest on the composite index"),
            note=ctx.note(
                "综合评价指数为五项考核得分的标准分（均值为零、标准差为一）按规定权重的加权和。",
                "The composite index is the weighted sum of the five scores in standard units "
                "(mean zero, standard deviation one).",
            ),
        )
    )


def build(ctx: SectionContext) -> Section:
    """The section on cadres on postings for the context's wave."""
    section = Section(title(ctx))
    if not ctx.has("cadre"):
        return section.paragraph(
            ctx.t("本轮没有挂职干部问卷数据，本节从略。", "This wave has no cadre data.")
        )
    frame = cadre_frame(ctx)
    d = ctx.design_for("cadre", frame)
    modes = _modes(ctx, d, Section(ctx.t("挂职方式与期限", "Posting modes and lengths")))
    scores = _scores(ctx, d, frame, Section(ctx.t("考核得分", "Assessment scores")))
    ranking = _ranking(
        ctx, d, frame, Section(ctx.t("综合评价与排名", "Composite index and rankings"))
    )
    return section.subsection(modes).subsection(scores).subsection(ranking)

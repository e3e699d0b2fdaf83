"""Section 存在的问题: themes of the open-ended answers, with shares and example quotes.

Each instrument's open questions on problems and suggestions are read together
per respondent (a suggestion names the problem it would fix) and coded against a
codebook of themes (:mod:`analysis.text`): households and villages against
``themes.yaml`` of the study's surveys folder, cadres against ``themes-cadre.yaml``
(override with ``[report.codebooks]`` in study.toml: instrument = path from the
study root). A theme's share is
a design-based estimate over the respondents who answered, with its interval;
example quotes come from :func:`analysis.text.theme_frequencies`; answers no theme
matched are counted and the commonest listed for a person to code.

Identical answers are coded once (open answers repeat a lot), which gives the
same result as coding each.

Examples
--------
>>> [q.instrument for q in QUESTIONS]
['household', 'village', 'cadre']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..charts import share_bars
from ..report import ReportTable, Section, ci_range, count, pct
from .context import SectionContext
from .indicators import yes_shares

__all__ = ["CODEBOOKS", "QUESTIONS", "OpenQuestions", "build", "coded_answers", "title"]


@dataclass(frozen=True)
class OpenQuestions:
    """The open questions of one instrument read together, and who answered them."""

    instrument: str
    columns: tuple[str, ...]
    who: tuple[str, str]


QUESTIONS: tuple[OpenQuestions, ...] = (
    OpenQuestions("household", ("problem_detail", "suggestions"), ("农牧户", "households")),
    OpenQuestions(
        "village", ("difficulties_detail", "suggestions"), ("村干部", "village officials")
    ),
    OpenQuestions("cadre", ("problems", "suggestions"), ("挂职干部", "cadres")),
)

#: Default codebook of each instrument: a file of the study's surveys folder.
CODEBOOKS: dict[str, str] = {
    "household": "themes.yaml",
    "village": "themes.yaml",
    "cadre": "themes-cadre.yaml",
}

_QUOTES = 2
_TABLE_QUOTE = 20
_ENDS = "。！？!?；;"
_UNCODED_SHOWN = 8


def title(ctx: SectionContext) -> str:
    """The section's heading."""
    return ctx.t("存在的问题", "Problems")


def _codebook(ctx: SectionContext, instrument: str):
    from ..text import load_codebook

    configured = dict(ctx.study.setting("report", "codebooks", default={}) or {})
    if instrument in configured:
        path = ctx.study.path(configured[instrument])
    elif instrument in CODEBOOKS:
        path = ctx.study.surveys_dir / CODEBOOKS[instrument]
    else:
        return None
    return load_codebook(path) if path.is_file() else None


def _joined(frame: pd.DataFrame, columns: tuple[str, ...], none_answers) -> pd.Series:
    """One text per respondent: the substantive answers as sentences of one text (None when none)."""
    from ..text.codebook import normalise

    def piece(v) -> str | None:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        t = str(v).strip()
        return t or None

    texts = []
    present = [c for c in columns if c in frame.columns]
    for values in zip(*(frame[c] for c in present)):
        parts = [p for p in map(piece, values) if p]
        substantive = [p for p in parts if normalise(p) not in none_answers]
        if substantive:
            texts.append("".join(p if p[-1] in _ENDS else p + "。" for p in substantive))
        elif parts:
            texts.append(parts[0])  # "nothing to say": answered, never coded
        else:
            texts.append(None)
    return pd.Series(texts, index=frame.index, dtype=object)


def _split(texts: pd.Series) -> pd.DataFrame:
    """The answers' sentences: ``row`` (position of the answer) and ``sentence``."""
    from ..text import sentences

    answered = texts.dropna()
    ids = [f"r{i}" for i in range(len(texts))]
    position = dict(zip(ids, range(len(texts))))
    parts = sentences(
        pd.Series(list(answered), index=[ids[texts.index.get_loc(i)] for i in answered.index])
    )
    rows = [position[i.split("#")[0]] for i in parts.index]
    out = pd.DataFrame({"row": rows, "sentence": parts.to_numpy()})
    return out[out["sentence"].str.contains(r"\w", regex=True)].reset_index(drop=True)


def coded_answers(ctx: SectionContext, q: OpenQuestions):
    """Code one instrument's open answers, sentence by sentence.

    An answer mentions a theme when one of its sentences does. Each distinct
    sentence is coded once.

    Returns
    -------
    tuple
        ``(frame, shares, quotes, uncoded)``: the frame with ``theme_<code>`` 0/1
        columns (missing for respondents without an answer), ``coded`` (0/1: any
        theme) and ``uncoded``; design-based shares of each theme, with ``theme`` codes; quotes
        (a list, each in “”) per
        theme code (the sentences mentioning it given most often); ``uncoded`` (0/1: an
        answer with something to say that fits no theme); sentences fitting
        no theme with the number of answers holding each (``text``, ``n``). ``None``
        when the instrument has no data, no answers or no codebook.
    """
    from ..text import theme_frequencies, theme_indicators
    from ..text.codebook import normalise

    if not ctx.has(q.instrument):
        return None
    cb = _codebook(ctx, q.instrument)
    if cb is None:
        return None
    frame = ctx.frames[q.instrument]
    texts = _joined(frame, q.columns, cb.none_answers)
    answered = texts.notna().to_numpy()
    if not answered.any():
        return None
    weights = np.asarray(ctx.designs[q.instrument].weights, float)
    parts = _split(texts)
    parts["weight"] = weights[parts["row"].to_numpy()]
    by_sentence = (
        parts.groupby("sentence", sort=False)["weight"]
        .sum()
        .sort_values(ascending=False, kind="mergesort")
    )
    unique = pd.Series(list(by_sentence.index), index=list(by_sentence.index), dtype=object)
    found = theme_indicators(unique, cb).astype(bool)
    hits = found.loc[parts["sentence"]].to_numpy()
    columns = {}
    for j, code in enumerate(cb.codes):
        mentioned = np.zeros(len(frame), dtype=bool)
        mentioned[parts["row"].to_numpy()[hits[:, j]]] = True
        columns[f"theme_{code}"] = np.where(answered, mentioned.astype(float), np.nan)
    any_theme = (
        np.column_stack(list(columns.values())) == 1 if columns else np.zeros((len(frame), 0))
    )
    columns["coded"] = np.where(answered, any_theme.any(axis=1).astype(float), np.nan)
    nothing = np.array([t is not None and normalise(t) in cb.none_answers for t in texts])
    columns["uncoded"] = np.where(
        answered, (~any_theme.any(axis=1) & ~nothing).astype(float), np.nan
    )
    coded_frame = frame.assign(**columns)
    design = ctx.design_for(q.instrument, coded_frame)
    labels = {f"theme_{t.code}": ctx.t(t.zh, t.en) for t in cb.themes}
    shares = yes_shares(design, labels)
    shares = shares.assign(theme=shares["variable"].str.removeprefix("theme_"))
    freq = theme_frequencies(unique, cb, weights=by_sentence, examples=_QUOTES, quote_length=26)
    quotes = {
        theme: [q for q in text.split("；") if q] if text else []
        for theme, text in zip(freq["theme"], freq["examples"])
    }
    silent = [t for t in unique if not found.loc[t].any() and normalise(t) not in cb.none_answers]
    holding = parts[parts["sentence"].isin(silent)].groupby("sentence", sort=False)["row"].nunique()
    left = pd.DataFrame({"text": list(holding.index), "n": holding.to_numpy().astype(int)})
    left = left.sort_values("n", ascending=False, kind="mergesort").reset_index(drop=True)
    return coded_frame, shares, quotes, left


def _clip(quote: str, limit: int = _TABLE_QUOTE) -> str:
    """A quote shortened for a table cell: “……” kept, the text cut with an ellipsis.

    Examples
    --------
    >>> _clip("“村集体没有收入，开展活动全靠上级拨款，钱少事多。”", 10)
    '“村集体没有收入，开…”'
    """
    inner = quote.strip("“”")
    if len(inner) <= limit:
        return quote
    return f"“{inner[: limit - 1].rstrip('，、；')}…”"


def _theme_table(ctx: SectionContext, shares: pd.DataFrame, quotes: dict) -> ReportTable:
    rows = shares[shares["estimate"] > 0].sort_values("estimate", ascending=False)
    return ReportTable(
        pd.DataFrame(
            {
                ctx.t("主题", "Theme"): rows["item"].tolist(),
                ctx.t("例句", "Example"): [
                    _clip((quotes.get(t) or [""])[0]) for t in rows["theme"]
                ],
                ctx.t("提及比例", "Share"): [pct(v) for v in rows["estimate"]],
                ctx.t("95%置信区间", "95% CI"): [
                    ci_range(a, b) for a, b in zip(rows["ci_low"], rows["ci_high"])
                ],
            }
        ),
        label_columns=2,
        source=rows,
    )


def _instrument(ctx: SectionContext, q: OpenQuestions, result, figure: bool) -> Section:
    _frame, shares, quotes, _left = result
    who = ctx.t(*q.who)
    heading = ctx.fill("{who}反映的问题", "Problems raised by {who}", who=who)
    section = Section(heading)
    ranked = shares[shares["estimate"] > 0].sort_values(
        "estimate", ascending=False, kind="mergesort"
    )
    if ranked.empty:
        return section.paragraph(
            ctx.fill(
                "{who}的回答均未涉及编码表中的主题。",
                "None of the {who}' answers touches a theme of the codebook.",
                who=who,
            )
        )
    top = ranked.head(3)
    parts = [ctx.fill("{r.item}（{r:pct}）", "{r.item} ({r:pct})", r=r) for _, r in top.iterrows()]
    first = top.iloc[0]
    text = ctx.fill(
        "在回答了问题和建议的{who}中（{first:n:份}），提及最多的是{parts}。例如，提及“{first.item}”的回答有："
        "{quote}。",
        "Of the {who} who answered the questions on problems and suggestions ({first:n}), most "
        "mention {parts}. On “{first.item}”, for example: {quote}.",
        who=who,
        first=first,
        parts=ctx.listing(parts, last=True) if ctx.lang == "en" else "、".join(parts),
        quote=("；" if ctx.lang == "zh" else "; ").join(quotes.get(first["theme"], [])),
    )
    section = section.paragraph(text)
    caption = ctx.fill("{who}提及各类问题的比例", "Problems mentioned by {who}", who=who)
    if figure:
        section = section.figure(share_bars(ranked, label="item", lang=ctx.lang), caption)
    return section.table(
        _theme_table(ctx, shares, quotes),
        caption,
        note=ctx.note(
            "比例以回答了问题或建议的人为基数，按设计加权；一个回答可提及多个主题，各比例之和可超过百分之百。",
            "Shares are of those who answered, design-weighted; an answer may mention several "
            "themes.",
        ),
    )


def _summary(ctx: SectionContext, results) -> Section:
    section = Section(ctx.t("回答的编码情况", "Coding of the answers"))
    rows, listed, summary = [], [], []
    for q, (frame, _shares, _quotes, left) in results:
        row = {
            "instrument": ctx.t(*q.who),
            "answered": int(frame["coded"].notna().sum()),
            "coded": int((frame["coded"] == 1).sum()),
            "uncoded": int((frame["uncoded"] == 1).sum()),
        }
        rows.append(row)
        summary.append(
            ctx.fill(
                "{who}的{a:n:份}回答中，{u.n:count:份}未能归入任何主题",
                "{a:n} answers of {who}, {u.n:count} fitting no theme",
                who=row["instrument"],
                a={"n": row["answered"]},
                u={"n": row["uncoded"]},
            )
            if row["uncoded"]
            else ctx.fill(
                "{who}的{a:n:份}回答均归入了编码表的主题",
                "all {a:n} answers of {who} fit a theme",
                who=row["instrument"],
                a={"n": row["answered"]},
            )
        )
        for _, r in left.head(_UNCODED_SHOWN).iterrows():  # sentences fitting no theme
            listed.append((row["instrument"], r["text"], r["n"]))
    table = pd.DataFrame(rows)
    text = ctx.fill(
        "开放题回答按编码表逐句归类：{parts}。未归入任何主题的语句中较常见的列于下表，供人工补充编码或据以扩充编码表。",
        "The open answers were coded sentence by sentence against the codebooks: {parts}. The "
        "commonest sentences fitting no theme are listed below, for a person to code or to "
        "extend the codebooks with.",
        parts=("；" if ctx.lang == "zh" else "; ").join(summary),
    )
    coding = ReportTable(
        pd.DataFrame(
            {
                ctx.t("回答者", "Respondents"): table["instrument"],
                ctx.t("有效回答", "Answered"): [count(v) for v in table["answered"]],
                ctx.t("已归类", "Coded"): [count(v) for v in table["coded"]],
                ctx.t("未归类", "Not coded"): [count(v) for v in table["uncoded"]],
            }
        ),
        label_columns=1,
        source=table,
    )
    section = section.paragraph(text).table(
        coding,
        ctx.t("开放题回答的编码情况", "Coding of the open answers"),
        note=ctx.note(
            "“没有”“不知道”等回答计为有效回答，不归类也不计入未归类。",
            "Answers such as “nothing” count as answered but are neither coded nor listed.",
        ),
    )
    if listed:
        section = section.table(
            ReportTable(
                pd.DataFrame(
                    {
                        ctx.t("回答者", "Respondents"): [r[0] for r in listed],
                        ctx.t("语句", "Sentence"): [r[1] for r in listed],
                        ctx.t("回答数", "Answers"): [count(r[2]) for r in listed],
                    }
                ),
                label_columns=2,
            ),
            ctx.t(
                "未归入任何主题的常见语句（供人工编码）",
                "Common sentences fitting no theme (to code by hand)",
            ),
        )
    return section


def build(ctx: SectionContext) -> Section:
    """The section on problems raised in the open answers, for the context's wave."""
    section = Section(title(ctx))
    results = []
    for q in QUESTIONS:
        result = coded_answers(ctx, q)
        if result is not None:
            results.append((q, result))
    if not results:
        return section.paragraph(
            ctx.t(
                "本轮没有可编码的开放题回答（或研究中没有编码表）。",
                "This wave has no open answers to code (or the study has no codebook).",
            )
        )
    for q, result in results:
        section = section.subsection(_instrument(ctx, q, result, figure=q.instrument != "village"))
    return section.subsection(_summary(ctx, results))

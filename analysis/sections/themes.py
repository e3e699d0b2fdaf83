"""Open-text themes: answers coded against a codebook, theme shares with intervals, quotes.

The open questions of one instrument (:class:`OpenQuestions`, e.g. problems and
suggestions) are read together per respondent and coded sentence by sentence
against a codebook of themes (:mod:`analysis.text`). A theme's share is a
design-based estimate over the respondents who answered, with its interval;
quotes are the sentences mentioning it given most often
(:func:`analysis.text.theme_frequencies`); answers no theme matched are counted and
the commonest listed for a person to code. Identical sentences are coded once.

The codebook of an instrument is the file the notebook names, unless study.toml
sets ``[report.codebooks]`` (instrument = path from the study root).

Examples
--------
>>> clip_quote("“村集体没有收入，开展活动全靠上级拨款，钱少事多。”", 10)
'“村集体没有收入，开…”'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..format import ci_range, count, pct
from ..report import ReportTable
from .context import SectionContext
from .indicators import yes_shares

__all__ = [
    "CodedAnswers",
    "OpenQuestions",
    "clip_quote",
    "codebook_for",
    "coded_answers",
    "coding_table",
    "theme_table",
    "top_themes",
    "uncoded_table",
]

_QUOTES = 2
_TABLE_QUOTE = 20
_ENDS = "。！？!?；;"


@dataclass(frozen=True)
class OpenQuestions:
    """The open questions of one instrument read together.

    Attributes
    ----------
    instrument : str
    columns : tuple of str
        The open questions, read as one text per respondent.
    who : str
        Who answered, as the text names them (``"农牧户"``).
    codebook : str or None
        The codebook file, from the study's surveys folder (``"themes.yaml"``).
    """

    instrument: str
    columns: tuple[str, ...]
    who: str
    codebook: str | None = None


@dataclass(frozen=True, eq=False)
class CodedAnswers:
    """One instrument's coded answers (see :func:`coded_answers`)."""

    question: OpenQuestions
    frame: pd.DataFrame
    shares: pd.DataFrame
    quotes: dict = field(default_factory=dict)
    uncoded: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def answered(self) -> int:
        """Respondents who answered."""
        return int(self.frame["coded"].notna().sum())

    @property
    def coded(self) -> int:
        """Answers that mention a theme."""
        return int((self.frame["coded"] == 1).sum())

    @property
    def not_coded(self) -> int:
        """Answers with something to say that fit no theme."""
        return int((self.frame["uncoded"] == 1).sum())


def codebook_for(ctx: SectionContext, instrument: str, default: str | None):
    """The codebook of ``instrument``: ``[report.codebooks]`` of study.toml, else ``default``
    in the surveys folder; ``None`` when there is none."""
    from ..text import load_codebook

    configured = dict(ctx.study.setting("report", "codebooks", default={}) or {})
    if instrument in configured:
        path = ctx.study.path(configured[instrument])
    elif default:
        path = ctx.study.surveys_dir / default
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


def coded_answers(ctx: SectionContext, q: OpenQuestions) -> CodedAnswers | None:
    """Code one instrument's open answers, sentence by sentence.

    An answer mentions a theme when one of its sentences does. Each distinct
    sentence is coded once.

    Returns
    -------
    CodedAnswers
        ``(question, frame, shares, quotes, uncoded)``: the frame with ``theme_<code>`` 0/1
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
    cb = codebook_for(ctx, q.instrument, q.codebook)
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
    return CodedAnswers(q, coded_frame, shares, quotes, left)


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


def clip_quote(quote: str, limit: int = _TABLE_QUOTE) -> str:
    """A quote shortened for a table cell: “……” kept, the text cut with an ellipsis."""
    inner = quote.strip("“”")
    if len(inner) <= limit:
        return quote
    return f"“{inner[: limit - 1].rstrip('，、；')}…”"


def _t(lang: str):
    return (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)


def top_themes(coded: CodedAnswers) -> pd.DataFrame:
    """The themes mentioned at all, most often first."""
    shares = coded.shares
    return shares[shares["estimate"] > 0].sort_values("estimate", ascending=False, kind="mergesort")


def theme_table(coded: CodedAnswers, *, lang: str = "zh") -> ReportTable:
    """Themes mentioned, most often first: theme, an example quote, share and interval."""
    t = _t(lang)
    rows = coded.shares[coded.shares["estimate"] > 0].sort_values("estimate", ascending=False)
    return ReportTable(
        pd.DataFrame(
            {
                t("主题", "Theme"): rows["item"].tolist(),
                t("例句", "Example"): [
                    clip_quote((coded.quotes.get(x) or [""])[0]) for x in rows["theme"]
                ],
                t("提及比例", "Share"): [pct(v) for v in rows["estimate"]],
                t("95%置信区间", "95% CI"): [
                    ci_range(a, b) for a, b in zip(rows["ci_low"], rows["ci_high"])
                ],
            }
        ),
        label_columns=2,
        source=rows,
    )


def coding_table(results: Sequence[CodedAnswers], *, lang: str = "zh") -> ReportTable:
    """How many answers of each instrument were answered, coded and not coded."""
    t = _t(lang)
    table = pd.DataFrame(
        {
            "instrument": [r.question.who for r in results],
            "answered": [r.answered for r in results],
            "coded": [r.coded for r in results],
            "uncoded": [r.not_coded for r in results],
        }
    )
    return ReportTable(
        pd.DataFrame(
            {
                t("回答者", "Respondents"): table["instrument"],
                t("有效回答", "Answered"): [count(v) for v in table["answered"]],
                t("已归类", "Coded"): [count(v) for v in table["coded"]],
                t("未归类", "Not coded"): [count(v) for v in table["uncoded"]],
            }
        ),
        label_columns=1,
        source=table,
    )


def uncoded_table(
    results: Sequence[CodedAnswers], *, lang: str = "zh", shown: int = 8
) -> ReportTable | None:
    """The commonest sentences fitting no theme, per instrument (``None`` when there are none)."""
    t = _t(lang)
    listed = [
        (r.question.who, row["text"], row["n"])
        for r in results
        for _, row in r.uncoded.head(shown).iterrows()
    ]
    if not listed:
        return None
    return ReportTable(
        pd.DataFrame(
            {
                t("回答者", "Respondents"): [x[0] for x in listed],
                t("语句", "Sentence"): [x[1] for x in listed],
                t("回答数", "Answers"): [count(x[2]) for x in listed],
            }
        ),
        label_columns=2,
    )

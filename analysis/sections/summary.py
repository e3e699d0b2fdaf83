"""Ready blocks for a section: the shares of one question, or the means or totals of several.

Each builder takes the wave's context, an instrument and question names, and returns
a :class:`Block`: a tidy table labelled from the form (choice labels, not codes), a
figure, a report table (no raw ``variable`` column) and named rows for the text
(``top``, ``second``, ``low``; ``all`` for the whole sample). A notebook registers them::

    b = shares_block(ctx, "household", "water_source_drinking")
    w.rows(src_top=b.rows["top"]).figure("sources", b.figure, b.title).table("sources", b.report)

Counts (totals) never show a negative lower bound: an interval crossing zero is cut
there and the table's note says so.

Examples
--------
>>> import pandas as pd
>>> from analysis.instrument.model import Choice, ChoiceList, Instrument, Question
>>> from analysis.sections.context import SectionContext, WaveData
>>> from analysis.design.survey import SurveyDesign
>>> form = Instrument(None, "f", "F", None, "en", ("en",),
...     (Question("src", "select_one", labels={"en": "Water source"}, list_name="s"),), (),
...     {"s": ChoiceList("s", (Choice("1", {"en": "Piped"}), Choice("2", {"en": "Well"})))})
>>> df = pd.DataFrame({"w": [1.0] * 4, "src": ["1", "1", "2", "1"]})
>>> ctx = SectionContext(None, "w1", "en", WaveData("w1", {"f": df}, {"f": SurveyDesign(df, weights="w")}),
...                      forms={"f": form})
>>> b = shares_block(ctx, "f", "src")
>>> b.table[["item", "estimate"]].values.tolist(), b.rows["top"]["item"]
([['Piped', 0.75], ['Well', 0.25]], 'Piped')
>>> list(b.report.frame.columns)
['Water source', 'Share', '95% CI', 'n']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..charts import domain_bars, ranking_dots, share_bars
from ..errors import SectionError
from ..report import ReportTable, report_table
from .context import SectionContext
from .indicators import choice_shares, item_means, item_totals, yes_shares

__all__ = ["Block", "means_block", "multiple_columns", "shares_block"]


@dataclass(frozen=True, eq=False)
class Block:
    """What a builder gives a notebook.

    Attributes
    ----------
    title : str
        A caption: the question's label (or the items' common title).
    table : DataFrame
        Tidy estimates: ``[*by, item, estimate, se, ci_low, ci_high, ..., n]``, labelled.
    figure : matplotlib Figure
    report : ReportTable
    rows : dict
        Named rows for the text: ``top``, ``second``, ``low`` (highest, second, lowest
        estimate of the whole sample; by domain, of the first item).
    note : str or None
        What the report table's note should say (a cut interval), if anything.
    """

    title: str
    table: pd.DataFrame
    figure: Any
    report: ReportTable
    rows: dict[str, pd.Series] = field(default_factory=dict)
    note: str | None = None


def _t(lang: str):
    return (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)


def _note(lang: str, zh: str, en: str) -> str:
    """A table note: English marked "Note:" (the report writer marks Chinese notes 注：)."""
    return f"Note: {en}" if lang == "en" else zh


def _question(ctx: SectionContext, instrument: str, question: str) -> Any:
    form = ctx.forms.get(instrument)
    if form is None or question not in form:
        raise SectionError(
            "SEC027",
            f"{instrument} has no question {question!r}",
            expected="a question of the instrument's form",
            found=", ".join(q.name for q in form.questions[:8]) + " ..." if form else "no form",
            hint="Check the question's name in the form (surveys/).",
        )
    return form[question]


def multiple_columns(frame: pd.DataFrame, question: str, labels: dict[str, str]) -> dict[str, str]:
    """The 0/1 columns of a select_multiple question's choices (``<question>_<code>``,
    ``<question>/<code>`` or ``<question>.<code>``) and their labels.

    A column that is empty or holds anything but 0/1 (an "other" text field named like a
    choice) is not a choice column.

    Examples
    --------
    >>> multiple_columns(pd.DataFrame(columns=["src_1", "src/2"]), "src", {"1": "a", "2": "b"})
    {'src_1': 'a', 'src/2': 'b'}
    """
    out = {}
    for code, label in labels.items():
        for sep in ("_", "/", "."):
            name = f"{question}{sep}{code}"
            if name in frame.columns:
                values = frame[name].dropna()
                if values.empty or set(values.astype(str)) <= {"0", "1", "0.0", "1.0"}:
                    out[name] = label
                break
    return out


def _answered(design: Any, question: str, labels: dict[str, str]) -> dict[str, str]:
    """The choice columns of a select_multiple question that hold an answer."""
    columns = multiple_columns(design.data, question, labels)
    return {c: lab for c, lab in columns.items() if design.data[c].notna().any()}


def _named(table: pd.DataFrame) -> dict[str, pd.Series]:
    ranked = table.sort_values("estimate", ascending=False, kind="mergesort")
    rows = {"top": ranked.iloc[0], "low": ranked.iloc[-1]}
    if len(ranked) > 1:
        rows["second"] = ranked.iloc[1]
    return rows


def shares_block(
    ctx: SectionContext,
    instrument: str,
    question: str,
    *,
    by: str | None = None,
    design: Any = None,
) -> Block:
    """The shares of the answers of a select_one or select_multiple question, by ``by``.

    ``design`` defaults to the instrument's design of this wave. A select_multiple
    question's shares are of the units choosing each option (they may sum past 100%).

    Raises ``SEC027`` for a question the form lacks, ``SEC028`` for one that is not a
    select question (or a select_multiple without its 0/1 columns in the data).
    """
    q = _question(ctx, instrument, question)
    design = design if design is not None else ctx.designs[instrument]
    labels = ctx.labels(instrument, question)
    if q.type == "select_one":
        table = choice_shares(design, question, labels, by=by).drop(columns="level")
    elif q.type == "select_multiple" and _answered(design, question, labels):
        table = yes_shares(design, _answered(design, question, labels), by=by)
    else:
        raise SectionError(
            "SEC028",
            f"{question!r} is a {q.type} question, not one whose answers have shares",
            expected="select_one, or select_multiple with its 0/1 columns in the data",
            found=q.type,
            hint="Use means_block for numbers; shares_block for select questions.",
        )
    if by is not None:
        table = ctx.relabel(table, instrument, [by])
    table = table.drop(columns="variable", errors="ignore").reset_index(drop=True)
    title = ctx.question_label(instrument, question)
    if by is None:
        figure = share_bars(table, label="item", lang=ctx.lang)
        first = table
    else:
        figure = domain_bars(table, by=by, hue="item", lang=ctx.lang)
        first = table[table["item"] == table["item"].iloc[0]]
    shown = table if by is not None else table.sort_values("estimate", ascending=False)
    report = report_table(
        shown,
        columns=[*([by] if by else []), "item", "estimate", "ci", "n"],
        labels={"item": title, **({by: ctx.question_label(instrument, by)} if by else {})},
        lang=ctx.lang,
    )
    note = _note(
        ctx.lang,
        "多选题：比例之和可超过百分之百。",
        "several answers allowed: shares may add to more than 100%.",
    )
    return Block(
        title, table, figure, report, _named(first), note if q.type != "select_one" else None
    )


def means_block(
    ctx: SectionContext,
    instrument: str,
    questions: Sequence[str],
    *,
    by: str | None = None,
    total: bool = False,
    design: Any = None,
    title: str | None = None,
) -> Block:
    """The means (or population totals) of numeric questions, with their intervals.

    Totals are counts: an interval crossing zero is cut at zero and ``note`` says so.
    """
    for question in questions:
        _question(ctx, instrument, question)
    design = design if design is not None else ctx.designs[instrument]
    items = {q: ctx.question_label(instrument, q) for q in questions}
    t = _t(ctx.lang)
    table = (item_totals if total else item_means)(design, items, by=by)
    clipped = bool(table.get("clipped", pd.Series(False)).any())
    if by is not None:
        table = ctx.relabel(table, instrument, [by])
    table = table.drop(columns=["variable", "clipped"], errors="ignore").reset_index(drop=True)
    caption = title or (items[questions[0]] if len(questions) == 1 else t("均值", "Means"))
    label = by if by is not None else "item"
    shown = table if by is None else table[table["item"] == items[questions[0]]]
    figure = ranking_dots(shown, label=label, numbered=False, xlabel=caption, lang=ctx.lang)
    report = report_table(
        table,
        columns=[*([by] if by else []), "item", "estimate", "ci", "n"],
        labels={
            "item": t("指标", "Indicator"),
            **({by: ctx.question_label(instrument, by)} if by else {}),
        },
        percent=False,
        lang=ctx.lang,
    )
    note = (
        _note(
            ctx.lang,
            "总数的置信区间下限不低于零（区间跨过零时取零）。",
            "intervals of totals are cut at zero.",
        )
        if clipped
        else None
    )
    return Block(caption, table, figure, report, _named(shown), note)

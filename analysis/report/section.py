"""Sections of a findings report: headings, paragraphs, tables and figures.

A :class:`Section` is immutable: each builder method returns a new section, so a
notebook can build a section step by step without surprises. Numbers are given at
assembly (:func:`outline`): headings ``一、`` / ``（一）`` / ``1.`` / ``（1）``, and
figures and tables ``图1``, ``表1`` through the whole report.

A figure or table may carry a ``name``; a paragraph refers to it as ``{fig:name}`` or
``{tab:name}`` and :func:`outline` writes its number there (``见{fig:coverage}`` ->
``见图2``), wherever in the report the figure is. The narrative never types the number.

Examples
--------
>>> s = (Section("现状及做法")
...      .paragraph("各村普遍建有农家书屋。")
...      .subsection(Section("设施建设").paragraph("……")))
>>> [(h.number, h.title) for h in outline([s, Section("存在的问题")]) if isinstance(h, Heading)]
[('一、', '现状及做法'), ('（一）', '设施建设'), ('二、', '存在的问题')]
>>> from analysis.report import report_table
>>> import pandas as pd
>>> t = report_table(pd.DataFrame({"item": ["书屋"], "estimate": [0.5], "n": [9]}))
>>> s = Section("设施").paragraph("各类设施见{tab:facilities}。").table(t, "设施", name="facilities")
>>> outline([s])[1].text
'各类设施见表1。'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Union

import pandas as pd
from matplotlib.figure import Figure

from ..charts.save import has_rendering, keep_rendering
from ..errors import ReportError
from ..format import tidy_punctuation
from .tables import ReportTable, report_table

__all__ = [
    "REFERENCE",
    "FigureBlock",
    "Heading",
    "NumberedFigure",
    "NumberedTable",
    "Paragraph",
    "Section",
    "TableBlock",
    "chinese_numeral",
    "file_stem",
    "heading_number",
    "outline",
]

_DIGITS = "零一二三四五六七八九"

#: A reference to a named figure or table in narrative text: ``{fig:name}``, ``{tab:name}``.
REFERENCE = re.compile(r"\{(?P<kind>fig|tab):(?P<name>[^\s{}:]+)\}")


def chinese_numeral(n: int) -> str:
    """1..99 in Chinese numerals, as headings count: 一, 十, 十一, 二十三.

    Examples
    --------
    >>> [chinese_numeral(i) for i in (1, 10, 11, 20, 23, 99)]
    ['一', '十', '十一', '二十', '二十三', '九十九']
    """
    if not 1 <= n <= 99:
        raise ReportError(
            "REP014",
            f"cannot number heading {n} in Chinese numerals",
            expected="1 to 99 sections at one level",
            found=str(n),
            hint="Split the report into fewer sections at this level.",
        )
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def heading_number(path: tuple[int, ...], lang: str = "zh") -> str:
    """The number of a heading from its position (1-based at each level).

    Examples
    --------
    >>> heading_number((2,)), heading_number((2, 3)), heading_number((2, 3, 1)), heading_number((1, 1, 1, 4))
    ('二、', '（三）', '1.', '（4）')
    >>> heading_number((2, 3), "en")
    '2.3'
    """
    if lang == "en":
        return ".".join(map(str, path)) + ("." if len(path) == 1 else "")
    k = path[-1]
    return {1: f"{chinese_numeral(k)}、", 2: f"（{chinese_numeral(k)}）", 3: f"{k}."}.get(
        len(path), f"（{k}）"
    )


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of narrative (fill numbers with :func:`analysis.format.fill`)."""

    text: str


@dataclass(frozen=True, eq=False)
class FigureBlock:
    """A chart and its caption title (numbered at assembly)."""

    figure: Figure
    title: str
    note: str | None = None
    name: str | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_rendered": has_rendering(self.figure)}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        rendered = state.pop("_rendered", False)
        for key, value in state.items():
            object.__setattr__(self, key, value)
        if rendered:  # the PNG/SVG bytes made in the notebook are reused, not redrawn
            keep_rendering(self.figure)


@dataclass(frozen=True, eq=False)
class TableBlock:
    """A report table and its caption title (numbered at assembly)."""

    table: ReportTable
    title: str
    note: str | None = None
    name: str | None = None
    appendix: bool = False


Block = Union[Paragraph, FigureBlock, TableBlock, "Section"]


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ReportError(
            "REP011",
            f"the {what} must be non-empty text",
            expected="a str",
            found=repr(value)[:60],
            hint=f"Pass the {what} as a string.",
        )
    return value.strip()


@dataclass(frozen=True)
class Section:
    """A report section: a title and its blocks in order (paragraphs, figures, tables, subsections).

    Parameters
    ----------
    title : str
        Heading text without its number (``"现状及做法"``).
    blocks : tuple
        Content in order; use the builder methods to add to it.
    """

    title: str
    blocks: tuple[Block, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", _text(self.title, "section title"))
        object.__setattr__(self, "blocks", tuple(self.blocks))

    def _add(self, block: Block) -> Section:
        return replace(self, blocks=(*self.blocks, block))

    def paragraph(self, *texts: str) -> Section:
        """Add one paragraph per text."""
        out = self
        for t in texts:
            out = out._add(Paragraph(tidy_punctuation(_text(t, "paragraph"))))
        return out

    def figure(
        self, figure: Figure, title: str, *, note: str | None = None, name: str | None = None
    ) -> Section:
        """Add a chart with its caption title (``图N`` is added at assembly).

        ``name`` lets the narrative refer to it as ``{fig:name}``."""
        if not isinstance(figure, Figure):
            raise ReportError(
                "REP011",
                "a section figure must be a matplotlib Figure",
                expected="matplotlib.figure.Figure",
                found=type(figure).__name__,
                hint="Pass the Figure a function of analysis.charts returned.",
            )
        return self._add(FigureBlock(figure, _text(title, "figure title"), note, name))

    def table(
        self,
        table: ReportTable | pd.DataFrame,
        title: str | None = None,
        *,
        note: str | None = None,
        name: str | None = None,
        appendix: bool = False,
    ) -> Section:
        """Add a table: a :class:`ReportTable`, or an estimate frame of proportions formatted
        with :func:`report_table` defaults (use report_table(..., percent=False) for other
        estimates). ``name`` lets the narrative refer to it as ``{tab:name}``.

        An ``appendix`` table (e.g. sentences left for manual coding) is numbered 附表1,
        附表2 ... and written to the report's appendix file, not its body."""
        if isinstance(table, pd.DataFrame):
            table = report_table(table)
        if not isinstance(table, ReportTable):
            raise ReportError(
                "REP011",
                "a section table must be a ReportTable or an estimate DataFrame",
                expected="ReportTable",
                found=type(table).__name__,
                hint="Format the estimates with report_table(...).",
            )
        caption = _text(title if title is not None else table.title, "table title")
        note = note if note is not None else table.note
        return self._add(TableBlock(table, caption, note, name, appendix))

    def subsection(self, section: Section) -> Section:
        """Add a subsection (numbered （一）, （二） under a top-level section)."""
        if not isinstance(section, Section):
            raise ReportError(
                "REP011",
                "a subsection must be a Section",
                expected="Section",
                found=type(section).__name__,
                hint="Build it with Section('标题').paragraph(...).",
            )
        return self._add(section)


# ---------------------------------------------------------------------------
# the numbered outline every writer reads


@dataclass(frozen=True)
class Heading:
    """A numbered heading; ``level`` 1 is a top-level section."""

    level: int
    number: str
    title: str

    @property
    def text(self) -> str:
        """Number and title as printed (``一、现状及做法``)."""
        sep = " " if self.number[-1:].isdigit() or self.number.endswith(".") else ""
        return f"{self.number}{sep}{self.title}"


class _Captioned:
    """The caption of a numbered figure or table: ``图1　标题`` or ``Figure 1. Title``."""

    label: str
    title: str

    @property
    def caption(self) -> str:
        return (
            f"{self.label}　{self.title}"
            if not self.label.isascii()
            else f"{self.label}. {self.title}"
        )


@dataclass(frozen=True, eq=False)
class NumberedFigure(_Captioned):
    """A figure with its number (``图1``) and file stem (``图01_各县有线电视入户率``)."""

    number: int
    label: str
    title: str
    figure: Figure
    note: str | None
    stem: str
    name: str | None = None


@dataclass(frozen=True, eq=False)
class NumberedTable(_Captioned):
    """A table with its number (``表1``) and file stem."""

    number: int
    label: str
    title: str
    table: ReportTable
    note: str | None
    stem: str
    name: str | None = None
    appendix: bool = False


Item = Heading | Paragraph | NumberedFigure | NumberedTable
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def file_stem(label: str, title: str, *, limit: int = 60) -> str:
    """A file name stem from a caption: ``图01_各县有线电视入户率`` (no path-unsafe characters).

    Examples
    --------
    >>> file_stem("表2", "各县 村级设施/覆盖率：2025")
    '表2_各县_村级设施_覆盖率_2025'
    """
    clean = _UNSAFE.sub("_", title.replace("：", "_")).strip("_.")
    return f"{label}_{clean}"[:limit].rstrip("_")


def _resolve(items: list[Item], labels: dict[tuple[str, str], str], strict: bool) -> list[Item]:
    """Paragraphs with every ``{fig:name}`` / ``{tab:name}`` replaced by its label."""

    def label(m: re.Match) -> str:
        key = (m["kind"], m["name"])
        if key in labels:
            return labels[key]
        if not strict:
            return m.group(0)
        known = ", ".join(f"{{{k}:{n}}}" for k, n in labels) or "no named figure or table"
        raise ReportError(
            "REP020",
            f"the narrative refers to {m.group(0)}, which no section of the report holds",
            expected="a figure or table registered under that name",
            found=known,
            hint="Check the name (it must match the name the figure or table was given).",
        )

    out: list[Item] = []
    for item in items:
        if isinstance(item, Paragraph) and "{" in item.text:
            item = Paragraph(REFERENCE.sub(label, item.text))
        out.append(item)
    return out


def outline(
    sections: Iterable[Section], lang: str = "zh", *, strict: bool = True
) -> tuple[Item, ...]:
    """Number a report: headings, figures and tables in reading order.

    Figures and tables are numbered through the whole report (图1, 图2, ...; 表1, ...);
    appendix tables apart (附表1, ...), marked ``appendix`` for the writer to set aside.
    References ``{fig:name}`` / ``{tab:name}`` in paragraphs become their labels
    (``图2``); an unknown name is ``REP020`` (left as it is when not ``strict``, e.g.
    previewing one section that refers to another's figure), a name given twice ``REP021``.
    """
    fig_label, tab_label = ("图", "表") if lang == "zh" else ("Figure ", "Table ")
    app_label = "附表" if lang == "zh" else "Appendix table "
    items: list[Item] = []
    counters = {"fig": 0, "tab": 0, "app": 0}
    stems: set[str] = set()
    labels: dict[tuple[str, str], str] = {}

    def named(kind: str, name: str | None, label: str) -> None:
        if name is None:
            return
        if (kind, name) in labels:
            raise ReportError(
                "REP021",
                f"two {'figures' if kind == 'fig' else 'tables'} of the report are named {name!r}",
                expected="one name per figure and per table in the whole report",
                found=f"{labels[(kind, name)]} and {label}",
                hint="Give one of them another name (names are shared by all sections).",
            )
        labels[(kind, name)] = label

    def walk(section: Section, path: tuple[int, ...]) -> None:
        items.append(Heading(len(path), heading_number(path, lang), section.title))
        k = 0
        for block in section.blocks:
            if isinstance(block, Section):
                k += 1
                walk(block, (*path, k))
            elif isinstance(block, Paragraph):
                items.append(block)
            elif isinstance(block, FigureBlock):
                counters["fig"] += 1
                label = f"{fig_label}{counters['fig']}"
                # files sort in reading order: 图01 ... 图10 (the caption keeps 图1)
                stem = file_stem(f"{fig_label}{counters['fig']:02d}".replace(" ", ""), block.title)
                stems.add(stem)
                named("fig", block.name, label)
                items.append(
                    NumberedFigure(
                        counters["fig"],
                        label,
                        block.title,
                        block.figure,
                        block.note,
                        stem,
                        block.name,
                    )
                )
            elif isinstance(block, TableBlock):
                appendix = getattr(block, "appendix", False)  # sections saved before 附表
                key, word = ("app", app_label) if appendix else ("tab", tab_label)
                counters[key] += 1
                label = f"{word}{counters[key]}"
                stem = file_stem(f"{word}{counters[key]:02d}".replace(" ", ""), block.title)
                named("tab", block.name, label)
                items.append(
                    NumberedTable(
                        counters[key],
                        label,
                        block.title,
                        block.table,
                        block.note,
                        stem,
                        block.name,
                        appendix,
                    )
                )

    top = list(sections)
    for i, section in enumerate(top, start=1):
        if not isinstance(section, Section):
            raise ReportError(
                "REP011",
                "a report is made of Sections",
                expected="Section",
                found=type(section).__name__,
                hint="Pass a list of Section objects to write_report.",
            )
        walk(section, (i,))
    return tuple(_resolve(items, labels, strict))

"""A findings section written in a notebook: markdown cells hold the text, code cells the numbers.

The code cells of a section notebook compute estimate tables and register what the
text needs on a :class:`SectionWriter`: named rows (``w.rows(lib=pick(shares, ...))``),
text labels, flags, figures and tables. The markdown cells hold the narrative with
:func:`analysis.format.fill` placeholders (``{lib:pct}{lib:ci}``), headings (``#`` the
section, ``##`` a subsection, ``###`` below it), a line holding only ``{fig:name}`` or
``{tab:name}`` to place a registered figure or table there, and references to any named
figure or table of the report inside a sentence (``见{fig:coverage}``), numbered at
assembly (``见图2``). :meth:`SectionWriter.section` reads the notebook's markdown cells,
fills them and returns the :class:`analysis.report.Section`; :meth:`SectionWriter.show`
displays it in the notebook and :meth:`SectionWriter.save` hands it to the report step.

A markdown cell may start with a marker comment (first line, invisible once rendered):

``<!-- zh -->`` / ``<!-- en -->``
    the cell is text of that report language only (Chinese and English cells side by
    side); an unmarked cell is text of every language;
``<!-- note -->``
    a note for the researcher, not part of the report;
``<!-- zh if:has_change -->``, ``<!-- unless:has_change -->``
    the cell is used only when the flag registered with :meth:`SectionWriter.flags`
    is true (``if:``) or false (``unless:``).

Every number in the text comes from a registered row: a digit typed into the
markdown is refused (``REP001``), references are by name, not by number.

Examples
--------
>>> import pandas as pd
>>> from analysis.format import pick
>>> shares = pd.DataFrame({"item": ["农家书屋"], "estimate": [0.62], "ci_low": [0.55],
...                        "ci_high": [0.69], "n": [120]})
>>> w = SectionWriter(lang="zh").rows(lib=pick(shares, item="农家书屋"))
>>> cells = ["<!-- zh -->\\n# 文化设施\\n\\n{lib:pct}的村建有农家书屋{lib:ci}，见{tab:lib}。\\n\\n{tab:lib}",
...          "<!-- en -->\\n# Facilities\\n\\n{lib:pct} of villages have a library."]
>>> from analysis.report import report_table
>>> s = w.table("lib", report_table(shares), "农家书屋").section(cells)
>>> from analysis.report import outline
>>> [getattr(i, "text", getattr(i, "caption", "")) for i in outline([s])]
['一、文化设施', '62.0%的村建有农家书屋（95%置信区间：55.0%–69.0%），见表1。', '表1　农家书屋']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SectionError
from ..format import fill
from ..report import Section
from ..report.section import REFERENCE
from .files import save_section
from .preview import SectionPreview, preview

__all__ = ["ReportCell", "SectionWriter", "report_cells"]

_LANGS = ("zh", "en")
_MARKER = re.compile(r"\A\s*<!--(?P<body>.*?)-->[ \t]*\n?", re.DOTALL)
_HEADING = re.compile(r"^(?P<hashes>#{1,4})\s+(?P<title>.+?)\s*#*\s*$")
_PLACE = re.compile(r"^\s*\{(?P<kind>fig|tab):(?P<name>[^\s{}:]+)\}\s*$")
_WIDE = re.compile(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f“”‘’]")


@dataclass(frozen=True)
class ReportCell:
    """One markdown cell of a section notebook, its marker read.

    Attributes
    ----------
    text : str
        The cell's markdown without its marker line.
    lang : str or None
        ``"zh"`` or ``"en"``; ``None`` for a cell of every language.
    when : tuple of (flag, bool)
        Flags that must have these values for the cell to be used.
    note : bool
        A note for the researcher, not report text.
    """

    text: str
    lang: str | None = None
    when: tuple[tuple[str, bool], ...] = ()
    note: bool = False

    def used(self, lang: str, flags: Mapping[str, bool]) -> bool:
        """Whether the cell is report text in ``lang`` with these ``flags``.

        Raises ``SEC021`` when a condition names a flag that was not registered.
        """
        if self.note or (self.lang is not None and self.lang != lang):
            return False
        for flag, wanted in self.when:
            if flag not in flags:
                raise SectionError(
                    "SEC021",
                    f"a markdown cell depends on the flag {flag!r}, which no code cell set",
                    expected="writer.flags(" + flag + "=...) before the section is built",
                    found="flags " + (", ".join(flags) or "(none)"),
                    hint=f"Add writer.flags({flag}=...) in a code cell, or fix the marker.",
                )
            if bool(flags[flag]) != wanted:
                return False
        return True


def _cell(source: str) -> ReportCell:
    m = _MARKER.match(source)
    if not m:
        return ReportCell(source)
    lang, when, note = None, [], False
    for token in m["body"].split():
        if token in _LANGS:
            lang = token
        elif token == "note":
            note = True
        elif token.startswith(("if:", "unless:")) and token.partition(":")[2]:
            when.append((token.partition(":")[2], token.startswith("if:")))
        else:
            raise SectionError(
                "SEC020",
                f"unknown word {token!r} in the marker of a markdown cell",
                expected="zh, en, note, if:<flag>, unless:<flag>",
                found=m.group(0).strip()[:80],
                hint="Write the marker as <!-- zh -->, <!-- en if:has_change --> or <!-- note -->.",
            )
    return ReportCell(source[m.end() :], lang, tuple(when), note)


def report_cells(notebook: str | Path | Any) -> list[ReportCell]:
    """The markdown cells of a notebook (a path or an nbformat node), markers read.

    Raises ``SEC022`` when the notebook file cannot be read.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_markdown_cell("<!-- note -->\\nHow to run"),
    ...             nbformat.v4.new_code_cell("x = 1"),
    ...             nbformat.v4.new_markdown_cell("<!-- en unless:first -->\\n# Changes")]
    >>> [(c.lang, c.when, c.note) for c in report_cells(nb)]
    [(None, (), True), ('en', (('first', False),), False)]
    """
    import nbformat

    if isinstance(notebook, str | Path):
        path = Path(notebook)
        try:
            notebook = nbformat.read(path, as_version=4)
        except (OSError, ValueError) as exc:
            raise SectionError(
                "SEC022",
                f"cannot read the section notebook: {exc}",
                file=path,
                expected="the notebook the section is written in",
                hint=(
                    "Set the parameter `notebook` to the notebook's file name "
                    "(the report step passes its path)."
                ),
            ) from None
    return [_cell(c.source) for c in notebook.cells if c.cell_type == "markdown"]


def _join(lines: Sequence[str]) -> str:
    """Lines of one paragraph joined: no space between Chinese lines, one otherwise."""
    out = ""
    for line in (x.strip() for x in lines):
        if out and not (_WIDE.match(out[-1]) and _WIDE.match(line[:1])):
            out += " "
        out += line
    return out


@dataclass
class _Node:
    level: int
    title: str
    blocks: list[Any]


class SectionWriter:
    """What a section notebook's code cells computed, for its markdown cells.

    Parameters
    ----------
    ctx : SectionContext, optional
        The wave's data (:func:`analysis.sections.load_context`); gives the language
        and what changes are compared with.
    lang : {"zh", "en"}, optional
        Report language (default: the context's, else ``"zh"``).
    notebook : path, optional
        The notebook whose markdown cells :meth:`section` reads.

    Use :meth:`open` in a notebook: it loads the context from the papermill parameters.
    """

    def __init__(
        self,
        ctx: Any = None,
        *,
        lang: str | None = None,
        notebook: str | Path | None = None,
    ) -> None:
        self.ctx = ctx
        self.lang = lang or (ctx.lang if ctx is not None else "zh")
        self.notebook = Path(notebook) if notebook else None
        self._rows: dict[str, Any] = {}
        self._flags: dict[str, bool] = {}
        self._figures: dict[str, tuple] = {}
        self._tables: dict[str, tuple] = {}

    def __repr__(self) -> str:
        """What is registered (the same text on every run, so executed notebooks that
        show the writer are reproducible).

        Examples
        --------
        >>> SectionWriter(lang="en").rows(a=1, b=2)
        <SectionWriter en: 2 rows, 0 flags, 0 figures, 0 tables>
        """
        return (
            f"<SectionWriter {self.lang}: {len(self._rows)} rows, {len(self._flags)} flags,"
            f" {len(self._figures)} figures, {len(self._tables)} tables>"
        )

    @classmethod
    def open(
        cls,
        study_root: str | Path | None = None,
        wave: str | None = None,
        *,
        lang: str | None = None,
        notebook: str | Path | None = None,
    ) -> SectionWriter:
        """A writer on the wave's data: the notebook's first code cell after the parameters.

        ``notebook`` is the notebook's file name; a relative name is looked up in the
        working folder, then in the study's notebooks folder.
        """
        from .context import load_context

        ctx = load_context(study_root, wave, lang=lang)
        path = Path(notebook) if notebook else None
        if path is not None and not path.is_absolute() and not path.is_file():
            candidate = ctx.study.notebooks_dir / path
            path = candidate if candidate.is_file() else path
        return cls(ctx, notebook=path)

    # ------------------------------------------------------------------ language
    def t(self, zh: str, en: str) -> str:
        """The text in the report language (for captions and notes in code cells)."""
        return en if self.lang == "en" else zh

    @property
    def period(self) -> str:
        """What a change is compared with (上年 or 上一轮调查), from the context."""
        return self.ctx.period if self.ctx is not None else "上年"

    # ------------------------------------------------------------------ registering
    def rows(self, **rows: Any) -> SectionWriter:
        """Register named rows (``pick(table, ...)``) or text labels for the placeholders.

        A name registered again is replaced.
        """
        self._rows.update(rows)
        return self

    def flags(self, **flags: bool) -> SectionWriter:
        """Register flags for the cells marked ``if:<flag>`` / ``unless:<flag>``."""
        self._flags.update({k: bool(v) for k, v in flags.items()})
        return self

    def _register(self, store: dict, kind: str, name: str, value: tuple) -> SectionWriter:
        if not isinstance(name, str) or not re.fullmatch(r"[^\s{}:]+", name):
            raise SectionError(
                "SEC023",
                f"{kind} name {name!r} cannot be referred to in the text",
                expected="a name without spaces, braces or colons (e.g. coverage_by_county)",
                found=repr(name),
                hint="Use a short name of letters, digits and underscores.",
            )
        store[name] = value
        return self

    def figure(
        self, name: str, figure: Any, title: str, *, note: str | None = None
    ) -> SectionWriter:
        """Register a chart under ``name``; a line ``{fig:name}`` places it."""
        return self._register(self._figures, "figure", name, (figure, title, note))

    def table(
        self,
        name: str,
        table: Any,
        title: str | None = None,
        *,
        note: str | None = None,
        appendix: bool = False,
    ) -> SectionWriter:
        """Register a table (a ``ReportTable``) under ``name``; a line ``{tab:name}`` places it.

        An ``appendix`` table (sentences left for manual coding ...) goes to the report's
        appendix file as 附表N; the line placing it and references to it stay as they are.
        """
        return self._register(self._tables, "table", name, (table, title, note, appendix))

    # ------------------------------------------------------------------ building
    def fill(self, text: str, /, **rows: Any) -> str:
        """``text`` with its placeholders filled from the registered rows and ``rows``;
        references to figures and tables (``{fig:name}``) are kept for the assembly to
        number. For a phrase built in a code cell (one item of a list of groups)."""
        refs: dict[str, str] = {}

        def keep(m: re.Match) -> str:
            key = f"ref_{chr(97 + len(refs) % 26)}{'_' * (len(refs) // 26)}"
            refs[key] = m.group(0)
            return "{" + key + "}"

        template = REFERENCE.sub(keep, text)
        merged = {**self._rows, **rows, **refs}
        return fill(template, lang=self.lang, period=self.period, **merged)

    def _cells(self, cells: Sequence[str | ReportCell] | None) -> list[ReportCell]:
        if cells is not None:
            return [c if isinstance(c, ReportCell) else _cell(c) for c in cells]
        if self.notebook is None:
            raise SectionError(
                "SEC022",
                "the writer does not know which notebook holds the section's text",
                expected="SectionWriter.open(..., notebook=<file name>)",
                found="no notebook",
                hint="Pass notebook=notebook (the parameter cell names the notebook's file).",
            )
        return report_cells(self.notebook)

    def section(self, cells: Sequence[str | ReportCell] | None = None) -> Section:
        """The section written by the notebook's markdown cells (or by ``cells``).

        Raises
        ------
        SectionError
            ``SEC024`` text before the ``#`` heading, no heading, or two ``#`` headings;
            ``SEC025`` a placed figure or table that was not registered;
            ``SEC026`` a registered figure or table that no line places.
        ReportError
            From :func:`analysis.format.fill` (a typed number, an unknown row ...).
        """
        used = [c for c in self._cells(cells) if c.used(self.lang, self._flags)]
        lines = "\n\n".join(c.text for c in used).splitlines()
        root: _Node | None = None
        stack: list[_Node] = []
        para: list[str] = []
        placed: set[tuple[str, str]] = set()

        def flush() -> None:
            if para:
                text = _join(para)
                para.clear()
                if not stack:
                    raise SectionError(
                        "SEC024",
                        "the section's text starts before its # heading",
                        expected="a first markdown line '# <section title>'",
                        found=text[:60],
                        hint="Start the first report cell with '# ' and the section's title, "
                        "or mark the cell <!-- note -->.",
                    )
                stack[-1].blocks.append(("text", text))

        for line in lines:
            heading = _HEADING.match(line)
            place = _PLACE.match(line)
            if not line.strip():
                flush()
            elif heading:
                flush()
                level = len(heading["hashes"])
                title = self.fill(heading["title"])
                if level == 1:
                    if root is not None:
                        raise SectionError(
                            "SEC024",
                            "a section notebook has two # headings",
                            expected="one '# ' heading (the section), '## ' for subsections",
                            found=f"{root.title!r} and {title!r}",
                            hint="Make the second heading '## ' or put it in its own notebook.",
                        )
                    root = _Node(1, title, [])
                    stack = [root]
                    continue
                if root is None:
                    stack = []
                    para.append(line)
                    flush()
                while len(stack) > 1 and stack[-1].level >= level:
                    stack.pop()
                node = _Node(level, title, [])
                stack[-1].blocks.append(("section", node))
                stack.append(node)
            elif place:
                flush()
                key = (place["kind"], place["name"])
                if not stack:
                    para.append(line)
                    flush()
                stack[-1].blocks.append(("place", key))
                placed.add(key)
            else:
                para.append(line)
        flush()
        if root is None:
            raise SectionError(
                "SEC024",
                "the section has no # heading",
                expected="a markdown line '# <section title>' in a report cell",
                found=f"{len(used)} report cells for language {self.lang!r}",
                hint="Start the first report cell with '# ' and the section's title.",
            )
        self._check_placed(placed)
        return self._build(root)

    def _check_placed(self, placed: set[tuple[str, str]]) -> None:
        for kind, store in (("fig", self._figures), ("tab", self._tables)):
            for name in store:
                if (kind, name) not in placed:
                    raise SectionError(
                        "SEC026",
                        f"the {'figure' if kind == 'fig' else 'table'} {name!r} is registered "
                        "but no markdown line places it",
                        expected=f"a line holding only {{{kind}:{name}}} in a report cell",
                        found="placed: " + (", ".join(f"{{{k}:{n}}}" for k, n in placed) or "none"),
                        hint=f"Add a line {{{kind}:{name}}} where it goes, or do not register it.",
                    )

    def _build(self, node: _Node) -> Section:
        section = Section(node.title)
        for kind, value in node.blocks:
            if kind == "text":
                section = section.paragraph(self.fill(value))
            elif kind == "section":
                section = section.subsection(self._build(value))
            else:
                what, name = value
                store = self._figures if what == "fig" else self._tables
                if name not in store:
                    raise SectionError(
                        "SEC025",
                        f"the text places {{{what}:{name}}}, which no code cell registered",
                        expected=f"writer.{'figure' if what == 'fig' else 'table'}({name!r}, ...)",
                        found="registered: " + (", ".join(store) or "none"),
                        hint="Register it in a code cell before the section is built, "
                        "or fix the name.",
                    )
                obj, title, note, *rest = store[name]
                if what == "fig":
                    section = section.figure(obj, title, note=note, name=name)
                else:
                    section = section.table(obj, title, note=note, name=name, appendix=any(rest))
        return section

    # ------------------------------------------------------------------ output
    def show(
        self, cells: Sequence[str | ReportCell] | None = None, *, dpi: int = 60
    ) -> SectionPreview:
        """The section as it will read in the report, for the notebook to display."""
        return preview(self.section(cells), lang=self.lang, dpi=dpi)

    def save(
        self, path: str | Path | None, cells: Sequence[str | ReportCell] | None = None
    ) -> Path | None:
        """Build the section and save it for the report step (nothing when ``path`` is empty)."""
        if not path:
            return None
        return save_section(self.section(cells), path)

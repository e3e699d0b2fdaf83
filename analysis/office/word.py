"""Word (DOCX) styling shared by the codebook, the paper questionnaire and the report.

Chinese in Word only renders in the intended face when every run names an East Asian
font (``w:eastAsia`` in ``w:rPr/w:rFonts``); otherwise Word and LibreOffice fall back to
whatever the Latin font's fallback is (often a Japanese face, or boxes). This module:

* builds documents whose defaults, Normal, Title and Heading styles carry both a Latin and
  an East Asian font, with the template's theme-font attributes removed (they would
  override the named fonts);
* adds text through :func:`add_text`, which sets the fonts on the run and marks runs
  holding CJK text with ``w:hint="eastAsia"`` (so “quotes” render in the Chinese face);
* sweeps a finished document (:func:`apply_east_asian_fonts`) so that no run escapes,
  and can list runs that would (:func:`runs_missing_east_asian_font`, used by tests).

Examples
--------
>>> doc = new_document()
>>> p = add_paragraph(doc, "百村调查 Hundred villages")
>>> rfonts = p.runs[0]._r.rPr.rFonts
>>> rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii"))
('SimSun', 'Times New Roman')
>>> runs_missing_east_asian_font(doc)
[]
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

__all__ = [
    "DEFAULT_FONTS",
    "Fonts",
    "add_page_numbers",
    "add_paragraph",
    "add_symbol",
    "add_text",
    "apply_east_asian_fonts",
    "get_or_add",
    "has_cjk",
    "new_document",
    "qn",
    "runs_missing_east_asian_font",
    "set_borders",
    "set_cell_background",
    "set_cell_margins",
    "set_column_widths",
    "set_repeat_table_header",
    "set_run_fonts",
    "set_style_fonts",
    "set_table_borders",
]

_CJK = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u2e80-\u2fdf]"
)
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


@dataclass(frozen=True)
class Fonts:
    """The fonts of a document: body and headings, Latin and East Asian, and body size.

    The defaults suit Word on a Chinese Windows machine (宋体 SimSun for text, 黑体
    SimHei for headings); pass e.g. ``Fonts(east_asia="Noto Serif CJK SC",
    heading_east_asia="Noto Sans CJK SC")`` where those are installed.
    """

    latin: str = "Times New Roman"
    east_asia: str = "SimSun"
    heading_latin: str = "Arial"
    heading_east_asia: str = "SimHei"
    size: float = 10.5  # 五号

    def with_east_asia(self, name: str | None) -> Fonts:
        """These fonts with another East Asian face for body and headings (``None``: unchanged)."""
        if not name:
            return self
        return replace(self, east_asia=name, heading_east_asia=name)


DEFAULT_FONTS = Fonts()


def has_cjk(text: str) -> bool:
    """True when ``text`` holds Chinese/Japanese/Korean characters or full-width punctuation.

    Examples
    --------
    >>> has_cjk("年龄 Age"), has_cjk("Age"), has_cjk("“”")
    (True, False, False)
    """
    return bool(_CJK.search(text or ""))


def get_or_add(parent: Any, tag: str, *, first: bool = False) -> Any:
    """The child ``tag`` (e.g. ``"w:tblW"``) of an XML element, added when missing.

    A new child goes last, or first with ``first=True``.

    Examples
    --------
    >>> ppr = OxmlElement("w:pPr")
    >>> get_or_add(ppr, "w:ind") is get_or_add(ppr, "w:ind"), len(ppr)
    (True, 1)
    """
    node = parent.find(qn(tag))
    if node is None:
        node = OxmlElement(tag)
        if first:
            parent.insert(0, node)
        else:
            parent.append(node)
    return node


def _set_rfonts(rpr: Any, latin: str, east_asia: str, *, hint: bool = False) -> None:
    rfonts = get_or_add(rpr, "w:rFonts", first=True)
    for attr in _THEME_ATTRS:
        key = qn(attr)
        if key in rfonts.attrib:
            del rfonts.attrib[key]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    if hint:
        rfonts.set(qn("w:hint"), "eastAsia")


def set_run_fonts(run: Any, latin: str, east_asia: str) -> None:
    """Set the Latin and East Asian fonts of one run (``w:ascii``/``w:hAnsi``/``w:eastAsia``)."""
    _set_rfonts(run._r.get_or_add_rPr(), latin, east_asia, hint=has_cjk(run.text))


def set_style_fonts(
    style: Any,
    latin: str,
    east_asia: str,
    *,
    size: float | None = None,
    bold: bool | None = None,
    color: str | None = None,
) -> None:
    """Set the fonts (and optionally size, bold, colour) of a paragraph or character style."""
    style.font.name = latin
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if color is not None:
        style.font.color.rgb = RGBColor.from_string(color)
    _set_rfonts(style.element.get_or_add_rPr(), latin, east_asia)


def _set_document_defaults(document: Any, fonts: Fonts) -> None:
    defaults = get_or_add(document.styles.element, "w:docDefaults", first=True)
    rpr = get_or_add(get_or_add(defaults, "w:rPrDefault", first=True), "w:rPr")
    _set_rfonts(rpr, fonts.latin, fonts.east_asia)
    lang = get_or_add(rpr, "w:lang")
    lang.set(qn("w:eastAsia"), "zh-CN")


def new_document(
    fonts: Fonts = DEFAULT_FONTS, *, landscape: bool = False, margin_cm: float = 2.0
) -> Any:
    """An A4 document whose defaults and styles carry Latin and East Asian fonts.

    Parameters
    ----------
    fonts : Fonts
        Body and heading fonts.
    landscape : bool
        Landscape pages (wide tables such as codebooks).
    margin_cm : float
        Page margins.
    """
    document = Document()
    section = document.sections[0]
    width, height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = height, width
    else:
        section.page_width, section.page_height = width, height
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(margin_cm))
    _set_document_defaults(document, fonts)
    styles = document.styles
    set_style_fonts(styles["Normal"], fonts.latin, fonts.east_asia, size=fonts.size)
    normal = styles["Normal"].paragraph_format
    normal.space_after = Pt(3)
    normal.line_spacing = 1.15
    heading_sizes = {
        "Title": 18,
        "Heading 1": 15,
        "Heading 2": 13,
        "Heading 3": 11.5,
        "Subtitle": 12,
    }
    for name, size in heading_sizes.items():
        try:
            style = styles[name]
        except KeyError:
            continue
        set_style_fonts(
            style,
            fonts.heading_latin,
            fonts.heading_east_asia,
            size=size,
            bold=name != "Subtitle",
            color="000000",
        )
        style.paragraph_format.space_before = Pt(12 if name.startswith("Heading") else 0)
        style.paragraph_format.space_after = Pt(6)
    for name in ("Caption", "List Number", "List Bullet", "Table Grid", "Footer", "Header"):
        try:
            style = styles[name]
        except KeyError:
            continue
        if hasattr(style, "font"):
            set_style_fonts(style, fonts.latin, fonts.east_asia)
    # The Title style of the default template draws a blue rule under the text.
    title_ppr = styles["Title"].element.pPr
    if title_ppr is not None:
        border = title_ppr.find(qn("w:pBdr"))
        if border is not None:
            title_ppr.remove(border)
    return document


@lru_cache(maxsize=1024)
def _run_properties(
    latin: str,
    east_asia: str,
    hint: bool,
    bold: bool | None,
    italic: bool | None,
    size: float | None,
    color: str | None,
) -> Any:
    """A ``w:rPr`` element (children in schema order), built once per combination."""
    rpr = OxmlElement("w:rPr")
    rfonts = OxmlElement("w:rFonts")
    rpr.append(rfonts)
    _set_rfonts(rpr, latin, east_asia, hint=hint)
    for tag, value in (("w:b", bold), ("w:i", italic)):
        if value is not None:
            node = OxmlElement(tag)
            if not value:
                node.set(qn("w:val"), "0")
            rpr.append(node)
    if color is not None:
        node = OxmlElement("w:color")
        node.set(qn("w:val"), color)
        rpr.append(node)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            node = OxmlElement(tag)
            node.set(qn("w:val"), str(round(size * 2)))
            rpr.append(node)
    return rpr


def _styled_run(paragraph: Any, text: str, rpr: Any) -> Any:
    run = paragraph.add_run(text)
    old = run._r.find(qn("w:rPr"))
    if old is not None:
        run._r.remove(old)
    run._r.insert(0, copy.deepcopy(rpr))
    return run


def add_text(
    paragraph: Any,
    text: str,
    fonts: Fonts = DEFAULT_FONTS,
    *,
    bold: bool | None = None,
    italic: bool | None = None,
    size: float | None = None,
    color: str | None = None,
    heading: bool = False,
) -> Any:
    """Append a run to ``paragraph`` with its fonts set; returns the run.

    Examples
    --------
    >>> doc = new_document()
    >>> run = add_text(doc.add_paragraph(), "年龄", bold=True, size=9)
    >>> run.bold, run.font.size.pt, run._r.rPr.rFonts.get(qn("w:hint"))
    (True, 9.0, 'eastAsia')
    """
    latin, east_asia = (
        (fonts.heading_latin, fonts.heading_east_asia)
        if heading
        else (fonts.latin, fonts.east_asia)
    )
    rpr = _run_properties(latin, east_asia, has_cjk(text), bold, italic, size, color)
    return _styled_run(paragraph, text, rpr)


def add_symbol(
    paragraph: Any, text: str, fonts: Fonts = DEFAULT_FONTS, *, size: float | None = None
) -> Any:
    """Append a symbol run (tick box □, ✓) drawn with the East Asian face for every script.

    Symbols such as □ belong to no script, so Word and LibreOffice pick the Latin or the
    East Asian font depending on the neighbouring text, and boxes change size along a
    line. Naming the same face for all scripts keeps them identical.
    """
    rpr = _run_properties(fonts.east_asia, fonts.east_asia, True, None, None, size, None)
    return _styled_run(paragraph, text, rpr)


def add_paragraph(
    container: Any,
    text: str = "",
    fonts: Fonts = DEFAULT_FONTS,
    *,
    style: str | None = None,
    align: str | None = None,
    **run_format: Any,
) -> Any:
    """Add a paragraph (to a document or a table cell) holding ``text`` in one font-set run.

    ``align`` is ``"center"``, ``"right"`` or ``"justify"``; ``run_format`` goes to
    :func:`add_text` (``bold``, ``italic``, ``size``, ``color``, ``heading``).
    """
    paragraph = container.add_paragraph(style=style) if style else container.add_paragraph()
    if align:
        paragraph.alignment = {
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
            "left": WD_ALIGN_PARAGRAPH.LEFT,
        }[align]
    if text:
        heading = run_format.pop(
            "heading", bool(style and (style.startswith("Heading") or style == "Title"))
        )
        add_text(paragraph, text, fonts, heading=heading, **run_format)
    return paragraph


def set_cell_background(cell: Any, hex_color: str) -> None:
    """Shade a table cell (``"D9D9D9"``)."""
    shading = get_or_add(cell._tc.get_or_add_tcPr(), "w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_color)


def set_cell_margins(
    table: Any, *, top: float = 0.05, bottom: float = 0.05, left: float = 0.1, right: float = 0.1
) -> None:
    """Inner cell margins of a whole table, in cm."""
    margins = get_or_add(table._tbl.tblPr, "w:tblCellMar")
    for side, value in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
        node = get_or_add(margins, f"w:{side}")
        node.set(qn("w:w"), str(int(value * 567)))
        node.set(qn("w:type"), "dxa")


def set_borders(borders: Any, edges: Mapping[str, int | None], *, color: str = "000000") -> None:
    """Set edges of a ``w:tblBorders`` or ``w:tcBorders`` element.

    ``edges`` maps an edge (``top``, ``left``, ``bottom``, ``right``, ``insideH``,
    ``insideV``) to a single line of that size in 1/8 pt, or to ``None`` for no line.

    Examples
    --------
    >>> borders = OxmlElement("w:tcBorders")
    >>> set_borders(borders, {"top": 12, "left": None})
    >>> [(b.get(qn("w:val")), b.get(qn("w:sz"))) for b in borders]
    [('single', '12'), ('nil', None)]
    """
    for edge, size in edges.items():
        node = get_or_add(borders, f"w:{edge}")
        if size is None:
            node.set(qn("w:val"), "nil")
        else:
            node.set(qn("w:val"), "single")
            node.set(qn("w:sz"), str(size))
            node.set(qn("w:space"), "0")
            node.set(qn("w:color"), color)


def set_table_borders(table: Any, *, size: int = 4, color: str = "000000") -> None:
    """Single-line borders on every edge and inner line of a table (``size`` in 1/8 pt)."""
    borders = get_or_add(table._tbl.tblPr, "w:tblBorders")
    edges = ("top", "left", "bottom", "right", "insideH", "insideV")
    set_borders(borders, dict.fromkeys(edges, size), color=color)


def set_column_widths(table: Any, widths_cm: list[float]) -> None:
    """Fixed column widths (cm), written to the grid and to every cell (Word and LibreOffice)."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    get_or_add(tbl_pr, "w:tblLayout").set(qn("w:type"), "fixed")
    width = get_or_add(tbl_pr, "w:tblW")
    width.set(qn("w:w"), str(int(sum(widths_cm) * 567)))
    width.set(qn("w:type"), "dxa")
    grid = table._tbl.tblGrid
    for col, value in zip(grid.findall(qn("w:gridCol")), widths_cm):
        col.set(qn("w:w"), str(int(value * 567)))
    for tr in table._tbl.tr_lst:  # straight to the XML: row.cells is slow on big tables
        for tc, value in zip(tr.tc_lst, widths_cm):
            tc.width = Cm(value)


def set_repeat_table_header(row: Any) -> None:
    """Repeat a table's first row at the top of every page it spans."""
    tr_pr = row._tr.get_or_add_trPr()
    node = OxmlElement("w:tblHeader")
    node.set(qn("w:val"), "true")
    tr_pr.append(node)


def add_page_numbers(
    document: Any, fonts: Fonts = DEFAULT_FONTS, *, template: str = "第 {page} 页"
) -> None:
    """A centred page number in the footer of every section (``template`` holds ``{page}``)."""
    for section in document.sections:
        footer = section.footer
        paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        before, _, after = template.partition("{page}")
        if before:
            add_text(paragraph, before, fonts, size=9)
        run = add_text(paragraph, "", fonts, size=9)
        for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if kind:
                node = OxmlElement("w:fldChar")
                node.set(qn("w:fldCharType"), kind)
            else:
                node = OxmlElement("w:instrText")
                node.set(qn("xml:space"), "preserve")
                node.text = text
            run._r.append(node)
        if after:
            add_text(paragraph, after, fonts, size=9)


def _parts(document: Any) -> Iterator[Any]:
    yield document.element
    for section in document.sections:
        for part in (
            section.header,
            section.footer,
            section.first_page_header,
            section.first_page_footer,
        ):
            if part is not None and not part.is_linked_to_previous:
                yield part._element


def apply_east_asian_fonts(document: Any, fonts: Fonts = DEFAULT_FONTS) -> int:
    """Give every run of ``document`` (body, tables, headers, footers) an East Asian font.

    Runs that already name one keep it. Returns the number of runs changed.
    """
    changed = 0
    for root in _parts(document):
        for run in root.iter(qn("w:r")):
            rpr = get_or_add(run, "w:rPr", first=True)
            rfonts = rpr.find(qn("w:rFonts"))
            text = "".join(t.text or "" for t in run.iter(qn("w:t")))
            if rfonts is None or not rfonts.get(qn("w:eastAsia")):
                _set_rfonts(rpr, fonts.latin, fonts.east_asia, hint=has_cjk(text))
                changed += 1
    return changed


def runs_missing_east_asian_font(document: Any) -> list[str]:
    """Texts of runs holding CJK text without ``w:eastAsia`` (or with a theme override).

    An empty list means Chinese cannot fall back to another face anywhere in the document.
    """
    missing = []
    for root in _parts(document):
        for run in root.iter(qn("w:r")):
            text = "".join(t.text or "" for t in run.iter(qn("w:t")))
            if not has_cjk(text):
                continue
            rpr = run.find(qn("w:rPr"))
            rfonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
            if (
                rfonts is None
                or not rfonts.get(qn("w:eastAsia"))
                or rfonts.get(qn("w:eastAsiaTheme"))
            ):
                missing.append(text)
    return missing

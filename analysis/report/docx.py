"""The report as a Word document (python-docx), in the layout Chinese reports use.

A4 with a 15.5 cm text block; 宋体 body with a two-character first-line indent;
headings in 黑体 / 楷体 (Word's own Heading 1-3 styles, so the navigation pane and
a table of contents work); captions 图N under figures and 表N above tables;
three-line tables (三线表). The East Asian font (``w:eastAsia``) is set on the
Normal, heading, caption and table styles and on every run, so Chinese text
never falls back to a theme font.

Examples
--------
>>> import tempfile, pathlib
>>> from analysis.report.section import Section, outline
>>> items = outline([Section("现状及做法").paragraph("各村普遍建有农家书屋。")])
>>> path = write_docx(items, pathlib.Path(tempfile.mkdtemp()) / "r.docx", title="示例报告")
>>> import docx
>>> [p.text for p in docx.Document(path).paragraphs]
['示例报告', '一、现状及做法', '各村普遍建有农家书屋。']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ..errors import ReportError
from ..office.package import document_bytes
from ..office.widths import text_width
from ..office.word import (
    Fonts,
    add_page_numbers,
    apply_east_asian_fonts,
    get_or_add,
    new_document,
    set_borders,
    set_repeat_table_header,
    set_run_fonts,
    set_style_fonts,
)
from .section import Heading, Item, NumberedFigure, NumberedTable, Paragraph
from .tables import ReportTable

__all__ = ["PRINT_WIDTH_CM", "DocxFonts", "write_docx"]

#: Width of the text block (A4, 2.75 cm side margins); figures are placed at it.
PRINT_WIDTH_CM = 15.5


@dataclass(frozen=True)
class DocxFonts:
    """Fonts of the report, named as Word on the writer's machine knows them."""

    body: str = "SimSun"  # 宋体
    heading1: str = "SimHei"  # 黑体
    heading2: str = "KaiTi"  # 楷体
    heading3: str = "SimSun"
    caption: str = "SimHei"
    title: str = "SimHei"
    latin: str = "Times New Roman"

    def base(self) -> Fonts:
        """The :class:`analysis.office.word.Fonts` of the document defaults."""
        return Fonts(
            latin=self.latin,
            east_asia=self.body,
            heading_latin=self.latin,
            heading_east_asia=self.heading1,
            size=12,
        )


_STYLE_TITLE = "Report Title"
_STYLE_SUBTITLE = "Report Subtitle"
_STYLE_TABLE = "Table Text"
_STYLE_NOTE = "Figure Note"
_STYLE_FIGURE = "Figure"


def _indent(style_or_par_format, chars: int, size_pt: float) -> None:
    """First-line indent in characters (Word's w:firstLineChars) with a twips fallback."""
    ppr = style_or_par_format
    ind = get_or_add(ppr, "w:ind")
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(int(chars * size_pt * 20)))


def _paragraph_style(doc, name: str, base: str = "Normal"):
    styles = doc.styles
    try:
        return styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base]
        style.quick_style = True
        return style


def _black(style) -> None:
    style.font.color.rgb = RGBColor(0, 0, 0)
    color = style.element.rPr.find(qn("w:color"))
    if color is not None:
        for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
            if qn(attr) in color.attrib:
                del color.attrib[qn(attr)]


def _setup_styles(doc, fonts: DocxFonts) -> None:
    normal = doc.styles["Normal"]
    set_style_fonts(normal, fonts.latin, fonts.body)
    normal.font.size = Pt(12)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.ONE_POINT_FIVE
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _indent(normal.element.get_or_add_pPr(), 2, 12)

    spec = {
        "Heading 1": (fonts.heading1, 15, False, 12, 6),
        "Heading 2": (fonts.heading2, 14, True, 6, 3),
        "Heading 3": (fonts.heading3, 12, True, 3, 0),
    }
    for name, (font, size, bold, before, after) in spec.items():
        st = doc.styles[name]
        set_style_fonts(st, fonts.latin, font)
        st.font.size = Pt(size)
        st.font.bold = bold
        st.font.italic = False
        _black(st)
        st.paragraph_format.space_before = Pt(before)
        st.paragraph_format.space_after = Pt(after)
        st.paragraph_format.first_line_indent = Pt(0)
        st.paragraph_format.line_spacing_rule = WD_LINE_SPACING.ONE_POINT_FIVE
        st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _indent(st.element.get_or_add_pPr(), 0, size)

    title = _paragraph_style(doc, _STYLE_TITLE)
    set_style_fonts(title, fonts.latin, fonts.title)
    title.font.size = Pt(18)
    title.font.bold = True
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    _indent(title.element.get_or_add_pPr(), 0, 18)

    sub = _paragraph_style(doc, _STYLE_SUBTITLE)
    set_style_fonts(sub, fonts.latin, fonts.heading2)
    sub.font.size = Pt(12)
    sub.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.paragraph_format.space_after = Pt(12)
    _indent(sub.element.get_or_add_pPr(), 0, 12)

    cap = doc.styles["Caption"]
    set_style_fonts(cap, fonts.latin, fonts.caption)
    cap.font.size = Pt(10.5)
    cap.font.bold = False
    cap.font.italic = False
    _black(cap)
    cap.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap.paragraph_format.space_before = Pt(3)
    cap.paragraph_format.space_after = Pt(6)
    cap.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _indent(cap.element.get_or_add_pPr(), 0, 10.5)

    fig = _paragraph_style(doc, _STYLE_FIGURE)
    fig.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fig.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fig.paragraph_format.space_before = Pt(6)
    fig.paragraph_format.keep_with_next = True
    _indent(fig.element.get_or_add_pPr(), 0, 12)

    _single_spaced(doc, _STYLE_TABLE, fonts, 10.5, WD_ALIGN_PARAGRAPH.CENTER, before=1.5, after=1.5)
    _single_spaced(doc, _STYLE_NOTE, fonts, 9, WD_ALIGN_PARAGRAPH.LEFT, after=8)


def _single_spaced(
    doc, name: str, fonts: DocxFonts, size: float, align, *, after: float, before=None
) -> None:
    """A body-font, single-spaced, unindented paragraph style (table cells, notes)."""
    style = _paragraph_style(doc, name)
    set_style_fonts(style, fonts.latin, fonts.body)
    style.font.size = Pt(size)
    style.paragraph_format.alignment = align
    style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if before is not None:
        style.paragraph_format.space_before = Pt(before)
    style.paragraph_format.space_after = Pt(after)
    _indent(style.element.get_or_add_pPr(), 0, size)


def _run(paragraph, text: str, font: str, fonts: DocxFonts, *, bold: bool | None = None):
    run = paragraph.add_run(text)
    set_run_fonts(run, fonts.latin, font)
    if bold is not None:
        run.bold = bold
    return run


def _page(doc, fonts: DocxFonts) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(2.54), Cm(2.54)
    side = (21.0 - PRINT_WIDTH_CM) / 2
    sec.left_margin, sec.right_margin = Cm(side), Cm(side)
    add_page_numbers(doc, fonts.base(), template="— {page} —")
    footer = sec.footer.paragraphs[0]
    _indent(footer._p.get_or_add_pPr(), 0, 9)


#: Cells that never need to wrap: numbers, percentages, intervals, p-values, dashes.
_NUMBER_LIKE = re.compile(r"[\d\s.,%‰<>=+\-–—~()（）:：/×*]*")
#: The least width of a column of words: four Chinese characters and the cell margins.
_TEXT_FLOOR_CM = (8 + 2) * 0.19
#: The width a column of words should have before headers above numbers are wrapped.
_TEXT_WANTED_CM = (16 + 2) * 0.19


def _column_widths(table: ReportTable) -> list[float]:
    """Column widths (cm) that fit the print width without wrapping numbers or headers.

    Each column's natural width is its widest cell or header. A table narrower than
    the page is widened in proportion; a wider one keeps its number columns (p-values
    such as ``<0.001``, intervals, headers above them) at their natural width and lets
    the text columns (labels and any column holding words), whose text can wrap, share
    what is left: each first gets the width of four Chinese characters (or its natural
    width if smaller), then the rest in proportion to what it still lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> t = ReportTable(pd.DataFrame({"指标": ["很长的指标名称" * 4], "p值": ["<0.001"]}))
    >>> label, p = _column_widths(t)
    >>> p >= (6 + 3) * 0.19 and round(label + p, 2) == PRINT_WIDTH_CM
    True
    >>> t = ReportTable(pd.DataFrame({"对象": ["村级调查表"], "设计": ["按县分层、单阶段加权抽样" * 3],
    ...                               "权数": ["3.92–48.46"]}))
    >>> who, design, weights = _column_widths(t)
    >>> who >= 1.9 and round(who + design + weights, 2) == PRINT_WIDTH_CM
    True
    """
    frame = table.frame
    cm_per_unit = 0.19  # half-width character at 10.5 pt
    natural, cells, heads, numeric = [], [], [], []
    for j, col in enumerate(frame.columns):
        values = list(map(str, frame[col]))
        slack = 2 if j < table.label_columns else 3  # cell margins; numbers never wrap
        widest = max((text_width(v) for v in values), default=0)
        natural.append(max(max(widest, text_width(str(col))) + slack, 1.4 / cm_per_unit))
        cells.append(max(widest + slack, 1.4 / cm_per_unit))
        heads.append(text_width(str(col)))
        numeric.append(j >= table.label_columns and all(_NUMBER_LIKE.fullmatch(v) for v in values))
    widths = [n * cm_per_unit for n in natural]
    total = sum(widths)
    if total <= PRINT_WIDTH_CM:
        target = PRINT_WIDTH_CM if total > PRINT_WIDTH_CM * 0.6 else total * 1.35
        target = min(PRINT_WIDTH_CM, target)
        return [w * target / total for w in widths]
    flexible = [j for j in range(len(widths)) if not numeric[j]]
    wanted = sum(min(widths[j], _TEXT_WANTED_CM) for j in flexible)
    if PRINT_WIDTH_CM - sum(w for j, w in enumerate(widths) if numeric[j]) < wanted:
        # too tight for the words: headers above numbers may take two lines, never the numbers
        for j in range(len(widths)):
            if numeric[j]:
                widths[j] = max(cells[j], (heads[j] + 1) // 2 + 3) * cm_per_unit
        total = sum(widths)
    room = PRINT_WIDTH_CM - sum(w for j, w in enumerate(widths) if numeric[j])
    floors = {j: min(widths[j], _TEXT_FLOOR_CM) for j in flexible}
    if not flexible or room < sum(floors.values()):  # the numbers alone are too wide
        return [w * PRINT_WIDTH_CM / total for w in widths]
    lacking = {j: widths[j] - floors[j] for j in flexible}
    share = (room - sum(floors.values())) / (sum(lacking.values()) or 1.0)
    return [floors[j] + lacking[j] * share if j in floors else w for j, w in enumerate(widths)]


def _table(doc, table: ReportTable, fonts: DocxFonts) -> None:
    frame = table.frame
    n_rows, n_cols = len(frame) + 1, len(frame.columns)
    t = doc.add_table(rows=n_rows, cols=n_cols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    tblpr = t._tbl.tblPr
    set_borders(
        get_or_add(tblpr, "w:tblBorders"),
        {"top": 12, "left": None, "bottom": 12, "right": None, "insideH": None, "insideV": None},
    )
    widths = _column_widths(table)
    tblw = get_or_add(tblpr, "w:tblW")
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(sum(widths) / 2.54 * 1440)))
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    for j, w in enumerate(widths):
        t.columns[j].width = Cm(w)
    rows = [
        list(map(str, frame.columns)),
        *[[str(v) for v in r] for r in frame.itertuples(index=False)],
    ]
    # the style id looked up once: python-docx searches the styles part on every assignment
    style_id = doc.part.get_style_id(doc.styles[_STYLE_TABLE], WD_STYLE_TYPE.PARAGRAPH)
    for i, values in enumerate(rows):
        row = t.rows[i]
        if i == 0:
            set_repeat_table_header(row)
        for j, value in enumerate(values):
            cell = row.cells[j]
            cell.width = Cm(widths[j])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            par = cell.paragraphs[0]
            par._p.style = style_id
            if j < table.label_columns and i > 0:
                par.alignment = WD_ALIGN_PARAGRAPH.LEFT
            _run(par, value, fonts.body, fonts, bold=True if i == 0 else None)
            if i == 0:
                tcpr = cell._tc.get_or_add_tcPr()
                tcb = OxmlElement("w:tcBorders")
                tcpr.append(tcb)
                set_borders(tcb, {"bottom": 6})


def _caption(
    doc, text: str, fonts: DocxFonts, *, keep_with_next: bool, above: bool = False
) -> None:
    par = doc.add_paragraph(style="Caption")
    par.paragraph_format.keep_with_next = keep_with_next
    if above:  # a table caption: air above it, the table right below
        par.paragraph_format.space_before = Pt(9)
        par.paragraph_format.space_after = Pt(3)
    _run(par, text, fonts.caption, fonts)


def _note(doc, text: str, fonts: DocxFonts) -> None:
    par = doc.add_paragraph(style=_STYLE_NOTE)
    body = text if text.startswith(("注", "资料来源", "Note", "Source")) else f"注：{text}"
    _run(par, body, fonts.body, fonts)


def write_docx(
    items: Sequence[Item],
    path: str | Path,
    *,
    title: str,
    subtitle: str | None = None,
    images: Mapping[int, bytes] | None = None,
    fonts: DocxFonts | None = None,
    lang: str = "zh",
) -> Path:
    """Write the numbered outline as ``path`` (a .docx); return the path.

    Parameters
    ----------
    items : sequence
        :func:`analysis.report.section.outline` of the sections.
    title, subtitle : str
        Report title (centred, 黑体) and an optional line under it.
    images : mapping, optional
        PNG bytes per figure number (drawn from the figures when absent).
    fonts : DocxFonts, optional
        Fonts by role; East Asian names as Word knows them (default 宋体/黑体/楷体).
    """
    from analysis.charts.save import figure_bytes

    path = Path(path)
    fonts = fonts or DocxFonts()
    doc = new_document(fonts.base())
    _setup_styles(doc, fonts)
    _page(doc, fonts)
    core = doc.core_properties
    core.title = title
    core.author = "baicun"
    core.last_modified_by = "baicun"
    core.language = "zh-CN" if lang == "zh" else "en-US"
    core.revision = 1
    _run(doc.add_paragraph(style=_STYLE_TITLE), title, fonts.title, fonts)
    if subtitle:
        _run(doc.add_paragraph(style=_STYLE_SUBTITLE), subtitle, fonts.heading2, fonts)
    heading_font = {1: fonts.heading1, 2: fonts.heading2, 3: fonts.heading3}
    for item in items:
        if isinstance(item, Heading):
            level = min(item.level, 3)
            par = doc.add_paragraph(style=f"Heading {level}")
            _run(par, item.text, heading_font[level], fonts)
        elif isinstance(item, Paragraph):
            _run(doc.add_paragraph(), item.text, fonts.body, fonts)
        elif isinstance(item, NumberedFigure):
            png = (images or {}).get(item.number) or figure_bytes(item.figure, "png")
            par = doc.add_paragraph(style=_STYLE_FIGURE)
            par.add_run().add_picture(BytesIO(png), width=Cm(PRINT_WIDTH_CM))
            _caption(doc, item.caption, fonts, keep_with_next=bool(item.note))
            if item.note:
                _note(doc, item.note, fonts)
        elif isinstance(item, NumberedTable):
            _caption(doc, item.caption, fonts, keep_with_next=True, above=True)
            _table(doc, item.table, fonts)
            if item.note:
                _note(doc, item.note, fonts)
            else:  # a little air between the table's bottom rule and the next paragraph
                doc.add_paragraph(style=_STYLE_NOTE)
    apply_east_asian_fonts(doc, fonts.base())  # a sweep: no run escapes the East Asian font
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(document_bytes(doc))
    except OSError as exc:
        raise ReportError(
            "REP015",
            f"cannot write the Word report: {exc.strerror}",
            file=path,
            hint="Close the document in Word (it locks the file) and check the folder is writable.",
        ) from None
    return path

"""Findings sections and their assembly into Word, HTML and Markdown reports.

Sections hold narrative, tables and figures; :func:`fill` writes narrative whose
numbers all come from estimate-table rows, formatted as Chinese reports write
them; :func:`write_report` numbers everything (一、（一）、图1、表1) and writes
``report.docx``, ``report.html``, ``report.md`` and each figure and table as a file.
"""

from ..errors import ReportError
from ..format import (
    FORMAT_KINDS,
    change_phrase,
    ci,
    ci_range,
    count,
    fill,
    number,
    p_value,
    pct,
    pick,
    signed,
)
from .assemble import write_report
from .docx import DocxFonts, write_docx
from .html import render_html
from .markdown import render_markdown
from .section import Section, chinese_numeral, heading_number, outline
from .tables import COLUMN_LABELS, ReportTable, report_table

__all__ = [
    "COLUMN_LABELS",
    "FORMAT_KINDS",
    "DocxFonts",
    "ReportError",
    "ReportTable",
    "Section",
    "change_phrase",
    "chinese_numeral",
    "ci",
    "ci_range",
    "count",
    "fill",
    "heading_number",
    "number",
    "outline",
    "p_value",
    "pct",
    "pick",
    "render_html",
    "render_markdown",
    "report_table",
    "signed",
    "write_docx",
    "write_report",
]

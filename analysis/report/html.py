"""The report as one self-contained HTML file: styles inline, images as base64 data.

Nothing is fetched from elsewhere (no external ``src`` or ``href``), so the file
can be mailed or opened offline. Figures are embedded as SVG (glyphs drawn as
paths, so Chinese shows without the font) or PNG. The page is rendered from the
Jinja2 template ``templates/report.html`` with autoescaping on: this module only
turns the report items into plain blocks for it.

Examples
--------
>>> from analysis.report.section import Section, outline
>>> html = render_html(outline([Section("现状及做法").paragraph("各村普遍建有农家书屋。")]),
...                    title="示例报告")
>>> "<h2>一、现状及做法</h2>" in html and "http" not in html
True

Text is escaped, never read as markup:

>>> "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in render_html(
...     [Paragraph("<script>alert(1)</script>")], title="t")
True
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2

from .section import Heading, Item, NumberedFigure, NumberedTable, Paragraph

__all__ = ["render_html"]

_NOTE_PREFIXES = ("注", "资料来源", "Note", "Source")


@cache
def _template() -> jinja2.Template:
    """The page template, loaded from the installed package (not a source path)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analysis.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html")


def _note(text: str | None) -> str | None:
    """A table's or figure's note, prefixed with ``注：`` unless it names itself.

    >>> _note("样本为在册农户。"), _note("资料来源：2025年调查。"), _note(None)
    ('注：样本为在册农户。', '资料来源：2025年调查。', None)
    """
    if not text:
        return None
    return text if text.startswith(_NOTE_PREFIXES) else f"注：{text}"


def _figure(item: NumberedFigure, images: Mapping[int, tuple[str, bytes]] | None) -> dict:
    from analysis.charts.save import figure_bytes

    if images and item.number in images:
        fmt, data = images[item.number]
    else:
        fmt, data = "svg", figure_bytes(item.figure, "svg")
    return {
        "kind": "figure",
        "number": item.number,
        "caption": item.caption,
        "mime": "image/svg+xml" if fmt == "svg" else "image/png",
        "data": base64.b64encode(data).decode("ascii"),
        "note": _note(item.note),
    }


def _table(item: NumberedTable) -> dict:
    frame = item.table.frame
    return {
        "kind": "table",
        "number": item.number,
        "caption": item.caption,
        "head": [str(c) for c in frame.columns],
        "rows": [[str(v) for v in values] for values in frame.itertuples(index=False)],
        "label_columns": item.table.label_columns,
        "note": _note(item.note),
    }


def _blocks(
    items: Sequence[Item], images: Mapping[int, tuple[str, bytes]] | None
) -> list[dict[str, Any]]:
    """The items as plain dicts keyed by ``kind``, what the template reads."""
    blocks: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Heading):
            blocks.append({"kind": "heading", "level": min(item.level + 1, 6), "text": item.text})
        elif isinstance(item, Paragraph):
            blocks.append({"kind": "paragraph", "text": item.text})
        elif isinstance(item, NumberedFigure):
            blocks.append(_figure(item, images))
        elif isinstance(item, NumberedTable):
            blocks.append(_table(item))
    return blocks


def render_html(
    items: Sequence[Item],
    *,
    title: str,
    subtitle: str | None = None,
    images: Mapping[int, tuple[str, bytes]] | None = None,
    lang: str = "zh",
) -> str:
    """The report as an HTML string with every figure embedded.

    Parameters
    ----------
    items : sequence of Item
        Headings, paragraphs, numbered figures and tables, in order.
    title, subtitle : str
        The page title (also the ``<h1>``) and an optional line under it.
    images : mapping, optional
        ``(format, bytes)`` per figure number, ``format`` ``"svg"`` or ``"png"``
        (drawn from the figures as SVG when absent).
    lang : str
        ``"zh"`` (the page is ``zh-CN``) or anything else for ``en``.

    Examples
    --------
    >>> page = render_html([], title="A & B", subtitle="2025", lang="en")
    >>> '<html lang="en">' in page and "<h1>A &amp; B</h1>" in page
    True
    """
    return _template().render(
        lang="zh-CN" if lang == "zh" else "en",
        title=title,
        subtitle=subtitle,
        blocks=_blocks(items, images),
    )

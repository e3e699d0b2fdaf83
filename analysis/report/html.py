"""The report as one self-contained HTML file: styles inline, images as base64 data.

Nothing is fetched from elsewhere (no external ``src`` or ``href``), so the file
can be mailed or opened offline. Figures are embedded as SVG (glyphs drawn as
paths, so Chinese shows without the font) or PNG.

Examples
--------
>>> from analysis.report.section import Section, outline
>>> html = render_html(outline([Section("现状及做法").paragraph("各村普遍建有农家书屋。")]),
...                    title="示例报告")
>>> "<h2>一、现状及做法</h2>" in html and "http" not in html
True
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape

from .section import Heading, Item, NumberedFigure, NumberedTable, Paragraph

__all__ = ["render_html"]

_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Micro Hei", "SimHei", sans-serif; color: #222; line-height: 1.8;
       max-width: 46em; margin: 2em auto; padding: 0 1em; }
h1 { text-align: center; font-size: 1.6em; margin-bottom: 0.2em; }
p.subtitle { text-align: center; color: #555; margin-top: 0; }
h2 { font-size: 1.3em; margin-top: 1.6em; }
h3 { font-size: 1.1em; }
h4 { font-size: 1em; }
p { text-indent: 2em; margin: 0.4em 0; }
figure { margin: 1.2em 0 0.4em; text-align: center; }
figure img { width: 100%; height: auto; }
figcaption, caption { font-weight: bold; font-size: 0.95em; padding: 0.3em 0; }
table { border-collapse: collapse; margin: 0.6em auto; font-size: 0.92em; min-width: 60%; }
thead th { border-top: 2px solid #000; border-bottom: 1px solid #000; padding: 0.25em 0.8em; }
tbody td { padding: 0.2em 0.8em; text-align: center; }
tbody td.label { text-align: left; }
tbody tr:last-child td { border-bottom: 2px solid #000; }
p.note { text-indent: 0; font-size: 0.85em; color: #444; margin: 0 0 1.2em; }
"""


def _img(item: NumberedFigure, images: Mapping[int, tuple[str, bytes]] | None) -> str:
    from analysis.charts.save import figure_bytes

    if images and item.number in images:
        fmt, data = images[item.number]
    else:
        fmt, data = "svg", figure_bytes(item.figure, "svg")
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img src="data:{mime};base64,{b64}" alt="{escape(item.caption)}">'


def _note(text: str | None) -> str:
    if not text:
        return ""
    body = text if text.startswith(("注", "资料来源", "Note", "Source")) else f"注：{text}"
    return f'<p class="note">{escape(body)}</p>\n'


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
    images : mapping, optional
        ``(format, bytes)`` per figure number, ``format`` ``"svg"`` or ``"png"``
        (drawn from the figures as SVG when absent).
    """
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if subtitle:
        out.append(f'<p class="subtitle">{escape(subtitle)}</p>')
    for item in items:
        if isinstance(item, Heading):
            level = min(item.level + 1, 6)
            out.append(f"<h{level}>{escape(item.text)}</h{level}>")
        elif isinstance(item, Paragraph):
            out.append(f"<p>{escape(item.text)}</p>")
        elif isinstance(item, NumberedFigure):
            out.append(
                f'<figure id="figure-{item.number}">{_img(item, images)}'
                f"<figcaption>{escape(item.caption)}</figcaption></figure>"
            )
            out.append(_note(item.note))
        elif isinstance(item, NumberedTable):
            frame = item.table.frame
            head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
            rows = []
            for values in frame.itertuples(index=False):
                cells = "".join(
                    f'<td class="label">{escape(str(v))}</td>'
                    if j < item.table.label_columns
                    else f"<td>{escape(str(v))}</td>"
                    for j, v in enumerate(values)
                )
                rows.append(f"<tr>{cells}</tr>")
            out.append(
                f'<table id="table-{item.number}"><caption>{escape(item.caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )
            out.append(_note(item.note))
    out += ["</body>", "</html>", ""]
    return "\n".join(x for x in out if x)

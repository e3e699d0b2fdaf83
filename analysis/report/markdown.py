"""The report as Markdown (report.md): headings, paragraphs, pipe tables, figure links.

Figures link to the files written beside it (``figures/图01_....png``).

Examples
--------
>>> from analysis.report.section import Section, outline
>>> print(render_markdown(outline([Section("现状及做法").paragraph("各村普遍建有农家书屋。")]),
...                       title="示例报告"))
# 示例报告
<BLANKLINE>
## 一、现状及做法
<BLANKLINE>
各村普遍建有农家书屋。
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Sequence

from .section import Heading, Item, NumberedFigure, NumberedTable, Paragraph

__all__ = ["render_markdown"]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _note(text: str | None) -> list[str]:
    if not text:
        return []
    body = text if text.startswith(("注", "资料来源", "Note", "Source")) else f"注：{text}"
    return [f"> {body}", ""]


def render_markdown(
    items: Sequence[Item], *, title: str, subtitle: str | None = None, figure_dir: str = "figures"
) -> str:
    """The report as Markdown text; figures link to ``<figure_dir>/<stem>.png``."""
    out = [f"# {title}", ""]
    if subtitle:
        out += [subtitle, ""]
    for item in items:
        if isinstance(item, Heading):
            out += ["#" * min(item.level + 1, 6) + " " + item.text, ""]
        elif isinstance(item, Paragraph):
            out += [item.text, ""]
        elif isinstance(item, NumberedFigure):
            out += [
                f"![{item.caption}](<{figure_dir}/{item.stem}.png>)",
                "",
                f"**{item.caption}**",
                "",
            ]
            out += _note(item.note)
        elif isinstance(item, NumberedTable):
            frame = item.table.frame
            n_labels = item.table.label_columns
            out += [f"**{item.caption}**", ""]
            out.append("| " + " | ".join(_cell(c) for c in frame.columns) + " |")
            out.append(
                "| "
                + " | ".join(":---" if j < n_labels else ":---:" for j in range(len(frame.columns)))
                + " |"
            )
            for values in frame.itertuples(index=False):
                out.append("| " + " | ".join(_cell(v) for v in values) + " |")
            out.append("")
            out += _note(item.note)
    return "\n".join(out)

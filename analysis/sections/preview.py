"""A section shown in a notebook: its text, tables and charts as HTML (low resolution).

Examples
--------
>>> from analysis.report import Section
>>> html = preview(Section("存在的问题").paragraph("……"))._repr_html_()
>>> "存在的问题" in html
True
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ..report import Section, outline, render_html
from ..report.section import NumberedFigure

__all__ = ["SectionPreview", "preview"]


@dataclass(frozen=True, eq=False)
class SectionPreview:
    """What a notebook displays for a section (``_repr_html_``)."""

    section: Section
    lang: str = "zh"
    dpi: int = 60

    def _repr_html_(self) -> str:
        items = outline([self.section], self.lang, strict=False)
        images = {}
        for item in items:
            if isinstance(item, NumberedFigure):
                images[item.number] = ("png", _small_png(item.figure, self.dpi))
        html = render_html(items, title=self.section.title, images=images, lang=self.lang)
        start, end = html.find("<body>"), html.rfind("</body>")
        return html[start + len("<body>") : end] if start >= 0 and end > start else html


def _small_png(figure, dpi: int) -> bytes:
    """The report's 300-dpi PNG (rendered once, kept for the report step) scaled to ``dpi``."""
    from PIL import Image

    from ..charts.save import figure_bytes

    with Image.open(io.BytesIO(figure_bytes(figure, "png"))) as im:
        scale = dpi / 300
        small = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))))
    buf = io.BytesIO()
    small.save(buf, format="PNG")
    return buf.getvalue()


def preview(section: Section, *, lang: str = "zh", dpi: int = 60) -> SectionPreview:
    """Wrap a section for display in a notebook (charts at ``dpi``, for a quick look)."""
    return SectionPreview(section, lang, dpi)

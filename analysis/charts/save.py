"""Saving charts as PNG (300 dpi) and SVG with the same bytes on every run.

No timestamps go into the files: the SVG ``Date`` is dropped, the creator is a
fixed string, and ``svg.hashsalt`` fixes the ids of clip paths and glyphs. Glyphs
are written as paths, so the SVG shows the Chinese text on machines without the
font.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from analysis.charts import share_bars
>>> fig = share_bars(pd.DataFrame({"level": ["是", "否"], "estimate": [0.6, 0.4]}))
>>> paths = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "图1_示例")
>>> [p.name for p in paths]
['图1_示例.png', '图1_示例.svg']
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from ..errors import ChartError
from .style import report_rc

__all__ = ["CREATOR", "figure_bytes", "save_figure"]

#: The fixed creator written into PNG and SVG metadata.
CREATOR = "baicun"
_KEEP = ("font.family", "font.sans-serif", "axes.unicode_minus", "svg.hashsalt", "svg.fonttype")


def _save_rc() -> dict:
    rc = report_rc()
    return {k: rc[k] for k in _KEEP}


def _write(fig: Figure, target, fmt: str) -> None:
    meta = {"Software": CREATOR} if fmt == "png" else {"Creator": CREATOR, "Date": None}
    with mpl.rc_context(_save_rc()):
        fig.savefig(target, format=fmt, dpi=300, metadata=meta)


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as PNG or SVG bytes (for embedding), identical to what :func:`save_figure` writes.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_bytes(Figure(figsize=(1, 1)), "svg")[:5]
    b'<?xml'
    """
    import io

    if fmt not in ("png", "svg"):
        raise ChartError(
            "CHT004",
            f"unknown image format {fmt!r}",
            expected="'png' or 'svg'",
            found=repr(fmt),
            hint="Pass 'png' or 'svg'.",
        )
    buf = io.BytesIO()
    _write(fig, buf, fmt)
    if fmt == "svg":
        return buf.getvalue()
    # RGB without an alpha channel: Word and LibreOffice show transparent PNGs on grey
    from PIL import Image, PngImagePlugin

    with Image.open(io.BytesIO(buf.getvalue())) as im:
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(im, mask=im.getchannel("A") if im.mode == "RGBA" else None)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", CREATOR)
    out = io.BytesIO()
    flat.save(out, format="PNG", dpi=(300, 300), pnginfo=info, optimize=True)
    return out.getvalue()


def save_figure(fig: Figure, path_stem: str | Path) -> list[Path]:
    """Write ``<path_stem>.png`` (300 dpi) and ``<path_stem>.svg``; return both paths.

    Parent folders are created. Any suffix on ``path_stem`` is kept as part of the
    name (titles may contain dots), so pass the stem without ``.png``.
    """
    if not isinstance(fig, Figure):
        raise ChartError(
            "CHT010",
            "save_figure needs a matplotlib Figure",
            expected="matplotlib.figure.Figure",
            found=type(fig).__name__,
            hint="Pass the Figure a chart function returned.",
        )
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in ("png", "svg"):
        path = stem.with_name(f"{stem.name}.{fmt}")
        try:
            path.write_bytes(figure_bytes(fig, fmt))
        except OSError as exc:
            raise ChartError(
                "CHT011",
                f"cannot write the chart: {exc.strerror}",
                file=path,
                hint="Check that the folder is writable and the file is not open elsewhere.",
            ) from None
        out.append(path)
    return out

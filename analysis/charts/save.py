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

import contextlib
import io
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from ..errors import ChartError
from .style import report_rc

__all__ = [
    "CREATOR",
    "PNG_COMPRESS_LEVEL",
    "figure_bytes",
    "has_rendering",
    "keep_rendering",
    "save_figure",
]

#: The fixed creator written into PNG and SVG metadata.
CREATOR = "baicun"
_KEEP = ("font.family", "font.sans-serif", "axes.unicode_minus", "svg.hashsalt", "svg.fonttype")


def _save_rc() -> dict:
    rc = report_rc()
    return {k: rc[k] for k in _KEEP}


#: The PNG compression level: zlib level 6 writes files 1-2 % larger than level 9
#: (``optimize``) in a sixth of the time.
PNG_COMPRESS_LEVEL = 6
_CACHE_ATTR = "_baicun_rendered"


def _svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with mpl.rc_context(_save_rc()):
        fig.savefig(buf, format="svg", dpi=300, metadata={"Creator": CREATOR, "Date": None})
    return buf.getvalue()


def _png(fig: Figure) -> bytes:
    """Drawn once as raw RGBA, flattened on white and encoded once (no PNG round trip)."""
    from PIL import Image

    buf = io.BytesIO()
    with mpl.rc_context(_save_rc()):
        fig.savefig(buf, format="rgba", dpi=300)
        width, height = (int(v * 300) for v in fig.get_size_inches())
    raw = buf.getvalue()
    if width * height * 4 != len(raw):  # a savefig.bbox setting changed the size
        return _png_via_file(fig)
    im = Image.frombuffer("RGBA", (width, height), raw, "raw", "RGBA", 0, 1)
    return _encode_png(im)


def _png_via_file(fig: Figure) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    with mpl.rc_context(_save_rc()):
        fig.savefig(buf, format="png", dpi=300, metadata={"Software": CREATOR})
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        im.load()
        return _encode_png(im)


def _encode_png(im) -> bytes:
    # RGB without an alpha channel: Word and LibreOffice show transparent PNGs on grey
    from PIL import Image, PngImagePlugin

    flat = Image.new("RGB", im.size, (255, 255, 255))
    flat.paste(im, mask=im.getchannel("A") if im.mode == "RGBA" else None)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", CREATOR)
    out = io.BytesIO()
    flat.save(out, format="PNG", dpi=(300, 300), pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def _cached(fig: Figure) -> dict[str, bytes]:
    """The figure's rendered bytes, valid while the figure is unchanged since rendering.

    Rendering leaves the figure marked not stale; any change to one of its artists
    marks it stale again (matplotlib propagates it up), which empties the cache.
    """
    cache = getattr(fig, _CACHE_ATTR, None)
    if cache is None or fig.stale:
        cache = {}
        setattr(fig, _CACHE_ATTR, cache)
    return cache


def has_rendering(fig: Figure) -> bool:
    """Whether the figure carries rendered bytes that are still current.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(1, 1))
    >>> has_rendering(fig), has_rendering(fig) or bool(figure_bytes(fig, "svg")), has_rendering(fig)
    (False, True, True)
    """
    return bool(getattr(fig, _CACHE_ATTR, None)) and not fig.stale


def keep_rendering(fig: Figure) -> None:
    """Mark the bytes a figure carries as current again after unpickling it.

    matplotlib marks every unpickled figure stale; a container that pickled a figure
    whose rendering was current (:func:`has_rendering`) calls this after loading it,
    so the report step reuses the bytes rendered in the notebook.
    """
    if getattr(fig, _CACHE_ATTR, None):
        fig.stale = False


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as PNG or SVG bytes (for embedding), identical to what :func:`save_figure` writes.

    A figure is rendered once per format: the bytes are kept on the figure (and travel
    with it when it is pickled, e.g. from a notebook to the report step) until the
    figure is changed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_bytes(Figure(figsize=(1, 1)), "svg")[:5]
    b'<?xml'
    """
    if fmt not in ("png", "svg"):
        raise ChartError(
            "CHT004",
            f"unknown image format {fmt!r}",
            expected="'png' or 'svg'",
            found=repr(fmt),
            hint="Pass 'png' or 'svg'.",
        )
    cache = _cached(fig)
    if fmt not in cache:
        # drawn in another format already and unchanged since: its layout (constrained
        # layout, the costliest part of a draw) still holds, so it is not computed again
        frozen = bool(cache) and fig.get_layout_engine() is not None
        with fig._cm_set(layout_engine="none") if frozen else contextlib.nullcontext():
            cache[fmt] = _png(fig) if fmt == "png" else _svg(fig)
        fig.stale = False  # a later change to the figure marks it stale again
    return cache[fmt]


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

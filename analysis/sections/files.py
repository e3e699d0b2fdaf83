"""Sections handed from the notebooks to the report step: saved and loaded as files.

A notebook builds its section and saves it with :func:`save_section` into the
folder the report step gives it; the step loads every notebook's section with
:func:`load_section` and assembles the report. The file is a pickle of the
:class:`analysis.report.Section` (its charts are matplotlib figures, whose tick
formatters are module-level classes, :mod:`analysis.charts.ticks`, so the standard
pickle carries them); it is written and read by the same toolkit in the same
environment, a working file, not an archive format.

Examples
--------
>>> import tempfile
>>> from analysis.report import Section
>>> path = section_path(tempfile.mkdtemp(), "problems")
>>> saved = save_section(Section("存在的问题").paragraph("……"), path)
>>> saved.name, load_section(saved).title
('problems.section.pkl', '存在的问题')
"""

from __future__ import annotations

import pickle
from pathlib import Path

from ..errors import SectionError
from ..report import Section

__all__ = ["SECTION_SUFFIX", "load_section", "render_figures", "save_section", "section_path"]

SECTION_SUFFIX = ".section.pkl"


def section_path(folder: str | Path, name: str) -> Path:
    """Where the section ``name`` is saved in ``folder``."""
    return Path(folder) / f"{name}{SECTION_SUFFIX}"


def render_figures(section: Section, formats: tuple[str, ...] = ("png", "svg")) -> Section:
    """Render every figure of the section in ``formats`` (the report's PNG and SVG), once.

    The bytes stay with the figures (:func:`analysis.charts.figure_bytes`), so the
    notebook's preview and the report step reuse them instead of drawing again.
    """
    from ..charts.save import figure_bytes
    from ..report.section import FigureBlock

    def walk(s: Section) -> None:
        for block in s.blocks:
            if isinstance(block, FigureBlock):
                for fmt in formats:
                    figure_bytes(block.figure, fmt)
            elif isinstance(block, Section):
                walk(block)

    walk(section)
    return section


def save_section(section: Section, path: str | Path) -> Path:
    """Save a built section to ``path`` (usually :func:`section_path`; folder created).

    Its figures' PNGs are rendered first (:func:`render_figures`; the notebook's
    preview shows them) and saved with it; the report step draws the SVGs meanwhile.
    """
    if not isinstance(section, Section):
        raise SectionError(
            "SEC006",
            f"only a Section can be saved, not a {type(section).__name__}",
            expected="analysis.report.Section",
            found=type(section).__name__,
            hint="Save what a section module's build(ctx) returned.",
        )
    path = Path(path)
    render_figures(section, ("png",))  # what the preview shows; the report step adds the SVG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(section, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as exc:
        raise SectionError(
            "SEC007",
            f"cannot write the section file: {exc.strerror}",
            file=path,
            hint="Check that the folder is writable.",
        ) from None
    return path


def load_section(path: str | Path) -> Section:
    """Load a section saved by :func:`save_section`."""
    path = Path(path)
    try:
        section = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        raise SectionError(
            "SEC008",
            "a notebook did not save its section",
            file=path,
            expected=f"{path.name} written by the notebook's last cell",
            found="no file",
            hint="Open the executed notebook in reports/<wave>/notebooks/ to see what failed.",
        ) from None
    except Exception as exc:
        raise SectionError(
            "SEC008",
            f"cannot read the section file: {exc}",
            file=path,
            hint="Re-run the report step; the file may be from another toolkit version.",
        ) from None
    if not isinstance(section, Section):
        raise SectionError(
            "SEC008",
            "the section file does not hold a Section",
            file=path,
            expected="analysis.report.Section",
            found=type(section).__name__,
            hint="Re-run the report step.",
        )
    return section

"""Findings sections of a wave's report: the logic of each section, outside the notebooks.

Each module builds one section from a :class:`SectionContext` (a wave's cleaned
data and designs, the previous wave's, the language): ``build(ctx) -> Section``.
Every number in the narrative is filled from an estimate-table row
(:func:`analysis.report.fill`). The notebooks in ``notebooks/`` call them, one
notebook per section, and the report step (:mod:`analysis.pipeline.report`)
assembles the saved sections into ``reports/<wave>/report.docx|.html|.md``.

==========  ==========================================
module      section
==========  ==========================================
facilities  村级文化设施与覆盖
households  农牧户参与、信息渠道与满意度
cadres      挂职干部
problems    存在的问题
changes     与上一轮相比的变化
==========  ==========================================
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import SectionError
from .context import SectionContext, WaveData, load_context, previous_wave
from .files import load_section, save_section, section_path
from .notebooks import section_notebook
from .preview import preview
from .writer import ReportCell, SectionWriter, report_cells

__all__ = [
    "SECTIONS",
    "ReportCell",
    "SectionContext",
    "SectionError",
    "SectionWriter",
    "WaveData",
    "build_sections",
    "load_context",
    "load_section",
    "preview",
    "previous_wave",
    "report_cells",
    "save_section",
    "section_module",
    "section_notebook",
    "section_path",
]

#: The findings sections in report order (module names of this package).
SECTIONS: tuple[str, ...] = ("facilities", "households", "cadres", "problems", "changes")


def section_module(name: str) -> ModuleType:
    """The module of section ``name`` (one of :data:`SECTIONS`).

    Examples
    --------
    >>> section_module("cadres").__name__
    'analysis.sections.cadres'
    """
    if name not in SECTIONS:
        raise SectionError(
            "SEC009",
            f"unknown section {name!r}",
            expected=", ".join(SECTIONS),
            found=repr(name),
            hint="Use one of the section names listed.",
        )
    return importlib.import_module(f"{__name__}.{name}")


def build_sections(ctx: SectionContext, names: tuple[str, ...] = SECTIONS) -> list:
    """Build the sections ``names`` in order, in this process (no notebooks)."""
    return [section_module(name).build(ctx) for name in names]

"""Findings sections of a wave's report: written in notebooks, built from generic blocks.

A findings section is written in a notebook of the study's ``notebooks/`` folder
(``docs/notebooks.md``): its markdown cells hold the text, with placeholders filled
from the estimate rows its code cells register on a :class:`SectionWriter`, and its
code cells compute those rows with the builders of this package. The report step
(:mod:`analysis.pipeline.report`) runs the notebooks and assembles the saved sections
into ``reports/<wave>/report.docx|.html|.md``. This package holds no question name of
any study: the notebooks name the questions.

==========  ==================================================================
module      what it gives a notebook
==========  ==================================================================
context     the wave's data and designs, the previous wave's (:func:`load_context`)
writer      :class:`SectionWriter`: rows, flags, figures, tables; markdown to a Section
notebooks   the frame of a section notebook (:func:`section_notebook`)
indicators  shares of yes/no and select_one answers, means, totals (counts cut at zero),
            change tables, domains as rows
likert      Likert items recoded, answer shares, scales with Cronbach's alpha
groups      Rao-Scott tests of a share by group, logistic regression tables
ranking     units ranked on a composite score
themes      open answers coded against a codebook: theme shares, quotes, uncoded
waves       change since the last wave, panel or independent samples
files       sections saved by the notebooks and loaded by the report step
preview     a section shown in a notebook
==========  ==================================================================
"""

from __future__ import annotations

from ..errors import SectionError
from .context import SectionContext, WaveData, load_context, previous_wave
from .files import load_section, save_section, section_path
from .notebooks import section_notebook
from .preview import preview
from .writer import ReportCell, SectionWriter, report_cells

__all__ = [
    "ReportCell",
    "SectionContext",
    "SectionError",
    "SectionWriter",
    "WaveData",
    "load_context",
    "load_section",
    "preview",
    "previous_wave",
    "report_cells",
    "save_section",
    "section_notebook",
    "section_path",
]

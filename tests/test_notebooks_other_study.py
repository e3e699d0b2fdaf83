"""A second study's report written only in notebooks: REACH's MSNA form and export.

The study is made by ``baicun init`` from REACH's Kobo form; two section notebooks are
written with :func:`analysis.sections.section_notebook` (markdown text, code cells on
the generic blocks of :mod:`analysis.sections.summary`), no Python module of the study;
``baicun run`` executes them and assembles the report: choice labels, not codes;
numbers from the estimates; a reference across notebooks numbered at assembly.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.sections import section_notebook
from analysis.sections.notebooks import write_notebook

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / ".." / "shared" / "realdata"
REACH_FORM = REAL / "xlsform" / "reach_impact" / "cleaningtools_reach_kobo_tool.xlsx"
REACH_DATA = REAL / "exports" / "reach_msna" / "cleaningtools_raw_data.csv"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (REACH_FORM.is_file() and REACH_DATA.is_file()),
        reason="the REACH form and export (shared/realdata) are absent",
    ),
]

WATER = [
    (
        "code",
        """from analysis.sections.summary import shares_block

drinking = shares_block(ctx, "msna", "water_source_drinking")
w.rows(top=drinking.rows["top"], second=drinking.rows["second"])
w.figure("drinking", drinking.figure, drinking.title)
w.table("drinking", drinking.report, drinking.title)
sources = shares_block(ctx, "msna", "water_sources")
w.rows(any_top=sources.rows["top"])
w.table("sources", sources.report, sources.title, note=sources.note)""",
    ),
    (
        "markdown",
        """# Water

The main source of drinking water is {top.item} for {top:pct} of households{top:ci},
then {second.item} ({second:pct}); see {fig:drinking} and {tab:drinking}.

{fig:drinking}

{tab:drinking}

Of all the sources a household uses, {any_top.item} is the commonest ({any_top:pct}, {tab:sources}).

{tab:sources}""",
    ),
]

HOUSEHOLDS = [
    (
        "code",
        """from analysis.sections.summary import means_block, shares_block

size = means_block(ctx, "msna", ["num_hh_member"])
w.rows(size=size.rows["top"])
w.figure("size", size.figure, size.title)
head = shares_block(ctx, "msna", "gender_hoh")
w.rows(head=head.rows["top"])
w.table("head", head.report, head.title)""",
    ),
    (
        "markdown",
        """<!-- note -->
Household size and the head of household; the water section's chart is referred to by name.""",
    ),
    (
        "markdown",
        """# Households

On average a household has {size:num_ci} members ({size:n} households answered).
The head of household is {head.item} in {head:pct} of households; drinking water
sources are in {fig:drinking}.

{fig:size}

{tab:head}""",
    ),
]


def test_a_study_of_its_own_writes_its_report_in_notebooks(tmp_path, monkeypatch):
    folder = tmp_path / "msna"
    assert main(["init", str(folder), f"msna={REACH_FORM}"]) == 0
    for stem, cells in (("01_water", WATER), ("02_households", HOUSEHOLDS)):
        write_notebook(folder / "notebooks" / f"{stem}.ipynb", section_notebook(stem, cells))
    monkeypatch.chdir(folder)
    assert main(["new-wave", "w1"]) == 0
    shutil.copy(REACH_DATA, folder / "data/raw/w1/msna.csv")
    assert main(["run", "--wave", "w1"]) in (0, 1)
    md = (folder / "reports" / "w1" / "report.md").read_text(encoding="utf-8")
    assert "## 1. Water" in md and "## 2. Households" in md
    # references by name, numbered at assembly, across notebooks
    assert "; see Figure 1 and Table 1." in md and "sources are in Figure 1." in md
    assert "{" not in md
    # choice labels from the form, not codes; no raw variable column
    drinking = re.search(r"The main source of drinking water is (.+?) for", md).group(1)
    assert not re.fullmatch(r"[a-z_0-9]+", drinking), drinking
    assert "variable" not in md
    figures = sorted(p.name for p in (folder / "reports" / "w1" / "figures").glob("*.png"))
    assert len(figures) == 2

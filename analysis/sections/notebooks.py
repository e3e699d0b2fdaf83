"""Section notebooks made from cells: the parameter cell, the writer, your cells, save and show.

A section notebook (see ``docs/notebooks.md``) has a ``parameters``-tagged cell
(papermill injects ``wave``, ``lang``, ``study_root``, ``section_file`` and
``notebook`` after it), a cell opening a :class:`analysis.sections.SectionWriter`
on the wave's data, the study's own cells (markdown narrative, code registering
rows, figures and tables) and a last cell that saves the section for the report
step and shows it. :func:`section_notebook` writes that frame around given cells,
for a generator such as ``baicun init``'s starter notebooks.

Examples
--------
>>> nb = section_notebook("01_facilities", [("markdown", "# 设施"), ("code", "w.rows()")])
>>> [c.cell_type for c in nb.cells], nb.cells[0].metadata["tags"]
(['code', 'code', 'markdown', 'code', 'code'], ['parameters'])
>>> 'notebook = "01_facilities.ipynb"' in nb.cells[0].source
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nbformat

__all__ = [
    "OPEN_CELL",
    "PARAMETERS",
    "SAVE_CELL",
    "parameter_cell",
    "section_notebook",
    "write_notebook",
]

#: The papermill parameters every section notebook takes.
PARAMETERS = ("wave", "lang", "study_root", "section_file", "notebook")

_PARAMETER_CELL = """\
wave = None  # the wave to report on (None: the study's last wave)
lang = None  # "zh" or "en" (None: the study's default language)
study_root = None  # the study's folder (None: found above the working folder)
section_file = None  # where the report step collects the section (None: not saved)
notebook = "{name}"  # this notebook's file: its markdown cells are the section's text"""

#: The cell after the parameters: the writer on the wave's data (``w``) and its context.
OPEN_CELL = """\
from analysis.sections import SectionWriter

w = SectionWriter.open(study_root, wave, lang=lang, notebook=notebook)
ctx = w.ctx"""

#: The last cell: save the section for the report step, show it as the report will read.
SAVE_CELL = """\
w.save(section_file)
w.show()"""


def parameter_cell(stem: str) -> str:
    """The source of the parameter cell of the notebook ``<stem>.ipynb``."""
    return _PARAMETER_CELL.format(name=f"{stem}.ipynb")


def section_notebook(stem: str, cells: Sequence[tuple[str, str]]) -> nbformat.NotebookNode:
    """A section notebook ``<stem>.ipynb`` around ``cells`` (``("markdown"|"code", source)``).

    Cell ids are ``<stem>-<i>``, so writing the same cells again changes no byte.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell(parameter_cell(stem))
    params.metadata["tags"] = ["parameters"]
    body = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    nb.cells = [params, nbformat.v4.new_code_cell(OPEN_CELL), *body]
    nb.cells.append(nbformat.v4.new_code_cell(SAVE_CELL))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{stem}-{i}"
    return nb


def write_notebook(path: str | Path, nb: nbformat.NotebookNode) -> Path:
    """Write ``nb`` to ``path`` (folder created), as nbformat writes it plus a final newline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path

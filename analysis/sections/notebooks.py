"""The thin report notebooks, one per section, written from one template.

Every notebook has a ``parameters``-tagged cell (papermill injects ``wave``,
``lang``, ``study_root`` and ``section_file`` after it), then one code cell that
loads the context, builds its section with the section's module and saves it,
and shows it. The logic stays in :mod:`analysis.sections`; a notebook holds no
number and no sentence of the report.

Regenerate ``notebooks/`` after editing the template::

    python -m analysis.sections.notebooks notebooks

Examples
--------
>>> nb = section_notebook("cadres")
>>> [c.cell_type for c in nb.cells], nb.cells[1].metadata["tags"]
(['markdown', 'code', 'code'], ['parameters'])
>>> notebook_name("cadres")
'03_cadres.ipynb'
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from . import SECTIONS

__all__ = ["PARAMETERS", "notebook_name", "section_notebook", "write_notebooks"]

#: The papermill parameters every notebook takes, with their default (None).
PARAMETERS = ("wave", "lang", "study_root", "section_file")

_PARAMETER_CELL = """\
wave = None  # the wave to report on (None: the study's last wave)
lang = None  # "zh" or "en" (None: the study's default language)
study_root = None  # the study's folder (None: found above the working folder)
section_file = None  # where the report step collects the section (None: not saved)"""

_CODE = """\
from analysis.sections import load_context, preview, save_section
from analysis.sections import {name}

ctx = load_context(study_root, wave, lang=lang)
section = {name}.build(ctx)
if section_file:
    save_section(section, section_file)
preview(section, lang=ctx.lang)"""

_INTRO = {
    "facilities": "村级文化设施与覆盖：设施普及、广播电视和宽带入户率（分县、分村庄类型）及其变化",
    "households": "农牧户参与、信息渠道与满意度：活动参与、政策信息来源、李克特量表及信度、群体差异检验和回归",
    "cadres": "挂职干部：挂职方式与期限、考核得分、综合评价指数与排名",
    "problems": "存在的问题：开放题回答的主题、加权比例和例句，未归类回答",
    "changes": "与上一轮相比的变化：面板比较和显著性检验",
}

_MARKDOWN = """\
# {intro}

本笔记本只调用 `analysis.sections.{name}`，全部计算和文字都在该模块中；文中的数字全部取自估计表。
This notebook only calls `analysis.sections.{name}`; the section's logic and text live there.

参数（由报告步骤通过 papermill 注入）Parameters (injected by the report step with papermill):
`wave` 调查轮次, `lang` 语言（zh / en）, `study_root` 研究目录, `section_file` 保存本节的文件。"""


def notebook_name(section: str) -> str:
    """The file name of a section's notebook: ``01_facilities.ipynb`` ..."""
    return f"{SECTIONS.index(section) + 1:02d}_{section}.ipynb"


def section_notebook(section: str) -> nbformat.NotebookNode:
    """The notebook of one section (see :data:`analysis.sections.SECTIONS`)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell(_PARAMETER_CELL)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(_MARKDOWN.format(intro=_INTRO[section], name=section)),
        params,
        nbformat.v4.new_code_cell(_CODE.format(name=section)),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{section}-{i}"  # stable ids: regenerating changes no byte
    return nb


def write_notebooks(folder: str | Path) -> list[Path]:
    """Write every section's notebook into ``folder``; returns the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for section in SECTIONS:
        path = out / notebook_name(section)
        path.write_text(nbformat.writes(section_notebook(section)) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    for p in write_notebooks(sys.argv[1] if len(sys.argv) > 1 else "notebooks"):
        print(p)

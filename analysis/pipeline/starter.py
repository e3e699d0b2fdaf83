"""Starter notebooks of a new study: one findings section per instrument, from its form.

``baicun init`` writes ``notebooks/NN_<instrument>.ipynb`` for each form: a section
notebook (``docs/notebooks.md``) whose ``#`` heading is the form's title and whose
subsections are the form's top-level groups (:func:`analysis.sections.questions.form_groups`).
For each group a code cell estimates the shares of the answers to its select questions
and the means of its numbers (the instrument's design from study.toml) and registers
them; a markdown cell states the most frequent answer of its first select question
and the mean of its first number, and places the tables. Labels are the form's own,
in the study's default language; the text is in that language too (Chinese for
``zh``, English otherwise). The notebooks run on the team's data as soon as a wave has
been processed, and ``baicun run`` assembles them into the wave's report; the team
then rewrites the text, keeps the tables it needs and adds its own.

Examples
--------
>>> from analysis.instrument.model import Group, Instrument, Question
>>> form = Instrument(None, "hh", "Household survey", None, "en", ("en",), (
...     Question("water", "select_one", {"en": "Water"}, list_name="w", group_path=("wash",)),
...     Question("size", "integer", {"en": "Size"})),
...     (Group("wash", "group", {"en": "WASH"}),), {})
>>> cells = starter_cells("hh", form, "en")
>>> [kind for kind, _ in cells][:4]
['markdown', 'code', 'markdown', 'code']
>>> print(cells[4][1].splitlines()[0])
## {wash}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..sections.notebooks import section_notebook, write_notebook
from ..sections.questions import form_groups

__all__ = ["starter_cells", "write_starter_notebooks"]

_NOTE = {
    "en": """<!-- note -->
Starter section written by `baicun init` from the form of **{instrument}**: one
subsection per group of the form, with the shares of the answers to its select
questions and the means of its numbers (design-based, with 95% intervals).

Rewrite the text in the markdown cells: every number comes from a row registered in a
code cell (`{{name:pct}}`, `{{name:ci}}`, `{{name:num_ci}}`, `{{name.column}}`); a typed
digit is refused. Tables are placed by a line `{{tab:name}}`. See docs/notebooks.md.""",
    "zh": """<!-- note -->
本节由 `baicun init` 根据问卷 **{instrument}** 自动生成：问卷的每个题组一个小节，
列出单选、多选题各选项的比例和数值题的均值（按抽样设计估计，附95%置信区间）。

请改写下面 markdown 单元格中的文字：文中的数字都来自代码单元格登记的行
（`{{name:pct}}`、`{{name:ci}}`、`{{name:num_ci}}`、`{{name.column}}`），不能直接输入数字；
表格用单独一行 `{{tab:name}}` 放置。详见 docs/notebooks.md。""",
}

_SETUP = """\
from analysis.format import pick
from analysis.sections.questions import (
    form_groups,
    means_table,
    question_means,
    question_shares,
    shares_table,
    top_answer,
)

instrument = {instrument!r}
form, design = ctx.forms[instrument], ctx.designs[instrument]
groups = {{g.name: g for g in form_groups(form, w.lang)}}
w.rows(title=form.title or instrument)"""

_GROUP = """\
# {label}: shares of the answers to the select questions, means of the numbers
group = groups[{name!r}]
label = {label_code}
shares = question_shares(design, form, group.questions, lang=w.lang)
means = question_means(design, form, group.questions, lang=w.lang)
w.rows({key}=label)
w.flags({key}_shares=len(shares) > 0, {key}_means=len(means) > 0)
if len(shares):
    w.rows({key}_top=top_answer(shares))
    w.table("{key}_shares", shares_table(shares, lang=w.lang),
            w.t(f"{{label}}：各题回答的比例", f"{{label}}: share of each answer"))
if len(means):
    w.rows({key}_mean=pick(means, variable=means["variable"].iloc[0]))
    w.table("{key}_means", means_table(means, lang=w.lang),
            w.t(f"{{label}}：数值题的均值", f"{{label}}: means"))"""

_TEXT = {
    "en": (
        "## {{{key}}}",
        "<!-- if:{key}_shares -->\n"
        "For “{{{key}_top.question}}”, the most frequent answer is “{{{key}_top.answer}}”: "
        "{{{key}_top:pct}}{{{key}_top:ci}} of the {{{key}_top:n}} records that answered "
        "(see {{tab:{key}_shares}}).\n\n{{tab:{key}_shares}}",
        "<!-- if:{key}_means -->\n"
        "The mean of “{{{key}_mean.question}}” is {{{key}_mean:num_ci}} "
        "({{{key}_mean:n}} records answered; see {{tab:{key}_means}}).\n\n{{tab:{key}_means}}",
    ),
    "zh": (
        "## {{{key}}}",
        "<!-- if:{key}_shares -->\n"
        "对于“{{{key}_top.question}}”，最常见的回答是“{{{key}_top.answer}}”，"
        "在作答的{{{key}_top:n:份}}问卷中占{{{key}_top:pct}}{{{key}_top:ci}}"
        "（见{{tab:{key}_shares}}）。\n\n{{tab:{key}_shares}}",
        "<!-- if:{key}_means -->\n"
        "“{{{key}_mean.question}}”的均值为{{{key}_mean:num_ci}}"
        "（{{{key}_mean:n:份}}问卷作答，见{{tab:{key}_means}}）。\n\n{{tab:{key}_means}}",
    ),
}


def _keys(names: Sequence[str]) -> list[str]:
    """Placeholder names for the groups: letters, digits and _, unique, never ``title``."""
    out: list[str] = []
    for name in names:
        key = re.sub(r"\W+", "_", name, flags=re.ASCII).strip("_").lower() or "general"
        key = key if key[0].isalpha() else f"g_{key}"
        base, i = key, 2
        while key in out or key == "title":
            key, i = f"{base}_{i}", i + 1
        out.append(key)
    return out


def starter_cells(instrument: str, form: Any, lang: str) -> list[tuple[str, str]]:
    """The cells of the starter section of ``instrument`` (``("markdown"|"code", source)``)."""
    lang = "zh" if lang == "zh" else "en"
    groups = form_groups(form, lang)
    cells: list[tuple[str, str]] = [
        ("markdown", _NOTE[lang].format(instrument=instrument)),
        ("code", _SETUP.format(instrument=instrument)),
        ("markdown", "# {title}"),
    ]
    heading, shares, means = _TEXT[lang]
    for group, key in zip(groups, _keys([g.name for g in groups])):
        label = " ".join(group.label.split()) or group.name
        code = "group.label" if group.name else 'w.t("基本情况", "General questions")'
        if not group.name:
            label = "questions outside any group"
        cells.append(
            ("code", _GROUP.format(label=label, name=group.name, key=key, label_code=code))
        )
        cells.append(("markdown", heading.format(key=key)))
        cells.append(("markdown", shares.format(key=key)))
        cells.append(("markdown", means.format(key=key)))
    return cells


def write_starter_notebooks(
    folder: Path, forms: Sequence[tuple[str, Any]], lang: str
) -> list[Path]:
    """Write ``NN_<instrument>.ipynb`` in ``folder`` for each ``(instrument, form)``."""
    written = []
    for i, (name, form) in enumerate(forms, start=1):
        stem = f"{i:02d}_{name}"
        nb = section_notebook(stem, starter_cells(name, form, lang))
        written.append(write_notebook(folder / f"{stem}.ipynb", nb))
    return written

"""Starter notebooks written by ``baicun init`` and the question builders they call."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from analysis.design.survey import SurveyDesign
from analysis.instrument.model import Choice, ChoiceList, Group, Instrument, Question
from analysis.pipeline.init import init_study
from analysis.pipeline.starter import starter_cells
from analysis.report import outline
from analysis.report.section import Heading, Paragraph
from analysis.sections import SectionContext, SectionWriter, WaveData
from analysis.sections.questions import (
    form_groups,
    means_table,
    question_means,
    question_shares,
    shares_table,
)

ROOT = Path(__file__).resolve().parents[1]


def _form() -> Instrument:
    water = ChoiceList("w", (Choice("pipe", {"en": "Piped", "zh": "自来水"}),
                             Choice("well", {"en": "Well", "zh": "井水"})))  # fmt: skip
    return Instrument(None, "hh", "Household survey 2026", None, "en", ("en", "zh"), (
        Question("county", "select_one", {"en": "County"}, list_name="w"),
        Question("source", "select_one", {"en": "Main source"}, list_name="w",
                 group_path=("wash",)),
        Question("uses", "select_multiple", {"en": "Sources used"}, list_name="w",
                 group_path=("wash",)),
        Question("litres", "integer", {"en": "Litres a day (${source})"}, group_path=("wash",)),
        Question("note", "text", {"en": "Comment"}, group_path=("notes",)),
        Question("kid", "integer", {"en": "Age"}, group_path=("roster",), repeat="roster"),
    ), (Group("wash", "group", {"en": "Water, sanitation", "zh": "饮水"}),
        Group("notes", "group", {"en": "Notes"}),
        Group("roster", "repeat", {"en": "Members"})), {"w": water})  # fmt: skip


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "county": ["pipe", "well", "pipe", "pipe"],
        "source": ["pipe", "well", None, "lake"],
        "uses": ["pipe well", "well", None, "pipe"],
        "litres": [20, 0, 5, np.nan],
    })  # fmt: skip


def test_groups_of_the_main_table_with_questions_to_summarise():
    groups = form_groups(_form(), "en")
    assert [(g.name, g.label, g.questions) for g in groups] == [
        ("", "Household survey 2026", ("county",)),
        ("wash", "Water, sanitation", ("source", "uses", "litres")),
    ]  # the text-only group and the repeat are left out


def test_shares_of_select_one_and_select_multiple_with_the_forms_labels():
    design = SurveyDesign(_frame(), weights=None)
    shares = question_shares(design, _form(), ["source", "uses", "litres"], lang="zh")
    got = shares[["variable", "level", "answer", "n"]].values.tolist()
    assert got == [
        ["source", "pipe", "自来水", 3], ["source", "well", "井水", 3],
        ["source", "lake", "lake", 3],  # a code outside the list: kept, under its code
        ["uses", "pipe", "自来水", 3], ["uses", "well", "井水", 3],
    ]  # fmt: skip
    assert shares["estimate"].round(4).tolist() == [0.3333, 0.3333, 0.3333, 0.6667, 0.6667]
    table = shares_table(shares, lang="zh").frame
    assert list(table.columns) == ["题目", "回答", "比例", "95%置信区间", "样本量"]
    assert table["题目"].tolist() == ["Main source", "", "", "Sources used", ""]


def test_means_of_counts_never_have_a_negative_lower_limit():
    design = SurveyDesign(_frame(), weights=None)
    means = question_means(design, _form(), ["source", "litres"], lang="en")
    row = means.iloc[0]
    assert (row["variable"], row["question"], row["n"]) == ("litres", "Litres a day (…)", 3)
    assert row["ci_low"] == 0 and bool(row["clipped"])
    table = means_table(means, lang="en")
    assert table.note == "Lower limits are not below 0 (no answer is negative)."


def test_init_writes_a_starter_notebook_per_form(tmp_path):
    study = init_study(tmp_path / "s", [str(ROOT / "surveys" / "household.xlsx")])
    path = study.notebooks_dir / "01_household.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].metadata["tags"] == ["parameters"]
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown[0].startswith("<!-- note -->\n本节由 `baicun init` 根据问卷 **household**")
    assert "# {title}" in markdown
    assert any("在作答的" in m for m in markdown)  # Chinese text for a Chinese study


def test_the_starter_section_runs_on_data_and_writes_the_section():
    form = _form()
    design = SurveyDesign(_frame(), weights=None)
    ctx = SectionContext(study=None, wave="w1", lang="en",
                         current=WaveData("w1", {"hh": _frame()}, {"hh": design}),
                         forms={"hh": form})  # fmt: skip
    cells = starter_cells("hh", form, "en")
    w = SectionWriter(ctx)
    namespace = {"w": w, "ctx": ctx}
    for kind, source in cells:
        if kind == "code":
            exec(source, namespace)  # what the notebook's code cells do
    section = w.section([source for kind, source in cells if kind == "markdown"])
    texts = [i.text for i in outline([section], "en") if isinstance(i, Heading | Paragraph)]
    assert texts[:3] == [
        "1. Household survey 2026",
        "1.1 General questions",
        "For “County”, the most frequent answer is “Piped”: 75.0% (95% CI: 4.1%–99.5%) of "
        "the 4 records that answered (see Table 1).",
    ]
    assert texts[3] == "1.2 Water, sanitation"
    assert texts[5].startswith("The mean of “Litres a day (…)” is 8.3 (95% CI: 0.0–")

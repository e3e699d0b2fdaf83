"""The section writer: markdown cells with placeholders become a section, figures placed by name."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from analysis.errors import ReportError, SectionError
from analysis.format import pick
from analysis.report import Section, outline, report_table
from analysis.report.section import Heading, Paragraph
from analysis.sections import SectionWriter, load_section, report_cells, section_notebook
from analysis.sections.notebooks import write_notebook

SHARES = pd.DataFrame(
    {
        "item": ["农家书屋", "文化活动室"],
        "estimate": [0.62, 0.4],
        "ci_low": [0.55, 0.3],
        "ci_high": [0.69, 0.5],
        "n": [120, 118],
    }
)

ZH = """<!-- zh -->
# 文化设施

## 设施建设

{lib:pct}的村建有农家书屋{lib:ci}，
调查{lib:n:个}村（见{fig:bars}、{tab:shares}）。

{fig:bars}

{tab:shares}
"""
EN = """<!-- en -->
# Facilities

## Buildings

{lib:pct} of villages have a library (see {fig:bars}).

{fig:bars}

{tab:shares}
"""


def _writer(lang: str = "zh") -> SectionWriter:
    w = SectionWriter(lang=lang).rows(lib=pick(SHARES, item="农家书屋"))
    fig, _ax = plt.subplots()
    w.figure("bars", fig, w.t("各类设施", "Facilities"))
    return w.table("shares", report_table(SHARES), w.t("设施", "Facilities"))


def _texts(section: Section, lang: str = "zh") -> list[str]:
    out = []
    for item in outline([section], lang):
        if isinstance(item, Heading | Paragraph):
            out.append(item.text)
        else:
            out.append(item.caption)
    return out


def test_markdown_cells_write_the_section_with_numbers_from_rows():
    section = _writer().section([ZH, EN])
    assert _texts(section) == [
        "一、文化设施",
        "（一）设施建设",
        "62.0%的村建有农家书屋（95%置信区间：55.0%–69.0%），调查120个村（见图1、表1）。",
        "图1　各类设施",
        "表1　设施",
    ]


def test_the_english_cells_write_the_english_report():
    texts = _texts(_writer("en").section([ZH, EN]), "en")
    assert texts[:3] == [
        "1. Facilities",
        "1.1 Buildings",
        "62.0% of villages have a library (see Figure 1).",
    ]


def test_a_typed_number_is_refused_but_references_by_name_are_not():
    w = _writer()
    with pytest.raises(ReportError) as err:
        w.section(["# 设施\n\n见图1。\n\n{fig:bars}\n\n{tab:shares}"])
    assert err.value.code == "REP001" and "见{fig:name}" in err.value.hint


def test_references_resolve_across_sections_and_unknown_names_are_errors():
    a = _writer().section([ZH])
    b = Section("变化").paragraph("各类设施见{fig:bars}，排名见{tab:nothing}。")
    with pytest.raises(ReportError) as err:
        outline([a, b])
    assert err.value.code == "REP020" and "{tab:nothing}" in err.value.message
    ok = Section("变化").paragraph("各类设施见{fig:bars}。")
    assert outline([a, ok])[-1].text == "各类设施见图1。"
    with pytest.raises(ReportError) as twice:
        outline([a, a])
    assert twice.value.code == "REP021"


def test_conditional_cells_follow_the_flags():
    cells = ["# 变化", "<!-- if:first -->\n首轮调查，无从比较。", "<!-- unless:first -->\n{p}。"]
    w = SectionWriter().rows(p="与上一轮相比")
    assert _texts(w.flags(first=True).section(cells))[1:] == ["首轮调查，无从比较。"]
    assert _texts(w.flags(first=False).section(cells))[1:] == ["与上一轮相比。"]
    with pytest.raises(SectionError) as err:
        SectionWriter().section(cells)
    assert err.value.code == "SEC021" and "writer.flags(first" in err.value.hint


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        (["<!-- de -->\n# X"], "SEC020"),
        (["text first\n\n# X"], "SEC024"),
        (["# X\n\n# Y"], "SEC024"),
        (["no heading"], "SEC024"),
        (["# X\n\n{fig:other}"], "SEC025"),
    ],
)
def test_malformed_cells_are_coded_errors(cells, code):
    with pytest.raises(SectionError) as err:
        SectionWriter().section(cells)
    assert err.value.code == code


def test_a_registered_figure_must_be_placed():
    with pytest.raises(SectionError) as err:
        _writer().section(["# 设施\n\n{tab:shares}"])
    assert err.value.code == "SEC026" and "{fig:bars}" in err.value.hint


def test_note_cells_stay_out_of_the_report():
    cells = ["<!-- note -->\nRun this notebook after `baicun run`.", "# 设施", "各村普遍建有书屋。"]
    assert _texts(SectionWriter().section(cells)) == ["一、设施", "各村普遍建有书屋。"]


def test_the_writer_reads_its_notebook_and_saves_the_section(tmp_path):
    nb = section_notebook("01_x", [("markdown", ZH), ("markdown", EN)])
    path = write_notebook(tmp_path / "01_x.ipynb", nb)
    assert [c.lang for c in report_cells(path)] == ["zh", "en"]
    w = _writer()
    w.notebook = path
    saved = w.save(tmp_path / "x.section.pkl")
    assert load_section(saved).title == "文化设施"
    assert "62.0%" in w.show()._repr_html_()
    assert w.save(None) is None
    with pytest.raises(SectionError) as err:
        SectionWriter(notebook=tmp_path / "missing.ipynb").section()
    assert err.value.code == "SEC022"
    assert nbformat.read(path, as_version=4).cells[0].metadata["tags"] == ["parameters"]

"""The codebook: one row per variable, written as Markdown, XLSX and DOCX."""

from __future__ import annotations

import pandas as pd
import pytest
from docx_checks import cjk_runs_without_east_asian_font, document_text, style_east_asian_fonts
from instrument_forms import ALL_TYPES, SKIPS, write_form

from analysis.errors import InstrumentError
from analysis.instrument.codebook import codebook, codebook_markdown, write_codebook


@pytest.fixture(scope="module")
def form_path(tmp_path_factory):
    return write_form(tmp_path_factory.mktemp("cb"), "all", ALL_TYPES)


@pytest.fixture(scope="module")
def book(form_path):
    return codebook(form_path).set_index("name")


def test_every_variable_and_no_note(book):
    assert "intro" not in book.index
    for name in ("hh_size", "crops", "weight", "m_age", "start", "gps", "instanceID"):
        assert name in book.index


def test_labels_types_and_value_labels(book):
    assert book.loc["hh_size", ["label_zh", "label_en", "type_words"]].tolist() == [
        "家庭人口",
        "Household size",
        "整数",
    ]
    assert book.loc["county", "value_labels"] == "1=东川县; 2=南坪县"
    assert book.loc["crops", "type_words"] == "多选（含其他）"
    assert book.loc["village", "value_labels"] == "(villages.csv)"


def test_rules_in_words_and_as_written(book):
    assert book.loc["hh_size", "constraint_words"] == "取值 1–30，或 98、99"
    assert book.loc["m_age", "relevant"] == "${hh_size} > 1"
    assert book.loc["m_age", "relevant_words"] == "若“家庭人口”大于 1"
    assert book.loc["weight", "calculation_words"] == "“年收入（万元）” × 2"


def test_flags_and_places(book):
    assert book.loc["hh_size", "missing_codes"] == "98=不知道; 99=拒答"
    assert book.loc["head_name", "pii"] and not book.loc["hh_size", "pii"]
    assert book.loc["weight", "role"] == "weight"
    assert book.loc["hh_size", "required"]
    assert (book.loc["m_age", "group"], book.loc["m_age", "repeat"]) == (
        "grp_roster/members",
        "members",
    )
    assert book.loc["hh_size", "row"] == 8


def test_english_words(form_path):
    en = codebook(form_path, lang="en").set_index("name")
    assert en.loc["m_age", "relevant_words"] == 'if "Household size" is greater than 1'
    assert en.loc["county", "value_labels"] == "1=Dongchuan; 2=Nanping"


def test_markdown_has_one_table_per_record_level(form_path):
    text = codebook_markdown(form_path)
    assert text.startswith("# 变量手册: 全类型测试")
    assert "## 主记录" in text and "## members — 重复组（每行一条记录）" in text
    line = next(line for line in text.splitlines() if "`hh_size`" in line)
    assert "家庭人口" in line and "Household size" in line and "98=不知道; 99=拒答" in line


def test_written_files(tmp_path, form_path):
    written = write_codebook(form_path, tmp_path / "out")
    assert [p.name for p in written] == [
        "all_codebook.md",
        "all_codebook.xlsx",
        "all_codebook.docx",
    ]
    sheet = pd.read_excel(written[1], sheet_name="codebook")
    assert "hh_size" in sheet["name"].tolist()
    values = pd.read_excel(written[1], sheet_name="value_labels", dtype=str)
    assert values[values["variable"] == "county"]["label_zh"].tolist() == ["东川县", "南坪县"]
    text = document_text(written[2])
    assert "家庭人口" in text and "取值 1–30，或 98、99" in text


def test_docx_codebook_sets_the_east_asian_font_everywhere(tmp_path):
    path = write_form(tmp_path, "skips", SKIPS)
    docx = write_codebook(path, tmp_path, ["docx"])[0]
    assert cjk_runs_without_east_asian_font(docx) == []
    fonts = style_east_asian_fonts(docx)
    assert all(fonts[k] for k in ("defaults", "Normal", "Title", "heading 1")), fonts


def test_unknown_format(tmp_path, form_path):
    with pytest.raises(InstrumentError) as info:
        write_codebook(form_path, tmp_path, ["pdf"])
    assert info.value.code == "INS040"


@pytest.mark.parametrize("name", ["village", "household", "cadre"])
def test_demo_codebooks(repo_root, tmp_path, name):
    path = repo_root / "surveys" / f"{name}.xlsx"
    if not path.is_file():
        pytest.skip(f"surveys/{name}.xlsx not written yet")
    book = codebook(path)
    assert book["label_zh"].str.len().gt(0).sum() > 30
    docx = write_codebook(path, tmp_path, ["docx"])[0]
    assert cjk_runs_without_east_asian_font(docx) == []

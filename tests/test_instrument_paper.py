"""The printable paper questionnaire (DOCX)."""

from __future__ import annotations

import pytest
from docx import Document
from docx_checks import cjk_runs_without_east_asian_font, document_text, style_east_asian_fonts
from instrument_forms import ALL_TYPES, SKIPS, write_form

from analysis.errors import InstrumentError
from analysis.instrument import load_instrument
from analysis.instrument.paper import question_numbers, skip_instructions, write_paper


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("paper")


@pytest.fixture(scope="module")
def skips_form(folder):
    return write_form(folder, "skips", SKIPS)


@pytest.fixture(scope="module")
def zh_docx(folder, skips_form):
    return write_paper(skips_form, folder / "skips_zh.docx", "zh")


@pytest.fixture(scope="module")
def zh_text(zh_docx):
    return document_text(zh_docx)


def test_questions_are_numbered_across_the_form(skips_form):
    numbers = question_numbers(skips_form)
    assert list(numbers.items())[:6] == [
        ("has_tv", 1),
        ("n_tv", 2),
        ("channel", 3),
        ("consent", 4),
        ("refusal", 5),
        ("hh_size", 6),
    ]
    assert numbers["m_name"] == 7 and numbers["enumerator_note"] == 13


def test_skip_targets_come_from_relevance(skips_form):
    table = skip_instructions(skips_form).set_index(["question", "printed_under"])
    assert table.loc[("has_tv", "has_tv"), "text"] == "若选“否”，跳至第4题"
    assert table.loc[("consent", "consent"), "text"] == "若选“是”，跳至第6题"
    # after the follow-up question on refusal, skip the whole section guarded by consent
    assert table.loc[("consent", "refusal"), "text"] == "若第4题选“否”，跳至第13题"
    assert (
        skip_instructions(skips_form, "en")
        .set_index(["question", "printed_under"])
        .loc[("has_tv", "has_tv"), "text"]
        == 'If "No", go to Q4'
    )


def test_skip_instruction_is_printed_under_the_earlier_question(zh_text):
    lines = zh_text.splitlines()
    at = lines.index("1. 家里有电视吗？")
    assert "→ 若选“否”，跳至第4题" in lines[at : at + 4]
    assert "→ 若第4题选“否”，跳至第13题" in zh_text


def test_tick_boxes_with_codes(zh_text):
    assert "□ 1 是      □ 2 否" in zh_text
    assert "□ 1 中央台      □ 2 省台" in zh_text


def test_conditions_and_ranges_in_words(zh_text):
    assert "【若第4题选“是”，回答本部分；否则跳过本部分】" in zh_text
    assert "（取值 1–10；98 不知道）" in zh_text
    assert "□□" in zh_text  # digit boxes of a number up to 98


def test_roster_table_one_row_per_member(zh_docx):
    document = Document(str(zh_docx))
    roster = next(t for t in document.tables if t.rows[0].cells[0].text == "序号")
    assert [c.text for c in roster.rows[0].cells] == [
        "序号",
        "7. 姓名",
        "8. 性别",
        "9. 年龄（98=不知道，99=拒答）",
    ]
    assert len(roster.rows) == 1 + 8
    assert [r.cells[0].text for r in roster.rows[1:4]] == ["1", "2", "3"]


def test_likert_items_share_a_grid(zh_docx):
    document = Document(str(zh_docx))
    grid = next(t for t in document.tables if t.rows[0].cells[0].text == "题目")
    assert [c.text for c in grid.rows[0].cells[1:]] == ["1\n不同意", "2\n一般", "3\n同意"]
    assert [r.cells[0].text for r in grid.rows[1:]] == ["10. 村里活动多", "11. 干部常来"]
    assert grid.rows[1].cells[1].text == "□"


def test_every_cjk_run_has_the_east_asian_font(zh_docx):
    assert cjk_runs_without_east_asian_font(zh_docx) == []
    fonts = style_east_asian_fonts(zh_docx)
    assert fonts["defaults"] == fonts["Normal"] == "SimSun"
    assert fonts["heading 1"] == "SimHei"


def test_english_questionnaire(folder, skips_form):
    text = document_text(write_paper(skips_form, folder / "skips_en.docx", "en"))
    assert "1. Does the household have a TV?" in text
    assert '→ If "No", go to Q4' in text
    assert "□ 1 Yes      □ 2 No" in text


def test_every_type_prints(folder):
    path = write_form(folder, "all", ALL_TYPES)
    docx = write_paper(path, folder / "all.docx", "zh")
    text = document_text(docx)
    numbers = question_numbers(load_instrument(path))
    assert "weight" not in numbers and "start" not in numbers and "crops_other" not in numbers
    assert "______年____月____日" in text and "____时____分" in text
    assert "纬度：" in text
    assert "□ 确认" in text
    assert "□ other 其他（请注明）：________" in text
    assert "代码：____________（选项见 villages.csv）" in text
    assert "[    ] rice 水稻" in text
    assert "□ 10" in text  # range 0-10 as boxes
    assert "下面问家庭成员" in text  # the note
    assert cjk_runs_without_east_asian_font(docx) == []


def test_label_references_become_question_numbers(folder):
    md = """
| survey |
| | type | name | label | calculation |
| | integer | n | 几口人？ | |
| | calculate | calc | | ${n} - 1 |
| | note | say | 本户共 ${n} 人，其中 ${calc} 人在外 | |
"""
    text = document_text(write_paper(write_form(folder, "pipe", md), folder / "pipe.docx"))
    assert "本户共 （第1题） 人，其中 ____ 人在外" in text


def test_unknown_language(folder, skips_form):
    with pytest.raises(InstrumentError) as info:
        write_paper(skips_form, folder / "x.docx", "fr")
    assert info.value.code == "INS050"


@pytest.mark.parametrize("name", ["village", "household", "cadre"])
def test_demo_questionnaires(repo_root, tmp_path, name):
    path = repo_root / "surveys" / f"{name}.xlsx"
    if not path.is_file():
        pytest.skip(f"surveys/{name}.xlsx not written yet")
    docx = write_paper(path, tmp_path / f"{name}.docx", "zh")
    assert cjk_runs_without_east_asian_font(docx) == []
    text = document_text(docx)
    assert "1. " in text and "填写说明" in text

"""Malformed XLSForms: each mistake gives a coded error naming file, sheet, row and column."""

from __future__ import annotations

import openpyxl
import pytest
from instrument_forms import write_form

from analysis.errors import InstrumentError
from analysis.instrument import load_instrument

CHOICES = """
| choices |
| | list_name | name | label |
| | yn | 1 | Yes |
| | yn | 2 | No |
"""
HEAD = "| survey |\n| | type | name | label |\n"

#: name -> (form, code, sheet, row, column, words the message must hold)
MALFORMED = {
    "missing_survey_sheet": (CHOICES, "INS004", "survey", None, None, "no 'survey' sheet"),
    "unknown_type": (
        HEAD + "| | integer | a | A |\n| | intgr | b | B |\n",
        "INS011",
        "survey",
        3,
        "type",
        "unknown question type 'intgr'",
    ),
    "duplicate_name": (
        HEAD + "| | integer | a | A |\n| | text | a | B |\n",
        "INS014",
        "survey",
        3,
        "name",
        "duplicate question name",
    ),
    "unclosed_group": (
        HEAD + "| | begin group | g | G |\n| | integer | a | A |\n",
        "INS015",
        "survey",
        2,
        "type",
        "opened but never closed",
    ),
    "unmatched_end_group": (
        HEAD + "| | integer | a | A |\n| | end group | | |\n",
        "INS016",
        "survey",
        3,
        "type",
        "no matching begin",
    ),
    "choice_list_missing": (
        HEAD + "| | integer | a | A |\n| | select_one zz | b | B |\n" + CHOICES,
        "INS013",
        "survey",
        3,
        "type",
        "not on the choices sheet",
    ),
    "bad_language_header": (
        "| survey |\n| | type | name | label::中文 (zh) | label:English |\n| | integer | a | 年龄 | Age |\n",
        "INS021",
        "survey",
        1,
        "label:English",
        "malformed language column header",
    ),
    "language_without_name": (
        "| survey |\n| | type | name | label::中文 (zh) | hint:: |\n| | integer | a | 年龄 | x |\n",
        "INS021",
        "survey",
        1,
        "hint::",
        "malformed language column header",
    ),
    "missing_name": (
        HEAD + "| | integer | a | A |\n| | integer | | B |\n",
        "INS017",
        "survey",
        3,
        "name",
        "has no name",
    ),
    "missing_type": (
        HEAD + "| | integer | a | A |\n| | | b | B |\n",
        "INS018",
        "survey",
        3,
        "type",
        "has no type",
    ),
    "bad_missing_codes": (
        "| survey |\n| | type | name | label | missing_codes |\n| | integer | a | A | 98 不知道 |\n",
        "INS020",
        "survey",
        2,
        "missing_codes",
        "cannot read missing code",
    ),
    "select_without_list_name": (
        HEAD + "| | select_one | a | A |\n" + CHOICES,
        "INS012",
        "survey",
        2,
        "type",
        "names no choice list",
    ),
    "repeat_count_unknown_field": (
        "| survey |\n| | type | name | label | repeat_count |\n"
        "| | begin repeat | r | R | ${nobody} |\n| | integer | a | A | |\n| | end repeat | | | |\n",
        "INS023",
        "survey",
        2,
        "repeat_count",
        "refers to a question that does not exist",
    ),
    "relevant_unknown_field": (
        "| survey |\n| | type | name | label | relevant |\n| | integer | a | A | |\n| | integer | b | B | ${c} > 1 |\n",
        "INS023",
        "survey",
        3,
        "relevant",
        "Could not find the name 'c'",
    ),
    "malformed_settings": (
        HEAD + "| | integer | a | A |\n| settings |\n| | name | version |\n| | my form! | 1 |\n",
        "INS024",
        "settings",
        2,
        "name",
        "invalid setting",
    ),
    "invalid_name": (
        HEAD + "| | integer | 1st_age | A |\n",
        "INS019",
        "survey",
        2,
        "name",
        "invalid name",
    ),
    "duplicate_choice": (
        HEAD + "| | select_one yn | a | A |\n| choices |\n| | list_name | name | label |\n"
        "| | yn | 1 | Yes |\n| | yn | 1 | No |\n",
        "INS025",
        "choices",
        3,
        "name",
        "duplicate choice name",
    ),
    "calculate_without_calculation": (
        HEAD + "| | integer | a | A |\n| | calculate | c | |\n",
        "INS032",
        "survey",
        3,
        "calculation",
        "has no calculation",
    ),
    "no_type_column": (
        "| survey |\n| | name | label |\n| | a | A |\n",
        "INS026",
        "survey",
        1,
        "type",
        "required column is missing",
    ),
}


@pytest.mark.parametrize("mistake", sorted(MALFORMED))
def test_malformed_form_gives_coded_located_error(tmp_path, mistake):
    md, code, sheet, row, column, words = MALFORMED[mistake]
    path = write_form(tmp_path, mistake, md)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    err = info.value
    assert (err.code, err.sheet, err.row, err.column) == (code, sheet, row, column)
    assert err.file == str(path)
    assert words in err.message
    assert err.hint
    text = str(err)
    assert text.startswith(f"[{code}] ")
    assert f"where: {path}, sheet {sheet}" in text
    if row is not None:
        assert f"row {row}, column {column}" in text


def test_pyxform_row_and_wording_are_kept(tmp_path):
    path = write_form(tmp_path, "dup", HEAD + "| | integer | a | A |\n| | text | a | B |\n")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert "(pyxform: [row : 3] On the 'survey' sheet, the 'name' value 'a' is invalid." in str(
        info.value
    )


def test_duplicate_column_header_in_a_workbook(tmp_path):
    path = tmp_path / "dup_header.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label", "label"])
    sheet.append(["integer", "a", "A", "B"])
    book.save(path)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    err = info.value
    assert (err.code, err.sheet, err.row, err.column) == ("INS022", "survey", 1, "label")
    assert "appears twice" in err.message


def test_corrupted_workbook(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"not really a zip" * 20)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert info.value.code == "INS003"
    assert "cannot be read as a .xlsx workbook" in str(info.value)


def test_pdf_renamed_as_xlsx(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_bytes(b"%PDF-1.4\n" + b"x" * 100)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert info.value.code == "INS003" and info.value.found == "a PDF document"


def test_data_export_is_not_an_xlsform(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("hh_id,age,sex\n1,34,1\n2,51,2\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    err = info.value
    assert (err.code, err.sheet, err.row) == ("INS005", "survey", 1)
    assert "hh_id, age, sex" in err.found


def test_workbook_without_survey_sheet_names_its_sheets(tmp_path):
    path = tmp_path / "data.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Surveys"
    book.active.append(["type", "name", "label"])
    book.active.append(["integer", "a", "A"])
    book.create_sheet("choices").append(["list_name", "name", "label"])
    book.save(path)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert info.value.code == "INS004"
    assert info.value.found == "Surveys, choices"
    assert "'Surveys'" in info.value.hint  # pyxform's spelling suggestion


def test_markdown_without_tables(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# My survey\n\nJust some notes.\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert info.value.code == "INS005"


def test_choices_half_of_a_split_form(tmp_path):
    write_form(tmp_path, "tool", HEAD + "| | select_one yn | a | A |\n" + CHOICES, "split")
    with pytest.raises(InstrumentError) as info:
        load_instrument(tmp_path / "tool_choices.csv")
    assert info.value.code == "INS006"
    assert "tool_survey.csv" in info.value.hint


@pytest.mark.parametrize(("name", "code"), [("form.xml", "INS002"), ("missing.xlsx", "INS001")])
def test_wrong_or_missing_file(tmp_path, name, code):
    path = tmp_path / name
    if name.endswith(".xml"):
        path.write_text("<h:html/>", encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert info.value.code == code and info.value.file == str(path.resolve())


def test_rank_without_list(tmp_path):
    with pytest.raises(InstrumentError) as info:
        load_instrument(write_form(tmp_path, "rank", HEAD + "| | rank | r | R |\n"))
    assert (info.value.code, info.value.row) == ("INS012", 2)


def test_every_row_without_a_type_is_named(tmp_path):
    form = HEAD + "| | integer | a | A |\n| | | | Read this first |\n| | text | b | B |\n"
    form += "| | | | Case 1: only in-person |\n"
    with pytest.raises(InstrumentError) as info:
        load_instrument(write_form(tmp_path, "templ", form, "xlsx"))
    err = info.value
    assert (err.code, err.row, err.found) == ("INS018", 3, "rows 3, 5")
    assert "2 rows of the survey sheet have text but no type (rows 3, 5)" in err.hint

"""Loading XLSForms into the typed Instrument: every type, every column, every file format."""

from __future__ import annotations

import shutil

import pytest
from instrument_forms import ALL_TYPES, write_form

from analysis.errors import InstrumentError
from analysis.instrument import load_instrument
from analysis.instrument.languages import normalise_language


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    return load_instrument(write_form(tmp_path_factory.mktemp("all"), "all", ALL_TYPES))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hh_size", "integer"),
        ("income", "decimal"),
        ("head_name", "text"),
        ("county", "select_one"),
        ("crops", "select_multiple"),
        ("village", "select_one_from_file"),
        ("visit_date", "date"),
        ("visit_time", "datetime"),
        ("meal_time", "time"),
        ("gps", "geopoint"),
        ("intro", "note"),
        ("weight", "calculate"),
        ("ok", "acknowledge"),
        ("score", "range"),
        ("priorities", "rank"),
        ("start", "start"),
        ("end", "end"),
        ("today", "today"),
        ("deviceid", "deviceid"),
        ("username", "username"),
        ("audit", "audit"),
    ],
)
def test_every_question_type_is_typed(form, name, expected):
    assert form[name].type == expected


def test_selects_know_their_lists_or_other_and_file(form):
    assert form["county"].list_name == "county"
    assert form.choices("county").codes == ("1", "2")
    assert form["crops"].or_other and form["crops"].is_multiple
    assert not form["county"].or_other
    assert form["village"].itemset_file == "villages.csv" and form["village"].list_name is None
    assert form["priorities"].list_name == "crop"


def test_labels_hints_and_messages_per_language(form):
    q = form["hh_size"]
    assert q.labels == {"zh": "家庭人口", "en": "Household size"}
    assert q.hints == {"zh": "包括户主", "en": "Include the head"}
    assert q.constraint_message == {"zh": "请填1到30", "en": "Enter 1 to 30"}
    assert form.choices("county").label_of("2", "en") == "Nanping"
    assert form.group("grp_roster").labels["zh"] == "家庭成员"


def test_rule_columns(form):
    assert form["hh_size"].is_required and form["hh_size"].required == "yes"
    assert form["hh_size"].constraint == "(. >= 1 and . <= 30) or . = 98 or . = 99"
    assert form["hh_size"].default == "4"
    assert form["weight"].calculation == "${income} * 2"
    assert form["township"].choice_filter == "county = ${county}"
    assert form["crops"].appearance == "minimal"
    assert form["visit_date"].default == "2024-06-01"
    assert form["score"].parameters == {"start": "0", "end": "10", "step": "1"}
    assert form.group("grp_roster").relevant == "${hh_size} > 1"
    assert form.group("members").repeat_count == "${hh_size}"
    assert form.group("members").appearance == "field-list"


def test_group_path_and_enclosing_repeat(form):
    assert form["m_age"].group_path == ("grp_roster", "members")
    assert form["m_age"].repeat == "members"
    assert form["hh_size"].repeat is None and form["hh_size"].group_path == ()
    assert [q.name for q in form.questions_in("members")] == ["m_name", "m_age"]
    assert [g.name for g in form.repeats] == ["members"]


def test_toolkit_columns(form):
    assert form["hh_size"].missing_codes == {"98": "不知道", "99": "拒答"}
    assert [q.name for q in form.pii_questions] == ["head_name", "m_name"]
    assert form["county"].role == "strata" and form["weight"].role == "weight"


def test_settings(form):
    assert (form.form_id, form.version, form.title) == ("all_types", "2024.1", "全类型测试")
    assert form.default_language == "zh"
    assert form.languages == ("zh", "en")


def test_rows_are_spreadsheet_rows(form):
    assert form["start"].row == 2
    assert form["hh_size"].row == 8
    assert form.group("members").row == 25
    assert form.choices("county").choices[0].row == 2


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("中文 (zh)", "zh"),
        ("Chinese", "zh"),
        ("English (en)", "en"),
        ("English", "en"),
        ("English(en)", "en"),
        ("简体中文", "zh"),
        ("Français", "fr"),
        ("Tetun", "Tetun"),
    ],
)
def test_language_headers_become_codes(header, code):
    assert normalise_language(header) == code


@pytest.mark.parametrize("header", ["Chinese", "中文 (zh)", "Chinese (zh-CN)"])
def test_chinese_label_columns_in_a_form(tmp_path, header):
    md = f"""
| survey |
| | type | name | label::{header} | label::English (en) |
| | integer | age | 年龄 | Age |
"""
    form = load_instrument(write_form(tmp_path, "f", md))
    assert form["age"].labels == {"zh": "年龄", "en": "Age"}
    assert form.language_names[header] == "zh"


def test_two_columns_for_one_language_keep_both_texts(tmp_path):
    md = """
| survey |
| | type | name | label::English | label::English (en) |
| | integer | age | Age | Age in years |
"""
    form = load_instrument(write_form(tmp_path, "f", md))
    assert sorted(form["age"].labels.values()) == ["Age", "Age in years"]


def test_empty_language_column_is_still_declared(tmp_path):
    md = """
| survey |
| | type | name | label::中文 (zh) | label::English (en) |
| | integer | age | 年龄 | |
"""
    assert load_instrument(write_form(tmp_path, "f", md)).languages == ("zh", "en")


@pytest.mark.parametrize("kind", ["md", "xlsx", "csv", "split"])
def test_every_file_format_gives_the_same_instrument(tmp_path, form, kind):
    other = load_instrument(write_form(tmp_path, "all", ALL_TYPES, kind))
    assert other.names == form.names
    assert [q.labels for q in other.questions] == [q.labels for q in form.questions]

    def choices(f):
        return {n: [(c.name, dict(c.labels)) for c in cl] for n, cl in f.choice_lists.items()}

    assert choices(other) == choices(form)
    assert (other.form_id, other.version, other.default_language) == ("all_types", "2024.1", "zh")


def test_gbk_csv_form_from_chinese_excel(tmp_path, form):
    other = load_instrument(write_form(tmp_path, "all", ALL_TYPES, "csv", encoding="gb18030"))
    assert other["hh_size"].labels["zh"] == "家庭人口"
    assert other.names == form.names


def test_split_csv_rows_are_file_rows_even_with_blank_lines(tmp_path):
    (tmp_path / "tool_survey.csv").write_text(
        "type,name,label\n\ninteger,a,A\n,,\nselect_one yn,b,B\n", encoding="utf-8"
    )
    (tmp_path / "tool_choices.csv").write_text(
        "list_name,name,label\nyn,1,Yes\n\nyn,2,No\n", encoding="utf-8"
    )
    form = load_instrument(tmp_path / "tool_survey.csv")
    assert (form["a"].row, form["b"].row) == (3, 5)
    assert form.choices("b").choices[1].row == 4
    assert form.form_id == "tool"


def test_split_csv_error_rows_are_file_rows(tmp_path):
    (tmp_path / "t_survey.csv").write_text(
        "type,name,label\n\n\ninteger,a,A\ninteger,a,B\n", encoding="utf-8"
    )
    with pytest.raises(InstrumentError) as info:
        load_instrument(tmp_path / "t_survey.csv")
    assert (info.value.code, info.value.row) == ("INS014", 5)
    assert "[row : 5]" in info.value.message


def test_real_xls_form(realdata):
    form = load_instrument(realdata / "xlsform" / "pyxform" / "tutorial.xls")
    assert len(form.questions) > 5
    assert all(q.row for q in form.questions if q.name != "instanceID")


def test_xlsx_saved_with_xls_extension_still_loads(tmp_path, form):
    path = write_form(tmp_path, "all", ALL_TYPES, "xlsx")
    renamed = tmp_path / "renamed.xls"
    shutil.copy(path, renamed)
    assert load_instrument(renamed).names == form.names


def test_duplicate_names_in_different_groups_get_their_own_rows(tmp_path):
    md = """
| survey |
| | type | name | label |
| | begin group | g1 | G1 |
| | integer | a | A1 |
| | end group | | |
| | begin group | g2 | G2 |
| | integer | a | A2 |
| | end group | | |
"""
    form = load_instrument(write_form(tmp_path, "f", md))
    rows = [(q.group_path, q.row) for q in form.questions if q.name == "a"]
    assert rows == [(("g1",), 3), (("g2",), 6)]


def test_notes_without_names_keep_their_row(tmp_path):
    md = """
| survey |
| | type | name | label |
| | integer | a | A |
| | note | | Thanks |
"""
    form = load_instrument(write_form(tmp_path, "f", md))
    note = next(q for q in form.questions if q.type == "note")
    assert note.row == 3


def test_loading_is_cached_but_sees_edits(tmp_path):
    path = write_form(
        tmp_path, "f", "| survey |\n| | type | name | label |\n| | integer | a | A |\n"
    )
    assert load_instrument(path) is load_instrument(path)
    path.write_text(
        "| survey |\n| | type | name | label |\n| | integer | b | B |\n", encoding="utf-8"
    )
    import os

    os.utime(path, ns=(1, 2))
    assert load_instrument(path).names[0] == "b"

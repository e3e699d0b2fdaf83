"""``check_instrument``: pyxform's findings plus the toolkit's own checks, as one table."""

from __future__ import annotations

import pytest
from instrument_forms import ALL_TYPES, SKIPS, write_form

from analysis.instrument import load_instrument
from analysis.instrument.check import COLUMNS, check_instrument

PROBLEMS = """
| survey |
| | type | name | label::中文 (zh) | label::English (en) | relevant | constraint | constraint_message::中文 (zh) | missing_codes | pii | role |
| | select_one yn | has_tv | 有电视吗？ | Has a TV? | | | | 9=不知道 | | |
| | integer | age | 年龄 | | ${later} > 1 | . >= 0 and . <= 90 | 0到90 | 98=不知道;99=拒答 | maybe | wieght |
| | begin group | g1 | 第一组 | Group 1 | | | | | | |
| | integer | n | 人数 | Number | | | | | | |
| | end group | | | | | | | | | |
| | begin group | g2 | 第二组 | | | | | | | |
| | integer | n | 人数 | Number | | | | | | |
| | end group | | | | | | | | | |
| | integer | later | 以后 | Later | | | | 1.5=不适用 | | |
| | select_one_from_file villages.csv | village | 村 | Village | | | | | | |
| choices |
| | list_name | name | label::中文 (zh) | label::English (en) |
| | yn | 1 | 是 | Yes |
| | yn | 2 | 否 | |
| | unused | 1 | 甲 | A |
| settings |
| | form_id | default_language | versoin |
| | my form | French | 1 |
"""


@pytest.fixture(scope="module")
def issues(tmp_path_factory):
    return check_instrument(write_form(tmp_path_factory.mktemp("check"), "problems", PROBLEMS))


def _find(issues, code, **where):
    rows = issues[issues["code"] == code]
    for key, value in where.items():
        rows = rows[rows[key] == value]
    return rows


def test_issues_are_a_tidy_table_with_errors_first(issues):
    assert tuple(issues.columns) == COLUMNS
    order = issues["severity"].map({"error": 0, "warning": 1, "info": 2}).tolist()
    assert order == sorted(order)


def test_duplicate_names_across_groups(issues):
    found = _find(issues, "INS101", name="n")
    assert found["row"].tolist() == [5, 8]
    assert (found["severity"] == "error").all()
    assert "g1/n, g2/n" in found["message"].iloc[0]


def test_labels_missing_in_a_declared_language(issues):
    assert _find(issues, "INS102", name="age", column="label::English (en)").shape[0] == 1
    assert _find(issues, "INS102", name="g2", row=7).shape[0] == 1
    choice = _find(issues, "INS103", name="yn/2")
    assert (choice["sheet"].iloc[0], choice["row"].iloc[0]) == ("choices", 3)


def test_constraint_message_missing_in_a_language(issues):
    found = _find(issues, "INS104", name="age")
    assert found["column"].tolist() == ["constraint_message::English (en)"]


def test_missing_codes_rejected_by_constraint_or_not_in_the_list(issues):
    rejected = _find(issues, "INS109", name="age")
    assert sorted(m.split("missing code ")[1][:2] for m in rejected["message"]) == ["98", "99"]
    assert "add `or . = 98`" in rejected["message"].iloc[0]
    assert _find(issues, "INS110", name="has_tv").shape[0] == 1
    assert "not a whole number" in _find(issues, "INS109", name="later")["message"].iloc[0]


def test_skip_depending_on_a_later_question(issues):
    assert _find(issues, "INS108", name="age").shape[0] == 1


def test_pii_and_role_values(issues):
    assert "write yes or no" in _find(issues, "INS111", name="age")["message"].iloc[0]
    role = _find(issues, "INS112", name="age")["message"].iloc[0]
    assert "did you mean 'weight'" in role


def test_roles_used_wrongly(tmp_path):
    md = """
| survey |
| | type | name | label | role |
| | text | a | A | id |
| | integer | b | B | id |
| | text | w | W | weight |
"""
    found = check_instrument(write_form(tmp_path, "roles", md), xform=False)
    assert _find(found, "INS118")["name"].tolist() == ["a", "b"]
    assert _find(found, "INS119")["name"].tolist() == ["w"]


def test_settings_problems(issues):
    assert _find(issues, "INS113").shape[0] == 1
    assert "did you mean 'version'" in _find(issues, "INS114")["message"].iloc[0]
    assert _find(issues, "INS115", column="form_id").shape[0] == 1


def test_unused_list_and_missing_itemset_file(issues):
    assert _find(issues, "INS106", name="unused")["severity"].iloc[0] == "info"
    assert _find(issues, "INS116", name="village").shape[0] == 1


def test_pyxform_warnings_are_included(issues):
    assert _find(issues, "INS117").shape[0] >= 1


def test_unknown_references_in_an_instrument_built_by_hand(tmp_path):
    from dataclasses import replace

    form = load_instrument(write_form(tmp_path, "skips", SKIPS))
    broken = replace(
        form,
        questions=tuple(
            replace(q, relevant="${has_tvv} = '1'") if q.name == "n_tv" else q
            for q in form.questions
        ),
    )
    found = check_instrument(broken, xform=False)
    row = found[found["code"] == "INS107"].iloc[0]
    assert (row["name"], row["column"], row["row"]) == ("n_tv", "relevant", 3)
    assert "did you mean 'has_tv'" in row["message"]


def test_references_to_the_last_saved_record_are_known(tmp_path):
    form = write_form(
        tmp_path,
        "last",
        """
| survey |
| | type | name | label | relevant |
| | integer | age | Age (last time: ${last-saved#age}) | |
| | integer | n | How many? | ${last-saved#age} = '' |
""",
    )
    found = check_instrument(form, xform=False)
    assert not (found["severity"] == "error").any(), found.to_string()


def test_unreadable_form_is_one_error_row(tmp_path):
    path = write_form(
        tmp_path, "bad", "| survey |\n| | type | name | label |\n| | intgr | a | A |\n"
    )
    found = check_instrument(path)
    assert found[["severity", "code", "row", "column"]].values.tolist() == [
        ["error", "INS011", 2, "type"]
    ]


def test_clean_forms_have_no_errors(tmp_path):
    for md in (ALL_TYPES, SKIPS):
        found = check_instrument(write_form(tmp_path, "f", md))
        assert not (found["severity"] == "error").any(), found.to_string()


def test_every_instrument_error_code_is_documented(repo_root):
    import re

    docs = (repo_root / "docs" / "errors" / "instrument.md").read_text(encoding="utf-8")
    used = set()
    for path in (repo_root / "analysis").rglob("*.py"):
        used |= set(re.findall(r"\"(INS\d{3})\"", path.read_text(encoding="utf-8")))
    assert used, "no INS codes found"
    assert sorted(code for code in used if code not in docs) == []

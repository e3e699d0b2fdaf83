"""analysis.entry.verdicts: the form's rules on one questionnaire, by the toolkit's one engine."""

from __future__ import annotations

import pandas as pd
import pytest
from entry_support import FIXTURES

from analysis.entry.answers import Answers
from analysis.entry.verdicts import check, probe_form
from analysis.expressions import BadExpression, evaluate
from analysis.instrument import load_instrument


@pytest.fixture(scope="module")
def household():
    return load_instrument(FIXTURES / "household.md")


def _form(tmp_path, rows: str, choices: str = ""):
    text = "| survey |\n" + rows
    if choices:
        text += "| choices |\n" + choices
    path = tmp_path / "form.md"
    path.write_text(text, encoding="utf-8")
    return load_instrument(path)


def test_skipped_answer_is_hidden_cleared_and_not_required(household):
    typed = Answers({"hh_id": "H001", "has_tv": "2", "tv_count": "3"})
    result = check(household, typed, key="hh_id")
    assert result.fields["tv_count"].relevant is False
    assert result.fields["tv_count"].error is None
    assert result.answers.get("tv_count") == ""


def test_relevant_required_question_left_empty_blocks_saving(household):
    result = check(household, Answers({"hh_id": "H001", "has_tv": "1"}), key="hh_id")
    assert result.fields["tv_count"].problem == "required"
    assert not result.ok


def test_constraint_message_in_both_languages(household):
    result = check(household, Answers({"hh_id": "H001", "hh_size": "25"}), key="hh_id")
    state = result.fields["hh_size"]
    assert state.problem == "constraint"
    assert state.error == {
        "zh": "家庭人口应在 1 到 20 之间",
        "en": "Household size must be 1 to 20",
    }


def test_constraint_inside_a_repeat_is_per_row(household):
    rows = {
        "members": [
            Answers({"m_name": "甲", "m_age": "130"}),
            Answers({"m_name": "乙", "m_age": "8"}),
        ]
    }
    result = check(household, Answers({"hh_id": "H001"}, rows), key="hh_id")
    assert result.fields["members[1]/m_age"].problem == "constraint"
    assert result.fields["members[2]/m_age"].error is None


def test_calculation_counts_the_repeat_rows(household):
    rows = {
        "members": [Answers({"m_name": "甲"}), Answers({"m_name": "乙"}), Answers({"m_name": "丙"})]
    }
    result = check(household, Answers({"hh_id": "H001"}, rows), key="hh_id")
    assert result.fields["n_members"].value == "3"
    assert result.answers.get("n_members") == "3"


def test_type_and_choice_errors_come_before_constraints(household):
    result = check(
        household, Answers({"hh_id": "H001", "hh_size": "三", "has_tv": "7"}), key="hh_id"
    )
    assert result.fields["hh_size"].problem == "type"
    assert result.fields["has_tv"].problem == "choice"


def test_the_key_is_required(household):
    assert check(household, Answers({}), key="hh_id").fields["hh_id"].problem == "required"


def test_saving_drops_rows_left_empty(household):
    rows = {"members": [Answers({"m_name": "甲"}), Answers({}), Answers({"m_name": ""})]}
    result = check(household, Answers({"hh_id": "H001"}, rows), key="hh_id", final=True)
    assert len(result.answers.rows("members")) == 1


def test_group_relevance_is_inherited_and_chains_clear(tmp_path):
    form = _form(
        tmp_path,
        "| | type | name | label | relevant | calculation |\n"
        "| | integer | a | A | | |\n"
        "| | begin_group | g | G | ${a} > 1 | |\n"
        "| | integer | b | B | | |\n"
        "| | end_group | | | | |\n"
        "| | integer | c | C | ${b} > 0 | |\n"
        "| | calculate | twice | | | ${a} * 2 |\n",
    )
    result = check(form, Answers({"a": "1", "b": "5", "c": "9"}))
    assert result.groups["g"] is False
    assert result.fields["b"].relevant is False and result.answers.get("b") == ""
    # c depends on b, which was cleared: c is skipped too (ODK clears before it reads).
    assert result.fields["c"].relevant is False and result.answers.get("c") == ""
    assert result.answers.get("twice") == "2"


def test_repeat_count_and_choice_filter(tmp_path):
    form = _form(
        tmp_path,
        "| | type | name | label | repeat_count | choice_filter |\n"
        "| | integer | n | N | | |\n"
        "| | select_one county | county | County | | |\n"
        "| | select_one town | town | Town | | county = ${county} |\n"
        "| | begin_repeat | kids | Kids | ${n} | |\n"
        "| | text | kid | Kid | | |\n"
        "| | end_repeat | | | | |\n",
        "| | list_name | name | label | county |\n"
        "| | county | 1 | East | |\n"
        "| | county | 2 | West | |\n"
        "| | town | 11 | E1 | 1 |\n"
        "| | town | 12 | E2 | 1 |\n"
        "| | town | 21 | W1 | 2 |\n",
    )
    result = check(form, Answers({"n": "3", "county": "1", "town": "21"}))
    assert result.counts["kids"] == 3
    assert result.fields["town"].choices == ("11", "12")
    assert result.fields["town"].problem == "choice"
    assert check(form, Answers({"county": "2", "town": "21"})).ok


def test_a_bad_expression_fails_when_the_form_is_served(tmp_path):
    form = _form(
        tmp_path, "| | type | name | label | relevant |\n| | integer | a | A | nosuchfn(${a}) |\n"
    )
    with pytest.raises(BadExpression):
        probe_form(form, "a")


def test_entry_rules_agree_with_the_engine_on_a_whole_wave(household):
    """The screen's verdicts equal the engine's vectorised evaluation over many records."""
    records = []
    for i in range(40):
        records.append(
            {
                "hh_id": f"H{i:03d}",
                "village_id": str(i * 37 % 1100),
                "hh_size": str(i % 23),
                "has_tv": ["1", "2", ""][i % 3],
                "tv_count": str(i % 12),
                "info_sources": ["", "9", "1 9", "3"][i % 4],
                "info_other": "x",
            }
        )
    frame = pd.DataFrame(records)
    relevant_tv = evaluate(household["tv_count"].relevant, frame, instrument=household).tolist()
    relevant_other = evaluate(
        household["info_other"].relevant, frame, instrument=household
    ).tolist()
    size_ok = evaluate(
        household["hh_size"].constraint, frame, instrument=household, current="hh_size"
    ).tolist()
    village_ok = evaluate(
        household["village_id"].constraint, frame, instrument=household, current="village_id"
    ).tolist()
    for i, values in enumerate(records):
        result = check(household, Answers(values), key="hh_id")
        assert result.fields["tv_count"].relevant == bool(relevant_tv[i])
        assert result.fields["info_other"].relevant == bool(relevant_other[i])
        assert (result.fields["hh_size"].problem == "constraint") == (not size_ok[i])
        assert (result.fields["village_id"].problem == "constraint") == (not village_ok[i])


def test_a_calculated_key_must_not_be_empty(tmp_path):
    form = _form(
        tmp_path,
        "| | type | name | label | calculation |\n"
        "| | text | village_id | Village | |\n"
        "| | integer | hh_no | Number | |\n"
        "| | calculate | hh_id | | concat(${village_id}, ${hh_no}) |\n",
    )
    empty = check(form, Answers({}), key="hh_id", final=True)
    assert not empty.ok
    assert empty.fields["hh_id"].problem == "required"
    assert "village" not in empty.fields["hh_id"].error["en"]  # names the key, in both languages
    assert "hh_id" in empty.fields["hh_id"].error["zh"]
    typed = check(form, Answers({"village_id": "110203", "hh_no": "7"}), key="hh_id", final=True)
    assert typed.ok and typed.answers.get("hh_id") == "1102037"

"""analysis.entry.verdicts: the form applied to one questionnaire by check_form, the engine's form rules."""

from __future__ import annotations

import pandas as pd
import pytest
from entry_support import FIXTURES
from instrument_forms import write_form

from analysis.entry.answers import Answers
from analysis.entry.verdicts import check, check_many, probe_form
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


def test_nine_chained_calculations_listed_in_reverse_order(tmp_path):
    """Each calculation reads the next row down: computed in dependency order, not form order."""
    calculation = {i: "${c" + str(i - 1) + "} + 1" for i in range(2, 10)} | {1: "1"}
    rows = "".join(f"| | calculate | c{i} | | {calculation[i]} |\n" for i in range(9, 0, -1))
    form = _form(tmp_path, "| | type | name | label | calculation |\n" + rows)
    result = check(form, Answers({}), final=True)
    assert result.ok
    assert [result.answers.get(f"c{i}") for i in range(1, 10)] == [str(i) for i in range(1, 10)]
    assert [result.fields[f"c{i}"].value for i in range(7, 10)] == ["7", "8", "9"]


def test_a_cycle_is_an_error_naming_it(tmp_path):
    form = _form(
        tmp_path,
        "| | type | name | label | calculation |\n"
        "| | calculate | a | | ${b} + 1 |\n"
        "| | calculate | b | | ${a} + 1 |\n",
    )
    with pytest.raises(BadExpression) as caught:
        check(form, Answers({}))
    assert caught.value.code == "EXP010" and "a -> b -> a" in str(caught.value)


#: The demo household form's chain: a repeat calculation, a sum over the repeat, a required
#: question relevant through the sum.
KIDS = """
| survey |
| | type | name | label | required | relevant | calculation |
| | text | hh_id | Household | yes | | |
| | begin_repeat | members | Members | | | |
| | integer | m_age | Age | yes | | |
| | calculate | kid | | | | if(${m_age} <= 15, 1, 0) |
| | end_repeat | | | | | |
| | calculate | n_kids | | | | sum(${kid}) |
| | select_one yesno | in_school | All in school? | yes | ${n_kids} > 0 | |
| choices |
| | list_name | name | label |
| | yesno | 1 | Yes |
| | yesno | 2 | No |
"""


@pytest.fixture(scope="module")
def kids_form(tmp_path_factory):
    return load_instrument(write_form(tmp_path_factory.mktemp("kids"), "kids", KIDS))


def test_relevance_through_a_calculation_keeps_the_answer(kids_form):
    """The answer whose relevance depends on a calculation over the roster is kept and saved."""
    roster = {"members": [Answers({"m_age": "40"}), Answers({"m_age": "9"})]}
    typed = Answers({"hh_id": "H1", "in_school": "1"}, roster)
    result = check(kids_form, typed, key="hh_id", final=True)
    assert result.ok, result.problems()
    assert result.fields["in_school"].relevant and result.fields["in_school"].required
    assert result.answers.get("in_school") == "1"
    assert result.answers.get("n_kids") == "1"
    assert [r.get("kid") for r in result.answers.rows("members")] == ["0", "1"]


def test_relevance_through_a_calculation_skips_and_requires(kids_form):
    adults = {"members": [Answers({"m_age": "40"})]}
    skipped = check(kids_form, Answers({"hh_id": "H1", "in_school": "1"}, adults), key="hh_id")
    assert skipped.ok and skipped.fields["in_school"].relevant is False
    assert skipped.answers.get("in_school") == ""
    with_kid = {"members": [Answers({"m_age": "40"}), Answers({"m_age": "12"})]}
    missing = check(kids_form, Answers({"hh_id": "H1"}, with_kid), key="hh_id")
    assert missing.problems().keys() == {"in_school"}
    assert missing.fields["in_school"].problem == "required"
    assert missing.fields["in_school"].error["zh"] == "此题必答。"


def test_check_many_equals_check_one_by_one(kids_form):
    papers = [
        Answers({"hh_id": "H1", "in_school": "2"}, {"members": [Answers({"m_age": "7"})]}),
        Answers({"hh_id": "H2", "in_school": "1"}, {"members": [Answers({"m_age": "70"})]}),
        Answers({"hh_id": "", "in_school": ""}, {"members": [Answers({"m_age": "x"})]}),
        Answers({"hh_id": "H4"}),
    ]
    together = check_many(kids_form, papers, key="hh_id", final=True)
    for paper, result in zip(papers, together, strict=True):
        alone = check(kids_form, paper, key="hh_id", final=True)
        assert result.to_json() == alone.to_json()
        assert result.answers == alone.answers


def test_labels_pipe_answers_and_surplus_rows_are_counted():
    form = load_instrument(FIXTURES / "roster.md")
    rows = tuple(Answers({"m_name": n}) for n in ("a", "b", "c"))
    result = check(form, Answers({"hh_id": "H1", "hh_size": "1"}, {"members": rows}))
    assert result.labels["members"] == {
        "zh": "家庭成员（共 1 人）",
        "en": "Household members (1 people)",
    }
    assert result.labels["summary"]["zh"] == "本户 1 人，已登记 3 行"
    assert result.surplus() == {"members": 2}
    assert check(form, Answers({"hh_size": "3"}, {"members": rows})).surplus() == {}


PIPED_FORM = """| survey |
|        | type         | name    | label::中文 (zh)       | label::English (en)  | hint::中文 (zh)            | hint::English (en)        | repeat_count |
|        | text         | hh_id   | 户编号                 | Household number     |                            |                           |              |
|        | text         | head    | 户主                   | Head                 |                            |                           |              |
|        | integer      | hh_size | 家庭人口               | Household size       | 包括户主 ${head}           | Including ${head}         |              |
|        | begin_repeat | members | 成员                   | Members              |                            |                           | ${hh_size}   |
|        | text         | m_name  | 姓名                   | Name                 |                            |                           |              |
|        | integer      | m_age   | 年龄（${head} 家）     | Age (${head}'s)      | 共 ${hh_size} 人 ${m_name} | ${hh_size} people         |              |
|        | end_repeat   |         |                        |                      |                            |                           |              |
| settings |
|          | form_title | form_id | default_language |
|          | piped      | piped   | 中文 (zh)        |
"""


def test_hints_and_repeat_column_heads_pipe_answers(tmp_path):
    path = tmp_path / "piped.md"
    path.write_text(PIPED_FORM, encoding="utf-8")
    form = load_instrument(path)
    rows = (Answers({"m_name": "a"}), Answers({"m_name": "b"}))
    result = check(form, Answers({"hh_id": "H1", "head": "王", "hh_size": "2"}, {"members": rows}))
    assert result.hints["hh_size"] == {"zh": "包括户主 王", "en": "Including 王"}
    # In a row, a hint sees the row's own answers; in the column head, the row's are ''.
    assert result.hints["members[2]/m_age"]["zh"] == "共 2 人 b"
    assert result.heads["members/m_age"] == {
        "label": {"zh": "年龄（王 家）", "en": "Age (王's)"},
        "hint": {"zh": "共 2 人 ", "en": "2 people"},
    }
    assert "members/m_name" not in result.heads
    assert result.to_json()["heads"]["members/m_age"]["label"]["zh"] == "年龄（王 家）"

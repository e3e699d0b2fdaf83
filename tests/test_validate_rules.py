"""The form's own rules on the data: constraints, required, relevance, calculations, repeats."""

from __future__ import annotations

import pandas as pd
import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.readers import RawData, RawMetadata
from analysis.validate import validate

ROSTER = """
| survey |
| | type | name | label | required | relevant | constraint | calculation | repeat_count | role |
| | text | hh_id | Id | yes | | | | | id |
| | integer | hh_size | Size | yes | | . >= 1 | | |
| | begin group | grp | Group | | ${hh_size} > 0 | | | |
| | begin repeat | members | Members | | | | | ${hh_size} |
| | integer | m_age | Age | yes | | . >= 0 and . <= 110 | | |
| | end repeat | | | | | | | |
| | end group | | | | | | | |
| | calculate | n_members | | | | | count(${m_age}) | |
"""


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"))


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"), ROSTER)


def test_constraint_uses_the_forms_message_in_the_language_asked(household):
    data = raw([good_household(0), good_household(1, age=160, double_age="320")])
    zh = issues_of(validate(data, household, name="household", lang="zh"), "VAL120")
    en = issues_of(validate(data, household, name="household", lang="en"), "VAL120")
    assert zh["message"].tolist() == ["年龄应在16到110岁之间（当前值：160）"]
    assert en["message"].tolist() == ["Age must be 16 to 110 (value: 160)"]
    assert zh["rule"].tolist() == ["(. >= 16 and . <= 110) or . = 98 or . = 99"]
    assert zh["key"].tolist() == ["H001"]


def test_required_only_where_relevant(household):
    data = raw([good_household(1, has_tv="1", n_tv=None), good_household(2, has_tv="2", n_tv=None)])
    found = issues_of(validate(data, household, name="household", lang="en"), "VAL121")
    assert found["source_row"].tolist() == [2]
    assert found["message"].tolist() == ["n_tv is required but empty"]


def test_answered_though_not_relevant(household):
    data = raw([good_household(0, has_tv="2", n_tv=2)])
    found = issues_of(validate(data, household, name="household", lang="en"), "VAL122")
    assert found["variable"].tolist() == ["n_tv"]
    assert found["value"].tolist() == ["2"]
    assert found["rule"].tolist() == ["${has_tv} = '1'"]


def test_calculation_recomputed(household):
    data = raw([good_household(0), good_household(1, double_age="999")])
    found = issues_of(validate(data, household, name="household", lang="en"), "VAL123")
    assert found["source_row"].tolist() == [3]
    assert found["message"].iloc[0] == "double_age holds '999' but its calculation gives '62'"


def test_the_same_number_written_differently_is_no_calculation_issue(household):
    data = raw([good_household(0, double_age="60.0")])
    assert issues_of(validate(data, household, name="household"), "VAL123").empty


def _roster_data(sizes: list[int], ages: list[list[int]], orphan: bool = False) -> RawData:
    main = pd.DataFrame(
        {
            "_key": [f"h{i}" for i in range(len(sizes))],
            "_source_row": range(2, len(sizes) + 2),
            "hh_id": [f"H{i}" for i in range(len(sizes))],
            "hh_size": pd.array(sizes, dtype="Int64"),
            "n_members": [str(len(a)) for a in ages],
        }
    )
    rows = [(f"h{i}", a) for i, group in enumerate(ages) for a in group]
    if orphan:
        rows.append(("h99", 30))
    members = pd.DataFrame(
        {
            "_key": [f"m{j}" for j in range(len(rows))],
            "_parent_key": [p for p, _ in rows],
            "_source_row": range(2, len(rows) + 2),
            "m_age": pd.array([a for _, a in rows], dtype="Int64"),
        }
    )
    return RawData(main, {"members": members}, RawMetadata(format="csv"))


def test_repeat_rows_are_checked_and_located(roster):
    result = validate(_roster_data([2, 1], [[40, 200], [30]]), roster, name="hh", lang="en")
    found = issues_of(result, "VAL120")
    assert found["table"].tolist() == ["members"]
    assert found["key"].tolist() == ["H0"]  # the household the member belongs to
    assert found["record"].tolist() == ["m1"]


def test_repeat_count_differs(roster):
    result = validate(_roster_data([3, 1], [[40, 20], [30]]), roster, name="hh", lang="en")
    found = issues_of(result, "VAL124")
    assert found["key"].tolist() == ["H0"]
    assert found["value"].tolist() == ["2 / 3"]


def test_repeat_row_without_its_parent(roster):
    result = validate(_roster_data([1], [[40]], orphan=True), roster, name="hh", lang="en")
    found = issues_of(result, "VAL126")
    assert found["record"].tolist() == ["m1"]
    assert found["value"].tolist() == ["h99"]


def test_a_broken_expression_is_an_issue_not_a_traceback(tmp_path):
    md = """
| survey |
| | type | name | label | constraint |
| | integer | age | Age | . > no_such_function(3) |
"""
    result = validate(raw([{"age": 3}]), form(tmp_path, md), name="f", lang="en")
    found = issues_of(result, "VAL190")
    assert len(found) == 1
    assert "no_such_function" in found["message"].iloc[0]


def test_question_absent_from_the_data(household):
    data = raw([good_household(0)])
    data = RawData(data.data.drop(columns=["income"]), {}, data.metadata)
    found = issues_of(validate(data, household, name="household", lang="en"), "VAL125")
    assert found["variable"].tolist() == ["income"]
    assert found["source_row"].isna().all()


def test_empty_record_is_reported_once(household):
    records = [good_household(0), {k: None for k in good_household(1)}]
    found = issues_of(validate(raw(records), household, name="household"))
    assert found[found["source_row"] == 3]["code"].tolist() == ["VAL128"]

"""A function the engine does not evaluate costs only the rules that use it: uuid(),
once(), random(), now() and today() calculations are understood; pulldata() and the like
switch off their own rules (and those reading them through calculations), reported in one
warning per function, and every other rule is still checked."""

from __future__ import annotations

import pandas as pd
import pytest
from validate_support import form, issues_of, raw

from analysis.expressions import check_form
from analysis.validate import validate

KOBO = """
| survey |
| | type | name | label | constraint | relevant | calculation | required |
| | calculate | person_id | | | | uuid() | |
| | calculate | first_seen | | | | once(now()) | |
| | calculate | draw | | | | once(random()) | |
| | calculate | today_year | | | | format-date(today(), '%Y') | |
| | integer | age | Age | . < 130 | | | yes |
| | text | job | Job | | ${age} >= 16 | | |
| | calculate | double_age | | | | ${age} * 2 | |
"""


def _records(n: int = 3, **changes) -> list[dict]:
    rows = [
        {
            "person_id": f"p-{i}",
            "first_seen": "2024-07-01T09:00:00",
            "draw": f"0.{i + 1}",
            "today_year": "2024",
            "age": 30 + i,
            "job": "farmer",
            "double_age": str((30 + i) * 2),
        }
        for i in range(n)
    ]
    for i, row in enumerate(rows):
        row.update({k: v[i] for k, v in changes.items()})
    return rows


def test_uuid_once_random_calculations_leave_every_rule_checked(tmp_path):
    inst = form(tmp_path, KOBO)
    records = _records(
        age=[30, 200, 10], job=["farmer", "", "student"], double_age=["60", "1", "20"]
    )
    result = validate(raw(records), inst, name="kobo", lang="en")
    assert issues_of(result, "VAL190").empty and issues_of(result, "VAL191").empty
    assert issues_of(result, "VAL120")["variable"].tolist() == ["age"]  # constraint
    assert issues_of(result, "VAL122")["variable"].tolist() == ["job"]  # relevance
    assert issues_of(result, "VAL123")["variable"].tolist() == ["double_age"]  # calculation
    # the exported values are the calculations' values, not recomputed
    check = check_form(inst, raw(records).data)
    assert check.values["person_id"].tolist() == ["p-0", "p-1", "p-2"]
    assert check.values["draw"].tolist() == ["0.1", "0.2", "0.3"]
    assert not check.skipped


UNSUPPORTED = """
| survey |
| | type | name | label | constraint | relevant | calculation |
| | text | hh_id | Household | | | |
| | calculate | village | | | | pulldata('households', 'village', 'hh_id', ${hh_id}) |
| | calculate | region | | | | pulldata('villages', 'region', 'village', ${village}) |
| | calculate | hidden_calc | | | | concat(${village}, '-', ${hh_id}) |
| | integer | size | Size | . <= pulldata('villages', 'max', 'v', ${village}) | | |
| | text | head | Head | | ${region} = 'north' | |
| | integer | age | Age | . < 130 | | |
| | text | job | Job | | ${age} >= 16 | |
| | text | note | Note | | digest(${hh_id}, 'MD5') != '' | |
"""


def test_unsupported_functions_cost_only_their_own_rules(tmp_path):
    inst = form(tmp_path, UNSUPPORTED)
    records = [
        {"hh_id": "H1", "village": "V1", "size": 3, "head": "x", "age": 200, "job": ""},
        {"hh_id": "H2", "village": "V2", "size": 4, "head": "", "age": 10, "job": "pupil"},
    ]
    result = validate(raw(records), inst, name="f", lang="en")
    # the other rules still run
    assert issues_of(result, "VAL120")["variable"].tolist() == ["age"]
    assert issues_of(result, "VAL122")["variable"].tolist() == ["job"]
    assert issues_of(result, "VAL190").empty
    warnings = issues_of(result, "VAL191")
    assert sorted(warnings["rule"]) == ["digest()", "pulldata()"]
    assert set(warnings["severity"]) == {"warning"}
    pull = warnings[warnings["rule"] == "pulldata()"]["message"].iloc[0]
    # region is not exported: head's relevance depends on it through the calculation
    assert "region (calculation)" in pull and "size (constraint)" in pull
    assert "head (relevant, through region)" in pull
    # village is exported: its value is the phone's, and rules reading it still run
    assert "hidden_calc" not in pull and "village (calculation)" in pull
    digest = warnings[warnings["rule"] == "digest()"]["message"].iloc[0]
    assert "note (relevant)" in digest


def test_skipped_relevance_keeps_constraints_and_drops_required(tmp_path):
    md = """
| survey |
| | type | name | label | constraint | relevant | required |
| | begin_group | g | G | | pulldata('f', 'x', 'k', 'v') = 1 | |
| | integer | n | N | . < 10 | | yes |
| | end_group | g | | | | |
| | integer | m | M | . < 10 | | yes |
"""
    inst = form(tmp_path, md)
    check = check_form(inst, pd.DataFrame({"n": [20, None], "m": [None, 30]}))
    assert check.constraint_ok["n"].tolist() == [False, True]
    assert "n" not in check.required_ok and check.required_ok["m"].tolist() == [False, True]
    assert {(s.owner, s.column) for s in check.skipped} == {("g", "relevant"), ("n", "required")}


def test_a_uuid_calculation_not_exported_costs_its_readers_only(tmp_path):
    md = """
| survey |
| | type | name | label | constraint | calculation |
| | calculate | token | | | uuid() |
| | text | code | Code | . = ${token} | |
| | integer | age | Age | . < 130 | |
"""
    check = check_form(form(tmp_path, md), pd.DataFrame({"code": ["a"], "age": [200]}))
    assert [(s.owner, s.column, s.cause, s.via) for s in check.skipped] == [
        ("code", "constraint", "uuid()", "token")
    ]
    assert check.constraint_ok["age"].tolist() == [False]


def test_the_uuid_calculations_of_a_real_kobo_form(realdata, tmp_path):
    # the whole MSNA template does not load (a row without a type); its uuid() rows do
    path = realdata / "xlsform" / "reach_impact" / "analysistools_MSNA_template_survey.csv"
    if not path.exists():
        pytest.skip(f"{path.name} is not in ../shared/realdata")
    survey = pd.read_csv(path, dtype=str).fillna("")
    rows = survey[survey["calculation"].str.contains("uuid(", regex=False)]
    assert len(rows), "the MSNA template computes ids with uuid()"
    lines = [f"| | calculate | {r['name']} | | | {r['calculation']} |" for _, r in rows.iterrows()]
    md = "\n".join(
        [
            "| survey |",
            "| | type | name | label | constraint | calculation |",
            *lines,
            "| | integer | age | Age | . < 130 | |",
        ]
    )
    inst = form(tmp_path, md)
    names = list(rows["name"])
    data = pd.DataFrame({name: [f"id-{i}" for i in range(2)] for name in names} | {"age": [1, 200]})
    check = check_form(inst, data)
    assert not check.skipped
    assert check.constraint_ok["age"].tolist() == [True, False]
    for name in names:
        assert check.values[name].tolist() == ["id-0", "id-1"]

"""Calculations are read with the type of their values: numbers are numbers."""

from __future__ import annotations

from instrument_forms import write_form

from analysis import load_instrument, read_raw
from analysis.expressions.kinds import value_kind
from analysis.readers.canonical import calculated_type

FORM = """
| survey |
| | type | name | label | calculation | bind::type |
| | text | village | Village | | |
| | integer | hh_no | Household number | | |
| | decimal | w_village | Village weight | | |
| | calculate | weight | | round(${w_village} * 20 div 3, 4) | |
| | calculate | hh_id | | concat(${village}, ${hh_no}) | |
| | calculate | big | | if(${hh_no} > 5, 1, '') | |
| | calculate | copy_weight | | ${weight} | |
| | calculate | code_as_number | | ${village} | decimal |
| | calculate | kept_text | | ${hh_no} * 1 | string |
| | calculate | visit | | today() | |
"""


def test_the_kind_of_a_calculation_comes_from_its_expression():
    assert value_kind("sum(${flag})") == "number"
    assert value_kind("${a} > 1 and ${b}") == "boolean"
    assert value_kind("coalesce(${a}, 'x')") is None
    assert value_kind("if(${a}, 'yes', 2)") is None  # branches disagree: not known
    assert value_kind("concat(") is None  # unparsable: not known, kept as text


def test_calculations_are_typed_from_the_form(tmp_path):
    form = load_instrument(write_form(tmp_path, "calc", FORM, kind="xlsx"))
    types = {
        q.name: calculated_type(form, q)
        for q in form.questions
        if q.type == "calculate" and q.name != "instanceID"
    }
    assert types == {
        "weight": "decimal",
        "hh_id": None,
        "big": "decimal",
        "copy_weight": "decimal",
        "code_as_number": "decimal",
        "kept_text": None,
        "visit": "date",
    }
    csv = tmp_path / "calc.csv"
    csv.write_text(
        "village,hh_no,w_village,weight,hh_id,big,copy_weight,code_as_number,kept_text,visit\n"
        "0101,7,12.5,83.3333,01017,1,83.3333,0101,7,2024-05-01\n",
        encoding="utf-8",
    )
    data = read_raw(csv, form).data
    assert data["weight"].tolist() == [83.3333] and data["weight"].dtype == "float64"
    assert data["code_as_number"].tolist() == [101.0]
    assert data["hh_id"].tolist() == ["01017"]  # text keeps its leading zero
    assert data["kept_text"].tolist() == ["7"]
    assert str(data["visit"].iloc[0].date()) == "2024-05-01"


def test_a_question_read_twice_in_one_calculation_keeps_its_kind(tmp_path):
    form = load_instrument(
        write_form(
            tmp_path,
            "twice",
            """
| survey |
| | type | name | label | calculation |
| | integer | a | A | |
| | calculate | c | | if(${a} > 1, ${a}, ${a}) |
""",
            kind="xlsx",
        )
    )
    assert calculated_type(form, form.question("c")) == "decimal"

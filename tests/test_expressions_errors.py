"""Bad expressions give coded errors with the position (and, from a form, the question and row)."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import BaicunError, ExpressionError
from analysis.expressions import CODES, BadExpression, FormData, Repeat, evaluate, parse
from analysis.expressions.forms import calculation_order, check_form
from analysis.instrument.model import Group, Instrument, Question

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors" / "expressions.md"

# (expression, code, 1-based position of the problem)
SYNTAX = [
    ("(${a} + 1", "EXP003", 1),  # unbalanced: never closed
    ("${a} + 1)", "EXP003", 9),  # unbalanced: extra ')'
    ("if(${a} = 1, 2, 3", "EXP003", 3),
    ("frobnicate(${a})", "EXP007", 1),  # unknown function
    ("Count(${a})", "EXP007", 1),  # function names are case-sensitive
    ("random()", "EXP007", 1),  # supported by ODK but not reproducible
    ("count()", "EXP008", 1),  # wrong arity
    ("substr('a')", "EXP008", 1),
    ("if(1, 2)", "EXP008", 1),
    ("today(1)", "EXP008", 1),
    ("weighted-checklist(1, 2, true())", "EXP008", 1),
    ("${} = 1", "EXP006", 1),  # empty ${}
    ("${a = 1", "EXP006", 1),  # missing }
    ("${a b} = 1", "EXP006", 1),  # space in a name
    ("'abc = ${a}", "EXP002", 1),  # unterminated string
    ("${a} = 'x", "EXP002", 8),
    ("${a} +", "EXP004", 7),  # operand missing at the end
    ("${a} 1", "EXP004", 6),  # operator missing
    ("${a} == 1", "EXP004", 6),
    ("${a} = 1 && ${b} = 2", "EXP004", 10),
    ("${a} <> 1", "EXP004", 6),
    ("concat(${a}, , 'x')", "EXP004", 14),
    ("()", "EXP004", 2),
    ("", "EXP005", None),
    ("   ", "EXP005", None),
    ("${a} = （1）", "EXP001", 8),  # full-width bracket from a Chinese keyboard
    ("${a}，${b}", "EXP001", 5),
    ("${a} # 1", "EXP001", 6),
    ("${a}[1]", "EXP011", 5),  # predicate
    ("${a} | ${b}", "EXP011", 6),  # union
    ("//a", "EXP011", 1),
    ("@a", "EXP011", 1),
    ("$var + 1", "EXP011", 1),
    ("instance('cities')/root/item", "EXP024", 1),
    ("pulldata('f', 'a', 'b', ${x})", "EXP024", 1),
    ("selected(${a}, 1)", "EXP018", 16),  # the choice must be quoted
    ("format-date(${d}, '%Q')", "EXP015", 19),
    ("regex(${a}, '[a-')", "EXP016", 13),
    ("1.2.3", "EXP022", 1),
]


@pytest.mark.parametrize(
    ("expr", "code", "position"), SYNTAX, ids=[s[0] or "<empty>" for s in SYNTAX]
)
def test_syntax_errors_are_coded_and_located(expr, code, position):
    with pytest.raises(BadExpression) as info:
        parse(expr)
    err = info.value
    assert err.code == code
    assert err.position == position
    if expr.strip():
        assert err.expression == expr
        assert "^" in str(err)  # a caret under the position
    assert isinstance(err, ExpressionError) and isinstance(err, BaicunError)
    assert err.hint or err.message


def test_at_least_twenty_bad_expressions():
    assert len(SYNTAX) >= 20
    assert len({code for _, code, _ in SYNTAX}) >= 12


DATA = pd.DataFrame({"age": [30, 12], "crops": ["a b", ""]})


@pytest.mark.parametrize(
    ("expr", "kwargs", "code", "position"),
    [
        ("${agee} > 5", {}, "EXP009", 1),  # unknown field
        ("1 + ${missing}", {}, "EXP009", 5),
        (". > 5", {}, "EXP017", 1),  # '.' without a current question
        ("age > 5", {}, "EXP012", 1),  # bare name outside a choice_filter
        ("${age} = true", {}, "EXP012", 10),
        ("sum(5)", {}, "EXP014", 5),
        ("count('x')", {}, "EXP014", 7),
        ("jr:choice-name(${crops}, '${crops}')", {}, "EXP021", 1),
        ("position(..) + 1", {"current": "nope"}, "EXP025", None),
    ],
)
def test_evaluation_errors_are_coded_and_located(expr, kwargs, code, position):
    with pytest.raises(BadExpression) as info:
        evaluate(expr, DATA, **kwargs)
    assert info.value.code == code
    assert info.value.position == position
    assert info.value.expression == expr


def test_absurd_nesting_is_a_coded_error():
    with pytest.raises(BadExpression) as info:
        parse("(" * 3000 + "1" + ")" * 3000)
    assert info.value.code == "EXP004"


def test_unknown_field_suggests_the_close_name():
    with pytest.raises(BadExpression) as info:
        evaluate("${agee} > 5", DATA)
    assert "${age}" in info.value.hint


def test_repeat_field_outside_an_aggregate():
    main = pd.DataFrame({"KEY": ["h1"], "hh_size": [2]})
    rep = pd.DataFrame({"PARENT_KEY": ["h1", "h1"], "age": [3, 4]})
    form = FormData(main, {"members": Repeat(rep, "PARENT_KEY")}, key="KEY")
    with pytest.raises(BadExpression) as info:
        evaluate("${age} > 2", form)
    assert info.value.code == "EXP013" and info.value.position == 1
    assert evaluate("sum(${age}) > 2", form).tolist() == [True]


def test_bad_inputs():
    with pytest.raises(BadExpression) as info:
        evaluate("1", [1, 2, 3])
    assert info.value.code == "EXP020"
    with pytest.raises(BadExpression) as info:
        evaluate("1", pd.DataFrame({"a": [1]}), repeat="members")
    assert info.value.code == "EXP023"
    with pytest.raises(BadExpression) as info:
        FormData(pd.DataFrame({"k": [1]}), {"r": Repeat(pd.DataFrame({"x": [1]}), "PARENT_KEY")})
    assert info.value.code == "EXP019"


def _form(*questions: Question, groups: tuple[Group, ...] = ()) -> Instrument:
    return Instrument(
        Path("household.xlsx"), "t", "T", None, None, ("default",), questions, groups, {}
    )


def test_calculation_cycle_names_the_cycle_and_row():
    form = _form(
        Question("a", "calculate", calculation="${b} + 1", row=2),
        Question("b", "calculate", calculation="${c} * 2", row=3),
        Question("c", "calculate", calculation="${a} - 1", row=4),
        Question("d", "integer", row=5),
    )
    with pytest.raises(BadExpression) as info:
        calculation_order(form)
    err = info.value
    assert err.code == "EXP010"
    assert re.search(r"a -> b -> c -> a", err.message)
    assert err.question == "a" and err.row == 2 and err.sheet == "survey"
    assert err.file == "household.xlsx"


def test_relevance_cycle_is_a_cycle_too():
    form = _form(
        Question("a", "integer", relevant="${b} > 1", row=2),
        Question("b", "integer", relevant="${a} > 1", row=3),
    )
    with pytest.raises(BadExpression) as info:
        check_form(form, pd.DataFrame({"a": [1], "b": [2]}))
    assert info.value.code == "EXP010"


def test_errors_in_a_form_carry_question_row_and_column():
    form = _form(
        Question("age", "integer", row=2),
        Question("job", "text", relevant="${age} >= 16 and", row=3),
    )
    # the rule is left out (the others still run), its error located
    (skipped,) = check_form(form, pd.DataFrame({"age": [20], "job": ["x"]})).skipped
    err = skipped.error
    assert (err.code, err.question, err.row, err.column) == ("EXP004", "job", 3, "relevant")
    assert err.position == 17
    text = str(err)
    assert "question job" in text and "row 3" in text and "column relevant" in text


def test_unknown_field_in_a_form_is_located():
    form = _form(Question("age", "integer", constraint=". < ${max_agee}", row=2))
    (skipped,) = check_form(form, pd.DataFrame({"age": [20]})).skipped
    err = skipped.error
    assert (err.code, err.question, err.row, err.column, err.position) == (
        "EXP009",
        "age",
        2,
        "constraint",
        5,
    )


def test_errors_pickle_with_their_position():
    try:
        parse("${a} +")
    except BadExpression as err:
        copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.position, copy.expression) == ("EXP004", 7, "${a} +")
    assert copy.to_dict()["position"] == 7


def test_every_code_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for code in CODES:
        assert re.search(rf"^\| *{code} *\|", text, re.MULTILINE), (
            f"{code} missing from {DOCS.name}"
        )

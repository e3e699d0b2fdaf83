"""Long operator chains: 10,000-term sums and and/or chains parse, evaluate and walk without
reaching Python's recursion limit; deep nesting is refused with a coded error."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "expressions"))

from scalar_reference import Reference

from analysis.expressions import BadExpression, check_form, dependencies, evaluate, parse
from analysis.expressions.parser import parse_tree
from analysis.expressions.tree import Binary, Chain, Field, fields_of, unparse, walk
from analysis.instrument.model import Instrument, Question

N = 10_000
FRAME = pd.DataFrame(
    {
        "a": [1.0, 2.0, np.nan, -3.0],
        "b": [5.0, 0.0, 7.0, 1.0],
        "t": ["x", "", "y", "z"],
    }
)


def test_sum_of_10000_terms() -> None:
    got = evaluate(" + ".join(["${a}"] * N), FRAME)
    assert got.tolist()[:2] == [N * 1.0, N * 2.0]
    assert np.isnan(got[2]) and got[3] == -3.0 * N


def test_and_chain_of_10000_terms() -> None:
    terms = ["${b} > 0"] * (N - 1) + ["${t} != ''"]
    assert evaluate(" and ".join(terms), FRAME).tolist() == [True, False, True, True]
    assert evaluate(" and ".join([*terms[:-1], "${b} > 3"]), FRAME).tolist() == [
        True,
        False,
        True,
        False,
    ]


def test_or_chain_of_10000_terms() -> None:
    terms = ["${b} > 100"] * (N - 1) + ["${a} < 0"]
    assert evaluate(" or ".join(terms), FRAME).tolist() == [False, False, False, True]


def test_mixed_plus_minus_chain_is_left_to_right() -> None:
    # 1 + 2 - 3 + 4 - 5 ... : (((1 + 2) - 3) + 4) - 5 ...
    numbers = list(range(1, N + 1))
    text = str(numbers[0]) + "".join(
        f" {'+' if i % 2 else '-'} {v}" for i, v in enumerate(numbers[1:], start=1)
    )
    expected = numbers[0] + sum(v if i % 2 else -v for i, v in enumerate(numbers[1:], start=1))
    got = evaluate(text + " + ${a} * 0", FRAME)
    assert got.tolist()[:2] == [float(expected)] * 2
    # with fields: a - b + a - b ... on every row
    terms = ["${a}", "${b}"] * (N // 2)
    text = terms[0] + "".join(f" {'-' if i % 2 else '+'} {t}" for i, t in enumerate(terms[1:], 1))
    got = evaluate(text, FRAME)
    assert got[0] == (1.0 - 5.0) * (N // 2)
    assert got[1] == (2.0 - 0.0) * (N // 2)
    assert np.isnan(got[2])


def test_a_long_chain_is_one_flat_node() -> None:
    tree = parse_tree(" + ".join(["${a}"] * N))
    assert isinstance(tree, Chain) and len(tree.operands) == N and set(tree.ops) == {"+"}
    assert isinstance(parse_tree("${a} + 1"), Binary)  # two operands: still a Binary
    # levels nest as before: * binds tighter than +, and and/or take the comparisons
    tree = parse_tree("1 + 2 * 3 * 4 - 5 > 2 and ${a} and ${b}")
    assert isinstance(tree, Chain) and tree.ops == ("and", "and")
    compare = tree.operands[0]
    assert isinstance(compare, Binary) and compare.op == ">"
    total = compare.left
    assert isinstance(total, Chain) and total.ops == ("+", "-")
    assert isinstance(total.operands[1], Chain) and total.operands[1].ops == ("*", "*")


def test_walkers_on_long_chains() -> None:
    text = " + ".join(f"${{q{i}}}" for i in range(N)) + " > once(.)"
    expr = parse(text)
    assert expr.fields == {f"q{i}" for i in range(N)}
    assert expr.functions == {"once"}
    assert expr.uses_current
    assert sum(isinstance(n, Field) for n in walk(expr.tree)) == N
    assert fields_of(expr.tree) == expr.fields
    assert hash(expr) == hash(parse(text))  # hashing the flat tree is shallow too
    again = unparse(expr.tree)
    assert unparse(parse_tree(again)) == again


def test_unparse_round_trip_keeps_grouping() -> None:
    for text in ("1 - 2 - 3", "1 - (2 - 3)", "(1 + 2 + 3) * 4", "(1 - 2) - 3 - 4"):
        tree = parse_tree(text)
        assert unparse(parse_tree(unparse(tree))) == unparse(tree)
        assert evaluate(unparse(tree), FRAME).tolist() == evaluate(text, FRAME).tolist()


@pytest.mark.parametrize(
    "text",
    [
        "${a} - ${b} + ${a} - 1",
        "${a} * ${b} div 2 mod 3",
        "${a} > 0 and ${b} > 0 and ${t} = 'y'",
        "${a} > 0 or ${b} > 5 or ${t} = 'z'",
        "${a} = ${a} = ${b} = 1",
        "${a} < ${b} < 2 < 3",
        "${t} != '' != ${b}",
    ],
)
def test_chains_agree_with_the_scalar_reference(text: str) -> None:
    engine = evaluate(text, FRAME).tolist()
    expected = Reference(FRAME, None).evaluate(text)
    for got, want in zip(engine, expected, strict=True):
        assert got == want or (got != got and want != want), (text, engine, expected)


def test_deep_nesting_is_a_coded_error() -> None:
    for text in ("(" * 1000 + "1" + ")" * 1000, "-" * 5000 + "1", "not(" * 1000 + "1" + ")" * 1000):
        with pytest.raises(BadExpression) as info:
            evaluate(text, FRAME)
        assert info.value.code == "EXP004"


def test_form_with_long_chains() -> None:
    total = " + ".join(["${a}"] * N)
    form = Instrument(
        None,
        "f",
        "F",
        None,
        None,
        ("default",),
        (
            Question("a", "decimal"),
            Question("b", "decimal", constraint=" and ".join([". >= 0"] * N)),
            Question("s", "calculate", calculation=total),
            Question("t", "text", relevant=" or ".join(["${s} > 0"] * N)),
        ),
        (),
        {},
    )
    assert dependencies(form)["t"] == {"s"}
    result = check_form(form, FRAME)
    assert result.values["s"].tolist()[:2] == [N * 1.0, N * 2.0]
    assert result.relevant["t"].tolist() == [True, True, False, False]
    assert result.constraint_ok["b"].all()

"""Repeats: inside a repeat ${x} is the same instance; from the parent, aggregates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.expressions import BadExpression, FormData, Repeat, evaluate


@pytest.fixture()
def household() -> FormData:
    """Three households; h1 has two members (one with two children), h2 one, h3 none."""
    main = pd.DataFrame(
        {"KEY": ["h1", "h2", "h3"], "head_age": [50, 30, 70], "village": ["A", "B", "A"]}
    )
    members = pd.DataFrame(
        {
            "PARENT_KEY": ["h1", "h2", "h1"],
            "KEY": ["m1", "m2", "m3"],
            "age": [48.0, 29.0, np.nan],
            "name": ["李", "王", ""],
        }
    )
    kids = pd.DataFrame({"PARENT_KEY": ["m1", "m1", "m2"], "toy": ["ball", "kite", "doll"]})
    return FormData(
        main,
        {
            "members": Repeat(members, parent_key="PARENT_KEY", key="KEY"),
            "kids": Repeat(kids, parent_key="PARENT_KEY", parent="members"),
        },
        key="KEY",
    )


def test_aggregates_from_the_parent(household):
    assert evaluate("count(${members})", household).tolist() == [2.0, 1.0, 0.0]
    assert evaluate("sum(${age})", household).tolist() == [48.0, 29.0, 0.0]  # '' skipped
    assert evaluate("max(${age})", household).tolist()[:2] == [48.0, 29.0]
    assert math.isnan(evaluate("max(${age})", household).tolist()[2])
    assert evaluate("min(${age})", household).tolist()[:2] == [48.0, 29.0]
    assert evaluate("join('、', ${name})", household).tolist() == ["李、", "王", ""]
    assert evaluate("count-non-empty(${name})", household).tolist() == [1.0, 1.0, 0.0]
    assert evaluate("concat(${name})", household).tolist() == ["李", "王", ""]


def test_aggregates_over_nested_repeats(household):
    assert evaluate("count(${kids})", household).tolist() == [2.0, 1.0, 0.0]
    assert evaluate("join(' ', ${toy})", household).tolist() == ["ball kite", "doll", ""]
    assert evaluate("count(${kids})", household, repeat="members").tolist() == [2.0, 1.0, 0.0]


def test_inside_a_repeat_fields_are_the_same_instance(household):
    out = evaluate("${head_age} - ${age}", household, repeat="members")
    assert out.tolist()[:2] == [2.0, 1.0]
    assert math.isnan(out.tolist()[2])
    assert evaluate("concat(${village}, '-', ${name})", household, repeat="members").tolist() == [
        "A-李",
        "B-王",
        "A-",
    ]
    # two levels up, from the kids
    assert evaluate("concat(${village}, ${name}, ${toy})", household, repeat="kids").tolist() == [
        "A李ball",
        "A李kite",
        "B王doll",
    ]


def test_current_question_selects_the_repeat(household):
    assert evaluate(". < ${head_age}", household, current="age").tolist() == [True, True, False]


def test_position(household):
    assert evaluate("position(..)", household, repeat="members").tolist() == [1.0, 1.0, 2.0]
    assert evaluate("position(..)", household, repeat="kids").tolist() == [1.0, 2.0, 1.0]
    assert evaluate("position(../..)", household, repeat="kids").tolist() == [1.0, 1.0, 1.0]
    assert evaluate("position(${members})", household, repeat="kids").tolist() == [1.0, 1.0, 1.0]


def test_indexed_repeat(household):
    assert evaluate("indexed-repeat(${name}, ${members}, 2)", household).tolist() == ["", "", ""]
    assert evaluate("indexed-repeat(${name}, ${members}, 1)", household).tolist() == [
        "李",
        "王",
        "",
    ]
    assert evaluate(
        "indexed-repeat(${name}, ${members}, position(..))", household, repeat="members"
    ).tolist() == [
        "李",
        "王",
        "",
    ]


def test_field_of_a_repeat_needs_an_aggregate(household):
    with pytest.raises(BadExpression) as info:
        evaluate("${age} > 20", household)
    assert info.value.code == "EXP013"


def test_orphan_rows_see_empty_parent_values():
    main = pd.DataFrame({"KEY": ["h1"], "village": ["A"]})
    rep = pd.DataFrame({"PARENT_KEY": ["h1", "gone"], "x": [1, 2]})
    form = FormData(main, {"r": Repeat(rep, "PARENT_KEY")}, key="KEY")
    assert evaluate("${village} = ''", form, repeat="r").tolist() == [False, True]
    assert evaluate("count(${r})", form).tolist() == [1.0]


def test_kobo_style_index_keys():
    main = pd.DataFrame({"_index": [1, 2], "size": [2, 1]})
    rep = pd.DataFrame({"_parent_index": [1, 1, 2], "age": [30, 4, 60]})
    form = FormData(main, {"people": Repeat(rep, "_parent_index")}, key="_index")
    assert evaluate("count(${people}) = ${size}", form).tolist() == [True, True]
    assert evaluate("sum(${age})", form).tolist() == [34.0, 60.0]


def test_explicit_positions_are_used():
    main = pd.DataFrame({"KEY": ["h1"]})
    rep = pd.DataFrame({"PARENT_KEY": ["h1", "h1"], "pos": [2, 1], "x": ["b", "a"]})
    form = FormData(main, {"r": Repeat(rep, "PARENT_KEY", position="pos")}, key="KEY")
    assert evaluate("position(..)", form, repeat="r").tolist() == [2.0, 1.0]
    assert evaluate("indexed-repeat(${x}, ${r}, 1)", form).tolist() == ["a"]


def test_repeat_scope_results_are_indexed_like_the_repeat_frame(household):
    out = evaluate("${age} > 30", household, repeat="members")
    assert out.index.equals(household.repeats["members"].frame.index)

"""Applying an instrument: inherited relevance, constraints with '.', required, calculations
in dependency order, repeats, choice filters; and the demo household form end to end."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.expressions import EvaluationContext, FormData, Repeat, evaluate, parse
from analysis.expressions.forms import (
    calculate,
    calculation_order,
    check_constraints,
    check_form,
    dependencies,
    evaluation_order,
    form_expressions,
    relevance,
)
from analysis.instrument.model import Choice, ChoiceList, Group, Instrument, Question

sys.path.insert(0, str(Path(__file__).resolve().parent / "expressions"))
from household_data import synthetic

ROOT = Path(__file__).resolve().parents[1]
HOUSEHOLD = ROOT / "surveys" / "household.xlsx"


def form(
    *questions: Question, groups: tuple[Group, ...] = (), lists: dict | None = None
) -> Instrument:
    return Instrument(None, "t", "T", None, "zh", ("zh", "en"), questions, groups, lists or {})


def test_relevance_is_inherited_from_groups():
    inst = form(
        Question("consent", "select_one", row=2),
        Question("age", "integer", relevant="${consent} = '1'", group_path=("g",), row=4),
        Question("job", "text", relevant="${age} >= 16", group_path=("g", "inner"), row=6),
        groups=(
            Group("g", "group", relevant="${consent} != ''", row=3),
            Group("inner", "group", relevant="${age} < 100", path=("g",), row=5),
        ),
    )
    data = pd.DataFrame(
        {"consent": ["1", "2", ""], "age": ["30", "30", "30"], "job": ["x", "x", "x"]}
    )
    rel = relevance(inst, data)
    assert rel["age"].tolist() == [True, False, False]
    # job's own condition holds everywhere (age is 30) but its groups are not relevant
    assert rel["job"].tolist() == [True, False, False]


def test_non_relevant_answers_read_as_empty():
    inst = form(
        Question("consent", "select_one"),
        Question("age", "integer", relevant="${consent} = '1'"),
        Question("age_text", "calculate", calculation="concat('age:', ${age})"),
    )
    data = pd.DataFrame({"consent": ["1", "2"], "age": ["30", "44"]})
    values = calculate(inst, data)
    assert values["age_text"].tolist() == ["age:30", "age:"]
    result = check_form(inst, data)
    assert result.answered_not_relevant["age"].tolist() == [False, True]


def test_constraints_use_dot_and_skip_empty_or_irrelevant():
    inst = form(
        Question("show", "select_one"),
        Question("age", "integer", relevant="${show} = '1'", constraint=". >= 0 and . <= 110"),
    )
    data = pd.DataFrame({"show": ["1", "1", "1", "2"], "age": ["30", "120", "", "500"]})
    assert check_constraints(inst, data)["age"].tolist() == [True, False, True, True]


def test_required_conditions():
    inst = form(
        Question("a", "text", required="yes"),
        Question("b", "text", required="${a} = 'x'"),
        Question("c", "text", relevant="false()", required="true()"),
        Question("d", "text", required="no"),
    )
    data = pd.DataFrame(
        {"a": ["x", "", "y"], "b": ["", "", ""], "c": ["", "", ""], "d": ["", "", ""]}
    )
    req = check_form(inst, data).required_ok
    assert req["a"].tolist() == [True, False, True]
    assert req["b"].tolist() == [False, True, True]
    assert req["c"].tolist() == [True, True, True]
    assert "d" not in req.columns


def test_calculations_in_dependency_order_and_typed():
    inst = form(
        Question("total", "calculate", calculation="${per_person} * ${size}", row=2),
        Question("per_person", "calculate", calculation="${income} div ${size}", row=3),
        Question("size", "integer", row=4),
        Question("income", "decimal", row=5),
        Question("rich", "calculate", calculation="${per_person} > 100", row=6),
        Question("note_rich", "text", relevant="${rich}", row=7),
    )
    assert calculation_order(inst) == ("per_person", "total", "rich")
    order = evaluation_order(inst)
    assert order.index("size") < order.index("per_person") < order.index("total")
    data = pd.DataFrame(
        {"size": ["4", "0", ""], "income": ["800", "10", "90"], "note_rich": ["", "", ""]}
    )
    values = calculate(inst, data)
    assert values["per_person"].tolist()[0] == 200.0
    assert values["total"].tolist()[0] == 800.0
    # the boolean calculation keeps its type, so relevant="${rich}" means rich is true
    # (a string "false" would be true under boolean())
    assert relevance(inst, data)["note_rich"].tolist() == [True, True, False]
    assert dependencies(inst)["total"] == {"per_person", "size"}


def test_nan_calculation_is_stored_empty():
    inst = form(Question("x", "integer"), Question("y", "calculate", calculation="${x} div 2"))
    values = calculate(inst, pd.DataFrame({"x": ["4", ""]}))
    assert evaluate("${y} = ''", pd.DataFrame({"y": values["y"]})).tolist() == [False, True]


def test_calculation_differs_from_the_export():
    inst = form(Question("x", "integer"), Question("y", "calculate", calculation="${x} * 2"))
    data = pd.DataFrame({"x": ["4", "5"], "y": ["8", "11"]})
    assert check_form(inst, data).calculation_differs["y"].tolist() == [False, True]


def repeat_form() -> tuple[Instrument, FormData]:
    inst = form(
        Question("head_sex", "select_one", row=2),
        Question("hh_size", "integer", row=3),
        Question(
            "member_sex",
            "select_one",
            constraint="position(..) > 1 or . = ${head_sex}",
            group_path=("members",),
            repeat="members",
            row=5,
        ),
        Question("member_age", "integer", group_path=("members",), repeat="members", row=6),
        Question(
            "school",
            "select_one",
            relevant="${member_age} >= 6 and ${member_age} <= 18",
            group_path=("members",),
            repeat="members",
            row=7,
        ),
        Question(
            "child",
            "calculate",
            calculation="if(${member_age} < 16, 1, 0)",
            group_path=("members",),
            repeat="members",
            row=8,
        ),
        Question("n_children", "calculate", calculation="sum(${child})", row=10),
        groups=(Group("members", "repeat", repeat_count="${hh_size}", row=4),),
    )
    main = pd.DataFrame({"KEY": ["h1", "h2"], "head_sex": ["1", "2"], "hh_size": ["2", "2"]})
    people = pd.DataFrame(
        {
            "PARENT_KEY": ["h1", "h1", "h2"],
            "member_sex": ["1", "2", "1"],
            "member_age": ["40", "10", "33"],
            "school": ["", "1", "1"],
        }
    )
    return inst, FormData(main, {"members": Repeat(people, "PARENT_KEY")}, key="KEY")


def test_repeats_in_a_form():
    inst, data = repeat_form()
    result = check_form(inst, data)
    assert result.constraint_ok["members"]["member_sex"].tolist() == [True, True, False]
    assert result.relevant["members"]["school"].tolist() == [False, True, False]
    assert result.values[None]["n_children"].tolist() == [1.0, 0.0]
    counts = result.repeat_count_ok["members"]
    assert counts["ok"].tolist() == [True, False]
    issues = result.issues()
    assert set(issues["rule"]) == {"constraint", "repeat_count", "not_relevant"}
    bad = issues[issues["rule"] == "constraint"].iloc[0]
    assert (bad["variable"], bad["scope"], bad["record"], bad["sheet_row"]) == (
        "member_sex",
        "members",
        2,
        5,
    )


def test_choice_lists_and_filters():
    lists = {
        "county": ChoiceList("county", (Choice("11"), Choice("12"))),
        "town": ChoiceList(
            "town", (Choice("1101", extra={"county": "11"}), Choice("1201", extra={"county": "12"}))
        ),
        "crop": ChoiceList("crop", (Choice("rice"), Choice("maize"), Choice("tea"))),
    }
    inst = form(
        Question("county", "select_one", list_name="county"),
        Question("town", "select_one", list_name="town", choice_filter="county = ${county}"),
        Question("crops", "select_multiple", list_name="crop"),
        Question(
            "main_crop", "select_one", list_name="crop", choice_filter="selected(${crops}, name)"
        ),
        lists=lists,
    )
    data = pd.DataFrame(
        {
            "county": ["11", "11", "12"],
            "town": ["1101", "1201", "9999"],
            "crops": ["rice maize", "tea  bean", ""],
            "main_crop": ["maize", "rice", ""],
        }
    )
    ok = check_form(inst, data).choice_ok
    assert ok["town"].tolist() == [True, False, False]  # filtered out; not in the list
    assert ok["crops"].tolist() == [True, False, True]  # 'bean' is no choice
    assert ok["main_crop"].tolist() == [True, False, True]


def test_choice_filter_on_all_rows_at_once_matches_choice_by_choice(monkeypatch):
    """A select_one's choice_filter is evaluated once with each row's own choice; the
    result is the one of evaluating every choice on its own. A choice without the
    column the filter reads is still reported (EXP012), not read as blank."""
    from analysis.expressions import forms

    towns = [
        Choice(f"{c}{t:02d}", extra={"county": c, "size": str(t)})
        for c in ("11", "12", "13")
        for t in range(1, 8)
    ]
    inst = form(
        Question("county", "select_one", list_name="county"),
        Question(
            "town",
            "select_one",
            list_name="town",
            choice_filter="county = ${county} and number(size) <= ${limit}",
        ),
        Question("limit", "integer"),
        lists={
            "county": ChoiceList("county", tuple(Choice(c) for c in ("11", "12", "13"))),
            "town": ChoiceList("town", tuple(towns)),
        },
    )
    rng = np.random.default_rng(3)
    n = 400
    data = pd.DataFrame(
        {
            "county": rng.choice(["11", "12", "13"], n),
            "town": rng.choice([t.name for t in towns] + ["", "9901"], n),
            "limit": rng.integers(1, 8, n),
        }
    )
    at_once = check_form(inst, data).choice_ok["town"].tolist()
    monkeypatch.setattr(forms, "_row_items", lambda *args: None)  # choice by choice
    one_by_one = check_form(inst, data).choice_ok["town"].tolist()
    assert at_once == one_by_one
    assert 0 < at_once.count(False) < n
    monkeypatch.undo()

    towns[4] = Choice(towns[4].name, extra={"county": "11"})  # no size
    inst = form(
        *inst.questions,
        lists={"county": inst.choice_lists["county"], "town": ChoiceList("town", tuple(towns))},
    )
    # a choice without the column the filter reads: the filter is left out (the codes are
    # still checked against the list), and the rule is reported as not checked
    result = check_form(inst, data.assign(town=towns[4].name))
    (skipped,) = result.skipped
    assert (skipped.owner, skipped.column) == ("town", "choice_filter")
    assert skipped.error.code == "EXP012" and "size" in skipped.error.message
    assert result.choice_ok["town"].all()


def test_choice_membership_of_answers_with_odd_spacing_and_no_answer():
    """One answer per row is looked up per distinct answer; several answers are split
    on spaces (runs of spaces and spaces at the ends make no empty choice)."""
    lists = {"crop": ChoiceList("crop", (Choice("rice"), Choice("maize"), Choice("1")))}
    inst = form(
        Question("main_crop", "select_one", list_name="crop"),
        Question("crops", "select_multiple", list_name="crop"),
        lists=lists,
    )
    data = pd.DataFrame(
        {
            "main_crop": ["rice", "bean", "", None, "1", "rice ", "maize"],
            "crops": [" rice  maize ", "rice bean", "", None, "1", "  ", "maize\trice"],
        }
    )
    ok = check_form(inst, data).choice_ok
    assert ok["main_crop"].tolist() == [True, False, True, True, True, False, True]
    assert ok["crops"].tolist() == [True, False, True, True, True, True, False]


def test_form_expressions_lists_every_rule():
    inst, _ = repeat_form()
    found = {(owner, column) for owner, column, _ in form_expressions(inst)}
    assert ("members", "repeat_count") in found and ("member_sex", "constraint") in found


# ---------------------------------------------------------------------------- demo household form


@pytest.fixture(scope="module")
def household_form():
    if not HOUSEHOLD.exists():
        pytest.skip("surveys/household.xlsx is not in this checkout")
    from analysis.instrument import load_instrument

    return load_instrument(HOUSEHOLD)


def test_every_household_expression_parses(household_form):
    expressions = form_expressions(household_form)
    assert len(expressions) >= 40
    for _owner, _column, text in expressions:
        parse(text)  # raises a located error if not
    assert calculation_order(household_form)  # no cycle


def test_household_form_on_synthetic_exports(household_form):
    data = synthetic(household_form, 300, members=900, seed=3)
    ctx = EvaluationContext(timezone="Asia/Shanghai", now=dt.datetime(2024, 6, 1, 12, 0))
    result = check_form(household_form, data, context=ctx)
    main, members = data.main, data.repeats["members"].frame
    # the first member of each household is the head: relation must be '1'
    pos = evaluate("position(..)", data, repeat="members").to_numpy()
    rel_ok = result.constraint_ok["members"]["member_relation"].to_numpy()
    relevant = result.relevant["members"]["member_relation"].to_numpy()
    answered = members["member_relation"].to_numpy() != ""
    expected = ((pos == 1) & (members["member_relation"] == "1")) | (
        (pos > 1) & (members["member_relation"] != "1")
    )
    assert np.array_equal(rel_ok, ~(relevant & answered) | expected.to_numpy())
    # the recomputed household id joins village and a two-digit household number
    consent = main["consent"] == "1"
    hh = result.values[None]["hh_id"]
    row = np.flatnonzero(consent & (main["hh_no"].str.len() == 1))[0]
    assert hh.iloc[row] == main["village_id"].iloc[row] + "0" + main["hh_no"].iloc[row]
    # sums over the roster match a groupby
    child = pd.to_numeric(result.values["members"]["member_child_flag"], errors="coerce").fillna(0)
    by_hh = child.groupby(members["PARENT_KEY"].to_numpy()).sum().reindex(main["KEY"], fill_value=0)
    n_children = result.values[None]["n_children"]
    shown = result.relevant[None]["n_children"].to_numpy()
    assert np.allclose(n_children.to_numpy(dtype=float)[shown], by_hh.to_numpy()[shown])
    issues = result.issues()
    assert {"record", "variable", "rule", "severity", "value", "message"} <= set(issues.columns)
    assert {"constraint", "required", "choice"} <= set(issues["rule"])


def test_flagged_cells_and_values_agree_with_the_tables(household_form):
    """What the validation reads (``flagged``, ``value``: no table built) is what the
    tables say; a question its relevance hides shows '' there, its answer elsewhere."""
    data = synthetic(household_form, 200, members=600, seed=11)
    ctx = EvaluationContext(timezone="Asia/Shanghai", now=dt.datetime(2024, 6, 1, 12, 0))
    result = check_form(household_form, data, context=ctx)
    for rule, bad_when in (
        ("constraint_ok", False),
        ("required_ok", False),
        ("answered_not_relevant", True),
        ("calculation_differs", True),
        ("choice_ok", False),
    ):
        tables = getattr(result, rule)
        from_tables = {
            (scope, name, tuple(frame.index[frame[name].to_numpy() == bad_when]))
            for scope, frame in tables.items()
            for name in frame.columns
            if (frame[name].to_numpy() == bad_when).any()
        }
        flagged = {(s, name, tuple(rows)) for s, rows, name in result.flagged(rule, bad_when)}
        assert flagged == from_tables, rule
    assert any(True for _ in result.flagged("constraint_ok", False))
    hidden = [
        (scope, name)
        for scope, frame in result.relevant.items()
        for name in frame.columns
        if not frame[name].all() and name in data.frame(scope).columns
    ]
    assert hidden
    for scope, name in hidden:
        shown = result.value(scope, name)
        pd.testing.assert_series_equal(shown, result.values[scope][name])
        off = ~result.relevant[scope][name].to_numpy()
        assert shown[off].isna().all() or (shown[off].astype("str") == "").all(), name

"""Skip logic, constraints and calculations in words, in Chinese and English."""

from __future__ import annotations

import pytest
from instrument_forms import ALL_TYPES, SKIPS, write_form

from analysis.instrument import load_instrument
from analysis.instrument.logic import UNKNOWN, evaluate, references, rule
from analysis.instrument.wording import (
    calculation_in_words,
    condition_in_words,
    conditions_in_words,
    constraint_in_words,
)


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    return load_instrument(write_form(tmp_path_factory.mktemp("w"), "skips", SKIPS))


@pytest.fixture(scope="module")
def all_types(tmp_path_factory):
    return load_instrument(write_form(tmp_path_factory.mktemp("a"), "all", ALL_TYPES))


@pytest.mark.parametrize(
    ("expression", "zh", "en"),
    [
        (
            "${has_tv} = '1'",
            "若“家里有电视吗？”选“是”",
            'if "Does the household have a TV?" is "Yes"',
        ),
        (
            "${has_tv} != '1'",
            "若“家里有电视吗？”未选“是”",
            'if "Does the household have a TV?" is not "Yes"',
        ),
        (
            "selected(${consent}, '2')",
            "若“同意接受访问吗？”选“否”",
            'if "Do you agree to the interview?" is "No"',
        ),
        (
            "not(selected(${consent}, '2'))",
            "若“同意接受访问吗？”未选“否”",
            'if "Do you agree to the interview?" is not "No"',
        ),
        ("${hh_size} > 3", "若“家里有几口人？”大于 3", 'if "Household size" is greater than 3'),
        (
            "${hh_size} >= 2 and ${hh_size} <= 5",
            "若“家里有几口人？”在 2–5 之间",
            'if "Household size" is between 2 and 5',
        ),
        ("${comments} != ''", "若“其他意见”已回答", 'if "Other comments" is answered'),
        (
            "${has_tv} = '1' or ${hh_size} > 3",
            "若“家里有电视吗？”选“是”或“家里有几口人？”大于 3",
            'if "Does the household have a TV?" is "Yes" or "Household size" is greater than 3',
        ),
    ],
)
def test_conditions_in_words(form, expression, zh, en):
    assert condition_in_words(expression, form, "zh") == zh
    assert condition_in_words(expression, form, "en") == en


def test_select_multiple_and_counts(all_types):
    assert (
        condition_in_words("selected(${crops}, 'rice')", all_types, "zh")
        == "若“种了哪些作物”选了“水稻”"
    )
    assert (
        condition_in_words("count-selected(${crops}) > 1", all_types, "zh")
        == "若“种了哪些作物”选了多于 1 项"
    )
    assert (
        condition_in_words("selected(${crops}, 'rice')", all_types, "en")
        == 'if "Crops grown" includes "Rice"'
    )


@pytest.mark.parametrize(
    ("expression", "zh", "en"),
    [
        (". >= 0 and . <= 120", "取值 0–120", "between 0 and 120"),
        (
            "(. >= 0 and . <= 120) or . = 98 or . = 99",
            "取值 0–120，或 98、99",
            "between 0 and 120, or 98, 99",
        ),
        (". > 0", "取值大于 0", "greater than 0"),
        (". <= ${hh_size}", "取值不大于“家里有几口人？”", 'at most "Household size"'),
        (
            ". >= 1 and . <= 60 and . <= ${hh_size}",
            "取值 1–60，且不大于“家里有几口人？”",
            'between 1 and 60; and at most "Household size"',
        ),
        ("regex(., '^[0-9]{11}$')", "11 位数字", "11 digits"),
        ("string-length(.) = 6", "长度为 6 个字符", "exactly 6 characters long"),
        ("count-selected(.) <= 3", "最多选 3 项", "at most 3 choices"),
        (". <= today()", "取值不大于今天", "at most today"),
    ],
)
def test_constraints_in_words(form, expression, zh, en):
    assert constraint_in_words(expression, form, "zh") == zh
    assert constraint_in_words(expression, form, "en") == en


def test_exclusive_choice(all_types):
    text = constraint_in_words(
        "not(selected(., 'rice') and count-selected(.) > 1)", all_types, "zh", question="crops"
    )
    assert text == "“水稻”不能与其他选项同选"


@pytest.mark.parametrize(
    "expression",
    [
        "position(..) > 1 or . = ${hh_size}",
        "pulldata('x', 'y', 'z', ${a})",
        "${a} >",
        "if(${x}, 1, 2) = 3",
    ],
)
def test_complex_rules_fall_back_to_the_expression(form, expression):
    assert constraint_in_words(expression, form, "zh") == expression
    assert condition_in_words(expression, form, "en") == expression


def test_question_numbers_replace_labels_on_paper(form):
    assert (
        condition_in_words("${has_tv} = '2'", form, "zh", numbers={"has_tv": 3}) == "若第3题选“否”"
    )
    assert (
        condition_in_words("${has_tv} = '2'", form, "en", numbers={"has_tv": 3}) == 'if Q3 is "No"'
    )


def test_group_and_question_conditions_together(form):
    text = conditions_in_words(["${consent} = '1'", "${hh_size} > 2"], form, "zh")
    assert text == "若“同意接受访问吗？”选“是”，且“家里有几口人？”大于 2"


def test_calculations(all_types):
    assert calculation_in_words("${income} * 2", all_types, "zh") == "“年收入（万元）” × 2"
    assert (
        calculation_in_words("(${income} + 1) div ${hh_size}", all_types, "en")
        == '("Yearly income" + 1) ÷ "Household size"'
    )
    assert calculation_in_words("sum(${m_age})", all_types, "zh") == "“年龄”合计"


def test_other_choice_of_or_other_is_named_in_chinese(all_types):
    assert (
        condition_in_words("selected(${crops}, 'other')", all_types, "zh")
        == "若“种了哪些作物”选了“其他”"
    )


def test_three_valued_evaluation():
    tree = rule("${a} = '1' and ${b} > 2").tree
    assert evaluate(tree, {"a": "2"}) is False
    assert evaluate(tree, {"a": "1"}) is UNKNOWN
    assert evaluate(tree, {"a": "1", "b": "3"}) is True
    assert evaluate(rule("${a} = '1' or ${b} > 2").tree, {"a": "1"}) is True
    assert evaluate(rule("selected(${m}, 'x')").tree, {"m": "y x"}) is True
    assert evaluate(rule("not(${a} = '')").tree, {"a": ""}) is False
    assert evaluate(rule(". >= 0 and . <= 120 or . = 98").tree, {".": "98"}) is True
    assert references("${a} + ../b > /data/g/c") == ("a", "b", "c")


@pytest.mark.parametrize(
    ("expression", "zh"),
    [
        (
            "(${hh_size} >= 2 and ${hh_size} <= 5) and ${has_tv} = '1'",
            "若“家里有几口人？”在 2–5 之间且“家里有电视吗？”选“是”",
        ),
        (
            "${hh_size} >= 2 and ${hh_size} <= 5 and ${has_tv} = '1'",
            "若“家里有几口人？”不小于 2且“家里有几口人？”不大于 5且“家里有电视吗？”选“是”",
        ),
        (
            "${has_tv} = '1' and (${hh_size} >= 2 and ${hh_size} <= 5)",
            "若“家里有电视吗？”选“是”且“家里有几口人？”在 2–5 之间",
        ),
        (
            "(${has_tv} = '1' or ${hh_size} > 2) and ${consent} = '1'",
            "若（“家里有电视吗？”选“是”或“家里有几口人？”大于 2）且“同意接受访问吗？”选“是”",
        ),
        ("((${hh_size} >= 2) and (${hh_size} <= 5))", "若“家里有几口人？”在 2–5 之间"),
        ("${hh_size} < ${has_tv} < 3", "${hh_size} < ${has_tv} < 3"),
        ("${hh_size} = 1 = 1", "${hh_size} = 1 = 1"),
    ],
)
def test_and_or_chains_are_read_as_written(form, expression, zh):
    """``a and b and c`` has three operands, ``(a and b) and c`` two; chained comparisons stay raw."""
    assert condition_in_words(expression, form, "zh") == zh


def test_rules_read_by_the_expression_engine():
    assert rule("${a} > ") is None
    assert rule("pulldata('x', 'y', 'z', ${a}) = 1") is None  # the engine cannot read it
    assert references("pulldata('x', 'y', 'z', ${a}) = 1") == ("a",)
    assert references("${last-saved#a} = ''") == ("a",)  # pyxform's, not the engine's
    assert references("current()/../b > 1 or ${c}") == ("b", "c")
    parsed = rule("${a} = 1 or (${b} = 2 or ${c} = 3) or ${d} = 4")
    assert len(parsed.operands(parsed.tree)) == 3
    assert evaluate(rule("${a} * 2 > 3 and ${b} = 1").tree, {"a": "1"}) is False
    assert evaluate(rule("${a} * 2 > 3 and ${b} = 1").tree, {"a": "2"}) is UNKNOWN

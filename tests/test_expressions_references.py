"""``${name}`` references in expressions and labels: pyxform's rule, in one helper."""

from __future__ import annotations

import pytest
from pyxform.errors import PyXFormError
from pyxform.validators.pyxform.pyxform_reference import parse_pyxform_references

from analysis.expressions import (
    BadExpression,
    field_references,
    find_references,
    parse,
    replace_references,
)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("", ()),
        (None, ()),
        ("no reference here", ()),
        ("${age}", ("age",)),
        ("${age} >= 18 and ${age} <= 60", ("age",)),
        ("selected(${crops}, 'rice') or ${户主年龄} > 3", ("crops", "户主年龄")),
        ("你好，${head_name}！", ("head_name",)),
        ("${last-saved#village} = ''", ("village",)),
        ("${a.b-c_d}", ("a.b-c_d",)),
    ],
)
def test_well_formed_references(text, names):
    assert field_references(text) == names


@pytest.mark.parametrize(
    "text",
    ["${ age }", "${age }", "${ age}", "${a b}", "${ }", "${1st}", "${a:b}"],
)
def test_spaces_and_other_malformed_references_are_not_references(text):
    """pyxform rejects these (PYREF_001): ODK has no ``${ name }`` with spaces."""
    assert field_references(text) == ()
    assert replace_references(text, lambda ref: "X") == text
    with pytest.raises(PyXFormError):
        parse_pyxform_references(text)


def test_empty_braces_are_no_reference():
    assert field_references("${} = 1") == () == parse_pyxform_references("${} = 1")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("${a${b}}", ()),  # '${a${b}' is one malformed reference, then a stray '}'
        ("${${a}}", ()),
        ("if(${a} > 0, concat(${b}, if(${c} = '', ${a}, ${d})), 0)", ("a", "b", "c", "d")),
        ("${a} ${ b } ${c}", ("a", "c")),
        ("${a", ()),
        ("$ {a} ${a}}", ("a",)),
    ],
)
def test_nested_and_unclosed_references(text, names):
    assert field_references(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "${a} + ${b}",
        "${last-saved#a} = 1",
        "concat(${a}, ' ', ${b_2}, ${a})",
        "${户主} > 1",
        "no refs",
        "${a} and ${b.c}",
    ],
)
def test_agrees_with_pyxform_on_what_it_accepts(text):
    ours = [(r.name, r.last_saved) for r in find_references(text)]
    assert ours == [(r.name, r.last_saved) for r in parse_pyxform_references(text)]


def test_the_lexer_reads_the_same_names():
    expression = "${a} + ${b_2} > ${户主}"
    assert parse(expression).fields == set(field_references(expression))
    with pytest.raises(BadExpression, match="EXP006"):
        parse("${ a } > 1")


def test_spans_and_replacement():
    refs = find_references("x ${a} y ${last-saved#b}")
    assert [(r.start, r.end) for r in refs] == [(2, 6), (9, 24)]
    renamed = replace_references(
        "${a} = ${last-saved#a} or ${ a }",
        lambda ref: "${" + ("last-saved#" if ref.last_saved else "") + "z}",
    )
    assert renamed == "${z} = ${last-saved#z} or ${ a }"

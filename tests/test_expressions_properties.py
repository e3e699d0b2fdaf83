"""Property tests: on generated expressions and data, the vectorised engine agrees with the
scalar reference interpreter (tests/expressions/scalar_reference.py) on every row."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent / "expressions"))

from scalar_reference import RDate, Reference

from analysis.expressions import (
    BadExpression,
    EvaluationContext,
    FormData,
    Repeat,
    parse,
    session_for,
)
from analysis.expressions.evaluate import Env
from analysis.expressions.tree import Binary, Call, Field, Negate, Number, Text, unparse
from analysis.expressions.values import LocalDays, as_list
from analysis.instrument.model import Instrument, Question

NOW = dt.datetime(2024, 6, 1, 10, 30)

TEXTS = [
    "",
    " ",
    "a",
    "yes",
    "no",
    "5",
    " 7 ",
    "10",
    "9",
    "-3",
    "2.5",
    "1e3",
    "4,6",
    "-.5",
    "0017.",
    "true",
    "false",
    "0",
    "1",
    "rice",
    "rice maize",
    " a  b ",
    "a b c",
    "中文",
    "张三",
    "𠮷a",
    "2024-03-01",
    "2024-1-5",
    "2023-12-31T23:30:00Z",
    "2024-03-01T10:20:30.123+08:00",
    "1990-05-17",
    "10:20",
    "x y",
    "NaN",
    "abc",
    "hello world",
]
NUMBERS = [
    0.0,
    1.0,
    2.0,
    3.0,
    10.0,
    0.5,
    2.5,
    -1.5,
    1.005,
    0.125,
    100.0,
    1e-3,
    12345.15,
    19783.0,
    3.7,
]
FORMATS = ["%Y-%m-%d", "%d/%m/%y", "%a %b %e", "%H:%M:%S.%3", "%n月%e日", "%h"]
PATTERNS = ["[0-9]+", "a.*", "^[a-z ]+$", "[\u4e00-\u9fff]+", "(yes|no)", ".*"]
COLUMNS = ["s", "t", "x", "y", "d", "b", "sd", "si"]

UNARY = [
    "not",
    "boolean",
    "number",
    "string",
    "int",
    "floor",
    "ceiling",
    "abs",
    "string-length",
    "normalize-space",
    "count-selected",
    "date",
    "date-time",
    "decimal-date-time",
    "decimal-time",
    "boolean-from-string",
    "sqrt",
    "round",
    "exp",
    "log10",
]
BINARY = [
    "contains",
    "starts-with",
    "ends-with",
    "substring-before",
    "substring-after",
    "selected",
    "selected-at",
    "pow",
    "round",
    "coalesce",
    "substr",
    "min",
    "max",
    "atan2",
]
TERNARY = ["if", "substr", "translate", "substring"]
OPS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]


def leaves() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(NUMBERS).map(lambda v: Number(1, v)),
        st.sampled_from(TEXTS).map(lambda v: Text(1, v)),
        st.sampled_from(COLUMNS).map(lambda v: Field(1, v)),
    )


def extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(lambda op, a, b: Binary(1, op, a, b), st.sampled_from(OPS), children, children),
        children.map(lambda a: Negate(1, a)),
        st.builds(lambda f, a: Call(1, f, (a,)), st.sampled_from(UNARY), children),
        st.builds(lambda f, a, b: Call(1, f, (a, b)), st.sampled_from(BINARY), children, children),
        st.builds(
            lambda f, a, b, c: Call(1, f, (a, b, c)),
            st.sampled_from(TERNARY),
            children,
            children,
            children,
        ),
        st.builds(
            lambda args: Call(1, "concat", tuple(args)), st.lists(children, min_size=0, max_size=3)
        ),
        st.builds(
            lambda sep, args: Call(1, "join", (sep, *args)),
            children,
            st.lists(children, max_size=3),
        ),
        st.builds(
            lambda a, f: Call(1, "format-date", (a, Text(1, f))), children, st.sampled_from(FORMATS)
        ),
        st.builds(
            lambda a, p: Call(1, "regex", (a, Text(1, p))), children, st.sampled_from(PATTERNS)
        ),
        st.builds(lambda c: Call(1, "sum", (Field(1, c),)), st.sampled_from(COLUMNS)),
        st.builds(lambda c: Call(1, "count", (Field(1, c),)), st.sampled_from(COLUMNS)),
        st.builds(lambda a, b, c: Call(1, "checklist", (a, b, c)), children, children, children),
        st.just(Call(1, "today", ())),
        st.just(Call(1, "now", ())),
    )


EXPRESSIONS = st.recursive(leaves(), extend, max_leaves=8).map(unparse)


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=8))
    texts = st.lists(st.sampled_from(TEXTS), min_size=n, max_size=n)
    nums = st.lists(st.sampled_from([*NUMBERS, math.nan, -7.0]), min_size=n, max_size=n)
    dates = st.lists(
        st.one_of(st.none(), st.datetimes(dt.datetime(1960, 1, 1), dt.datetime(2030, 12, 31))),
        min_size=n,
        max_size=n,
    )
    return pd.DataFrame(
        {
            "s": pd.Series(draw(texts), dtype="str"),
            "t": pd.Series(draw(texts), dtype="str"),
            "x": pd.Series(draw(nums), dtype=float),
            "y": pd.Series(
                draw(st.lists(st.integers(-5, 40), min_size=n, max_size=n)), dtype="int64"
            ),
            "d": pd.Series(pd.to_datetime(draw(dates))).astype("datetime64[ms]"),
            "b": pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
            "sd": pd.Series(draw(texts), dtype="str"),
            "si": pd.Series(draw(texts), dtype="str"),
        }
    )


INSTRUMENT = Instrument(
    None,
    "p",
    "P",
    None,
    None,
    ("default",),
    (
        Question("sd", "datetime"),
        Question("si", "integer"),
        Question("s", "text"),
        Question("t", "text"),
        Question("x", "decimal"),
        Question("y", "integer"),
        Question("d", "date"),
        Question("b", "text"),
    ),
    (),
    {},
)


def _norm(v: object) -> object:
    if isinstance(v, RDate):
        return ("date", round(v.days * 86_400_000))
    if isinstance(v, LocalDays):
        return ("date", round(float(v) * 86_400_000))
    return v


def same(a: object, b: object) -> bool:
    a, b = _norm(a), _norm(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, tuple):
        return abs(a[1] - b[1]) <= 1
    return a == b


def run_engine(expr: str, data, instrument, scope=None, current=None):
    session = session_for(data, instrument, EvaluationContext(now=NOW, timezone="Asia/Shanghai"))
    env = Env(session, scope, expr, current=current)
    return as_list(env.value(parse(expr).tree), env.n)


def run_reference(expr: str, data, instrument, scope="unset", current=None):
    ref = Reference(data, instrument, timezone="Asia/Shanghai", now=NOW)
    return ref.evaluate(expr, repeat=scope, current=current)


def agree(expr: str, data, instrument=None, **kw) -> None:
    try:
        expected = run_reference(
            expr, data, instrument, **({"scope": kw["scope"]} if "scope" in kw else {})
        )
    except BadExpression as err:
        try:
            run_engine(expr, data, instrument, scope=kw.get("scope"))
        except BadExpression as err2:
            assert err2.code == err.code, (expr, err.code, err2.code)
            return
        raise AssertionError(f"reference raised {err.code} for {expr!r}, engine did not") from None
    except (OverflowError, ValueError):  # dates beyond Python's datetime range
        assume(False)
    got = run_engine(expr, data, instrument, scope=kw.get("scope"))
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert same(g, e), (
            f"row {i} of {expr!r}: engine {g!r}, reference {e!r}\n{data.iloc[i].to_dict()}"
        )


SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(expr=EXPRESSIONS, data=frames())
def test_engine_agrees_with_reference_untyped(expr, data):
    agree(expr, data)


@SETTINGS
@given(expr=EXPRESSIONS, data=frames())
def test_engine_agrees_with_reference_typed_by_instrument(expr, data):
    agree(expr, data, INSTRUMENT)


@st.composite
def repeat_forms(draw):
    n = draw(st.integers(1, 5))
    main = pd.DataFrame(
        {
            "KEY": [f"h{i}" for i in range(n)],
            "hh": pd.Series(
                draw(st.lists(st.sampled_from([*NUMBERS, math.nan]), min_size=n, max_size=n)),
                dtype=float,
            ),
            "name": pd.Series(
                draw(st.lists(st.sampled_from(TEXTS), min_size=n, max_size=n)), dtype="str"
            ),
        }
    )
    m = draw(st.integers(0, 10))
    parents = draw(st.lists(st.integers(0, n), min_size=m, max_size=m))  # n = an orphan row
    members = pd.DataFrame(
        {
            "PARENT_KEY": [f"h{p}" for p in parents],
            "KEY": [f"m{j}" for j in range(m)],
            "age": pd.Series(
                draw(st.lists(st.sampled_from([*NUMBERS, math.nan]), min_size=m, max_size=m)),
                dtype=float,
            ),
            "who": pd.Series(
                draw(st.lists(st.sampled_from(TEXTS), min_size=m, max_size=m)), dtype="str"
            ),
        }
    )
    k = draw(st.integers(0, 8))
    kids = pd.DataFrame(
        {
            "PARENT_KEY": [
                f"m{p}"
                for p in draw(st.lists(st.integers(0, max(m - 1, 0)), min_size=k, max_size=k))
            ],
            "toy": pd.Series(
                draw(st.lists(st.sampled_from(TEXTS), min_size=k, max_size=k)), dtype="str"
            ),
        }
    )
    return FormData(
        main,
        {
            "members": Repeat(members, "PARENT_KEY", key="KEY"),
            "kids": Repeat(kids, "PARENT_KEY", parent="members"),
        },
        key="KEY",
    )


REPEAT_EXPRESSIONS = [
    ("count(${members})", None),
    ("sum(${age})", None),
    ("max(${age})", None),
    ("min(${age})", None),
    ("join(', ', ${who})", None),
    ("concat(${who})", None),
    ("count-non-empty(${who})", None),
    ("count(${kids})", None),
    ("join('|', ${toy})", None),
    ("indexed-repeat(${who}, ${members}, 2)", None),
    ("${hh} + ${age}", "members"),
    ("concat(${name}, ':', ${who})", "members"),
    ("position(..)", "members"),
    ("count(${kids})", "members"),
    ("join(' ', ${toy})", "members"),
    ("${age} > ${hh}", "members"),
    ("concat(${name}, ${who}, ${toy})", "kids"),
    ("position(..)", "kids"),
    ("sum(${age}) - ${hh}", None),
    ("count(${toy}) + count(${members})", None),
    ("position(${members})", "kids"),
]


@settings(max_examples=60, deadline=None)
@given(form=repeat_forms(), pick=st.sampled_from(REPEAT_EXPRESSIONS))
def test_repeats_agree_with_reference(form, pick):
    expr, scope = pick
    agree(expr, form, scope=scope)


def test_generated_expressions_parse():
    """The generator only produces text the parser accepts (guards the strategy itself)."""
    example = unparse(
        Call(
            1,
            "if",
            (
                Binary(1, "<", Field(1, "x"), Number(1, 2.5)),
                Text(1, "a'b"),
                Negate(1, Field(1, "s")),
            ),
        )
    )
    assert parse(example).fields == {"x", "s"}
    assert np.isfinite(len(example))

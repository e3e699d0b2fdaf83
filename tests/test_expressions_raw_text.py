"""Raw export text: number and date columns read in one pyarrow cast when every value has
the plain syntax, the general parser otherwise (both agree with the scalar reference); numbers
shown as text once per distinct value."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent / "expressions"))

from scalar_reference import Clock as RefClock
from scalar_reference import Reference, parse_date, to_num

from analysis.expressions import FormData, evaluate, session_for
from analysis.expressions import data as data_module
from analysis.expressions.buffers import answered, blanks_as_nulls
from analysis.expressions.data import column_values
from analysis.expressions.dates import Clock, _cast_plain_dates, parse_dates
from analysis.expressions.values import (
    NUMBER,
    STRING,
    Mixed,
    Values,
    _cast_plain_numbers,
    format_numbers,
    java_number_text,
    parse_numbers,
)
from analysis.instrument.model import Instrument, Question

PLAIN = st.text(alphabet="0123456789.-", max_size=6)
ODD = st.sampled_from(["1e3", " 5", "4,6", "inf", "nan", "+1", "7 ", "abc", "１２", "\t3"])


def _same(got: float, want: float) -> bool:
    return (math.isnan(got) and math.isnan(want)) or got == want


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(PLAIN, PLAIN, PLAIN, ODD), min_size=1, max_size=12), st.data())
def test_numbers_agree_with_the_scalar_reference(values: list[str], data: st.DataObject) -> None:
    text = pa.array(values, pa.string())
    start = data.draw(st.integers(0, len(values) - 1))
    for arr, rows in ((text, values), (text.slice(start), values[start:])):
        got = parse_numbers(arr)
        assert all(_same(g, to_num(v)) for g, v in zip(got, rows, strict=True)), rows


def test_plain_number_columns_take_the_single_cast() -> None:
    text = pa.array(["12", "", "-.5", "0017.", "5."], pa.string())
    got = _cast_plain_numbers(text)
    assert got is not None
    assert [None if math.isnan(x) else x for x in got] == [12.0, None, -0.5, 17.0, 5.0]
    assert _cast_plain_numbers(text.slice(1)).tolist()[1:] == [-0.5, 17.0, 5.0]
    assert np.isnan(_cast_plain_numbers(pa.array(["", ""], pa.string()))).all()
    # a byte outside 0-9 . - (exponent, space, comma) or a value the cast refuses:
    # the general parser decides row by row
    for odd in ("1e3", " 5", "4,6", "1-2", ".", "-"):
        column = pa.array(["7", odd], pa.string())
        assert _cast_plain_numbers(column) is None
        assert _same(parse_numbers(column)[1], to_num(odd))


def test_number_column_blanks_and_malformed_text() -> None:
    clock = Clock()
    plain = column_values(pd.Series(["3", "", "12"], dtype="str"), NUMBER, clock)
    assert isinstance(plain, Values) and plain.kind == NUMBER
    assert plain.blank.tolist() == [False, True, False]
    mixed = column_values(pd.Series(["3", "", "abc"], dtype="str"), NUMBER, clock)
    assert isinstance(mixed, Mixed)
    assert mixed.tags.tolist() == [NUMBER, STRING, STRING]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                "{:04d}-{:02d}-{:02d}".format,
                st.integers(1, 9999),
                st.integers(0, 13),
                st.integers(0, 32),
            ),
            st.just(""),
            st.sampled_from(["2024-1-05", "2024-01-05T10:00", "20240105", "2024/01/05"]),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_dates_agree_with_the_scalar_reference(values: list[str]) -> None:
    clock, ref_clock = Clock("Asia/Shanghai"), RefClock("Asia/Shanghai")
    for arr, rows in ((pa.array(values, pa.string()), values), (pa.array(values[1:]), values[1:])):
        got = parse_dates(arr, clock)
        want = [parse_date(v, ref_clock) if v else None for v in rows]
        assert all(
            _same(g, math.nan if w is None else w) for g, w in zip(got, want, strict=True)
        ), rows


def test_plain_date_columns_take_the_single_cast() -> None:
    text = pa.array(["2024-02-29", "", "1999-12-31"], pa.string())
    got = _cast_plain_dates(text)
    assert got is not None and np.isnan(got[1])
    assert got[[0, 2]].tolist() == [19782.0, 10956.0]
    assert _cast_plain_dates(pa.array(["2023-02-29"], pa.string())) is None  # not a date
    assert _cast_plain_dates(pa.array(["2024-01-05T10:00"], pa.string())) is None


def test_date_literal_is_read_once_and_compares_per_row() -> None:
    frame = pd.DataFrame({"d": pd.Series(["2023-12-31", "2024-01-01", "", "x"], dtype="str")})
    expression = "${d} >= date('2024-01-01')"
    got = evaluate(expression, frame).tolist()
    assert got == Reference(FormData(frame), None).evaluate(expression)
    assert evaluate("date('2024-02-30')", frame).tolist() == [""] * 4


def test_each_column_is_read_once_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = data_module.parse_numbers

    def counting(text: pa.Array) -> np.ndarray:
        calls.append(len(text))
        return original(text)

    monkeypatch.setattr(data_module, "parse_numbers", counting)
    frame = pd.DataFrame({"age": pd.Series(["30", "", "12"], dtype="str")})
    form = Instrument(
        None, "f", "F", None, None, ("default",), (Question("age", "integer"),), (), {}
    )
    session = session_for(frame, form)
    for expression in ("${age} >= 18", "${age} < 16 or ${age} = 998", "${age} + 1"):
        evaluate(expression, frame, session=session)
    assert calls == [3]


def test_buffers_of_a_sliced_column() -> None:
    text = pa.array(["a", "", "bc", ""], pa.string()).slice(1)
    assert answered(text).tolist() == [False, True, False]
    assert blanks_as_nulls(text).to_pylist() == [None, "bc", None]


def test_number_text_of_a_long_column_with_few_distinct_values() -> None:
    # string(${hh_no}) on a whole export: each distinct number is formatted once
    pool = np.array([0.0, -0.0, np.nan, np.inf, -7.0, 5.0, 0.1 + 0.2, 1e-5, 3e9, 2147483648.0])
    column = np.random.default_rng(0).choice(pool, size=6000)
    want = [java_number_text(float(x)) for x in column]
    assert format_numbers(column).to_pylist() == want
    assert format_numbers(column[:100]).to_pylist() == want[:100]

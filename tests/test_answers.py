"""One answer grammar: readers, validation, corrections and data entry type text alike.

Each row of ``CASES`` is a text written as the answer to a question of a type and what
it means (``None``: not an answer of that type). Every caller must agree with it: the
readers (whole columns), the validation of text columns (a type issue exactly where the
text is refused), the corrections (``typed_value``) and the data-entry app
(``canonical``). Excel serial day numbers are the one documented difference: only the
readers of spreadsheet exports convert them (RD114) and validation flags them (VAL105).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.corrections.values import BadValue, typed_value
from analysis.entry.values import canonical
from analysis.instrument.model import Instrument, Question
from analysis.readers import RawData, RawMetadata
from analysis.readers.answers import parse_date, parse_datetime, parse_time, split_codes
from analysis.readers.records import Records
from analysis.readers.values import to_date, to_datetime, to_decimal, to_integer
from analysis.validate.value_types import check_types

D = dt.date
T = dt.datetime
SERIAL = "serial"
EMPTY = "empty"

CASES: list[tuple[str, str, object]] = [
    # integers
    ("integer", "12", 12),
    ("integer", "１２", 12),
    ("integer", " 7 ", 7),
    ("integer", "1.0", 1),
    ("integer", "+3", 3),
    ("integer", "0042", 42),
    ("integer", "1,234", 1234),
    ("integer", "1.0E3", 1000),
    ("integer", "12.5", None),
    ("integer", "9007199254740993", None),  # 2**53 + 1 cannot be held exactly
    ("integer", "1,5", None),
    ("integer", "1_000", None),
    ("integer", "十二", None),
    ("integer", "NA", None),
    ("integer", "nan", None),
    ("integer", "inf", None),
    ("integer", "", EMPTY),
    # decimals
    ("decimal", "4.10", 4.1),
    ("decimal", "１.５", 1.5),
    ("decimal", ".5", 0.5),
    ("decimal", "1,234.5", 1234.5),
    ("decimal", "1.0E7", 1e7),
    ("decimal", "0.30000000000000004", 0.30000000000000004),
    ("decimal", "NA", None),
    ("decimal", "nan", None),
    ("decimal", "-inf", None),
    ("decimal", "1e999", None),
    ("decimal", "  ", EMPTY),
    # dates
    ("date", "2024-05-01", D(2024, 5, 1)),
    ("date", "2024-5-1", D(2024, 5, 1)),
    ("date", "2024/05/01", D(2024, 5, 1)),
    ("date", "2024.5.1", D(2024, 5, 1)),
    ("date", "2024年5月1日", D(2024, 5, 1)),
    ("date", "２０２４-０５-０１", D(2024, 5, 1)),
    ("date", "２０２４／５／１", D(2024, 5, 1)),
    ("date", " 2024-05-01 ", D(2024, 5, 1)),
    ("date", "20240501", D(2024, 5, 1)),
    ("date", "01-May-24", D(2024, 5, 1)),
    ("date", "1 May 2024", D(2024, 5, 1)),
    ("date", "May 1, 2024", D(2024, 5, 1)),
    ("date", "2024-05-01T10:00:00.000+08:00", D(2024, 5, 1)),
    ("date", "2024-05-01T03:00:00+08:00", D(2024, 5, 1)),  # the wall clock's date
    ("date", "2024-05-01 10:00", D(2024, 5, 1)),
    ("date", "05/01/2024", None),  # 5 January or 1 May: no order declared
    ("date", "13/01/2024", None),  # a day/month form even when one reading is impossible
    ("date", "24-05-01", None),
    ("date", "2024-05/01", None),
    ("date", "2024-02-30", None),
    ("date", "2024-05-01garbage", None),
    ("date", "Mon 1, 2024", None),
    ("date", "NA", None),
    ("date", "45413", SERIAL),
    ("date", "", EMPTY),
    # date-times (wall clocks)
    ("datetime", "2024-05-01T10:20:00.000+08:00", T(2024, 5, 1, 10, 20)),
    ("datetime", "2024-05-01T10:20:30.5", T(2024, 5, 1, 10, 20, 30, 500000)),
    ("datetime", "2024-05-01 10:20", T(2024, 5, 1, 10, 20)),
    ("datetime", "2024/5/1 14时30分", T(2024, 5, 1, 14, 30)),
    ("datetime", "２０２４-０５-０１ １０：２０", T(2024, 5, 1, 10, 20)),
    ("datetime", "2024-05-01", T(2024, 5, 1)),
    ("datetime", "2024-05-01T24:00", None),
    ("datetime", "2024-05-01T10:61", None),
    ("datetime", "2024-05-01T10:20+15:00", None),
    ("datetime", "05/01/2024 10:20", None),
    ("datetime", "yesterday", None),
    ("datetime", "45413.5", SERIAL),
    ("datetime", "", EMPTY),
]

_READ = {"integer": to_integer, "decimal": to_decimal, "date": to_date, "datetime": to_datetime}
_IDS = [f"{qtype}:{text!r}" for qtype, text, _ in CASES]


def _plain_value(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _expected(qtype: str, meaning: object) -> object:
    if qtype == "date" and isinstance(meaning, D):
        return T.combine(meaning, dt.time())
    return meaning


@pytest.mark.parametrize(("qtype", "text", "meaning"), CASES, ids=_IDS)
def test_readers(qtype, text, meaning):
    typed = _READ[qtype](pd.Series([text], dtype="str"))
    value = typed.values.iloc[0]
    if meaning is EMPTY:
        assert pd.isna(value) and not typed.bad.iloc[0]
    elif meaning is None:
        assert pd.isna(value) and typed.bad.iloc[0]
    elif meaning is SERIAL:
        assert value == pd.Timestamp("2024-05-01" if qtype == "date" else "2024-05-01 12:00")
        assert typed.adjusted.iloc[0]
    else:
        assert _plain_value(value) == _expected(qtype, meaning) and not typed.bad.iloc[0]


@pytest.mark.parametrize(("qtype", "text", "meaning"), CASES, ids=_IDS)
def test_corrections(qtype, text, meaning):
    if meaning is None or meaning is SERIAL:
        with pytest.raises(BadValue):
            typed_value(text, qtype, None)
        return
    value = typed_value(text, qtype, None)
    if meaning is EMPTY:
        assert value is None
    else:
        assert _plain_value(value) == _expected(qtype, meaning)


@pytest.mark.parametrize(("qtype", "text", "meaning"), CASES, ids=_IDS)
def test_entry(qtype, text, meaning):
    answer, problem = canonical(Question("q", qtype), text)
    if meaning is EMPTY:
        assert (answer, problem) == ("", None)
    elif meaning is None or meaning is SERIAL:
        assert problem is not None
    else:
        assert problem is None
        stored = {
            "integer": int,
            "decimal": float,
            "date": D.fromisoformat,
            "datetime": lambda s: T.fromisoformat(re.sub(r"[+-]\d{2}:\d{2}$", "", s)),
        }[qtype](answer)
        assert stored == meaning


@pytest.mark.parametrize("qtype", sorted(_READ))
def test_validation_of_text_columns(qtype):
    cases = [(text, meaning) for t, text, meaning in CASES if t == qtype]
    form = Instrument(None, "f", "F", None, None, ("default",), (Question("q", qtype),), (), {})
    frame = pd.DataFrame(
        {"_key": [str(i) for i in range(len(cases))], "q": [text for text, _ in cases]},
        dtype="str",
    )
    records = Records(RawData(frame, {}, RawMetadata(format="csv")), form, "f")
    found = check_types(records, "en").frame
    codes = dict(zip(found["position"], found["code"].astype(str), strict=True))
    type_code = {"integer": "VAL101", "decimal": "VAL102", "date": "VAL103"}.get(qtype, "VAL104")
    for i, (text, meaning) in enumerate(cases):
        want = type_code if meaning is None else "VAL105" if meaning is SERIAL else None
        assert codes.get(i) == want, (text, codes.get(i))


def test_declared_order_reads_day_or_month_first():
    assert parse_date("05/01/2024", order="dmy") == D(2024, 1, 5)
    assert parse_date("05/01/2024", order="mdy") == D(2024, 5, 1)
    assert parse_date("13/01/2024", order="mdy") is None
    assert parse_datetime("5.1.24 10:20", order="dmy").wall == T(2024, 1, 5, 10, 20)
    with pytest.raises(ValueError):
        parse_date("05/01/2024", order="ymd")  # type: ignore[arg-type]


def test_times_and_codes():
    assert parse_time("14时30分") == (dt.time(14, 30), None)
    assert parse_time("10:20:00.000+08:00") == (dt.time(10, 20), 480)
    assert canonical(Question("t", "time"), "１４：３０") == ("14:30:00", None)
    assert split_codes("1 3，5、2;4") == ["1", "3", "5", "2", "4"]
    assert typed_value("3,1", "select_multiple", ("1", "2", "3")) == "3 1"


# the vectorised paths of the readers against the grammar, on canonical-looking text
_ISO_LIKE = [
    "2024-05-01",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-05-01T10:20",
    "2024-05-01T10:20:30",
    "2024-05-01T10:20:30.123456",
    "2024-05-01 23:59:59.999999",
    "2024-05-01T10:20:30.000Z",
    "2024-05-01T10:20:30+0800",
    "2024-05-01T10:20:30.1-05:30",
    "2024-05-01T10:20:30+14:00",
    "2024-05-01T24:00:00",
    "2024-05-01T10:60:00",
    "2024-05-01T10:20:60",
]


@pytest.mark.parametrize("text", _ISO_LIKE)
def test_fast_paths_agree_with_the_grammar(text):
    moment = parse_datetime(text)
    column = to_datetime(pd.Series([text, "2024/5/1"], dtype="str"))  # one offset at most
    value = column.values.iloc[0]
    assert (None if pd.isna(value) else value.to_pydatetime()) == (
        None if moment is None else moment.wall
    )
    day = to_date(pd.Series([text], dtype="str")).values.iloc[0]
    assert (None if pd.isna(day) else day.date()) == parse_date(text)


def test_correction_values_are_typed_without_validation():
    path = Path(__file__).resolve().parents[1] / "analysis" / "corrections" / "values.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert "validate" not in (node.module or "")

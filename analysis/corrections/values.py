"""Comparing a correction's old value with the data, and typing its new value.

Text is read by the one grammar of :mod:`analysis.readers.answers`: a date written
``05/01/2024`` is refused (no order is declared for corrections), a UTC offset written
after a date-time is dropped (the data holds wall clocks), and ``1,3`` is the
select_multiple answer ``1 3``.

The old value is compared the way a person reads the cell: ``156`` matches an integer
156, ``4.10`` matches 4.1, ``2024/9/3`` matches the date 2024-09-03, ``3 1`` matches the
select_multiple answer ``1 3``, and an empty old value matches an empty cell.

Examples
--------
>>> same_value(56, "56.0", "integer"), same_value("1 3", "3 1", "select_multiple")
(True, True)
>>> same_value(pd.Timestamp("2024-09-03"), "2024/9/3", "date"), same_value(None, "", "text")
(True, True)
>>> typed_value("４.1", "decimal", None)
4.1
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

import pandas as pd

from ..readers.answers import parse_datetime, parse_decimal, parse_integer, split_codes

__all__ = ["BadValue", "display", "is_empty", "same_value", "typed_value"]

_NUMBER = frozenset({"integer", "decimal", "range", "int"})
_DATE = frozenset({"date", "today"})
_DATETIME = frozenset({"datetime", "start", "end", "dateTime"})
_MULTIPLE = frozenset({"select_multiple", "rank"})


class BadValue(ValueError):
    """A new value that does not fit the question (caught and turned into COR021)."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def is_empty(value: Any) -> bool:
    """True for NA, NaN, NaT, None and blank text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def display(value: Any) -> str:
    """A cell as the text a user would type ('' when empty)."""
    if is_empty(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return (
            value.strftime("%Y-%m-%d")
            if value == value.normalize()
            else value.strftime("%Y-%m-%d %H:%M:%S")
        )
    if isinstance(value, float) and value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _moment(text: str) -> pd.Timestamp | None:
    """The wall clock written (a UTC offset is dropped, as the readers keep wall clocks)."""
    moment = parse_datetime(text)
    return None if moment is None else pd.Timestamp(moment.wall)


def same_value(current: Any, old: str, qtype: str | None) -> bool:
    """True when the cell ``current`` holds the value ``old`` written in corrections.csv."""
    old = (old or "").strip()
    if is_empty(current):
        return old == ""
    if old == "":
        return False
    if qtype in _NUMBER or (qtype is None and isinstance(current, int | float)):
        x = parse_decimal(old)
        try:
            y = float(current)
        except (TypeError, ValueError):
            return str(current).strip() == old
        return x is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    if qtype in _DATE or qtype in _DATETIME or isinstance(current, pd.Timestamp):
        when = _moment(old)
        if when is None:
            return display(current) == old
        now = pd.Timestamp(current)
        if qtype in _DATE:
            return when.normalize() == now.normalize()
        return when == now
    if qtype in _MULTIPLE:
        return sorted(str(current).split()) == sorted(split_codes(old))
    return unicodedata.normalize("NFC", str(current).strip()) == unicodedata.normalize("NFC", old)


def typed_value(new: str, qtype: str | None, codes: tuple[str, ...] | None) -> Any:
    """The new value as the column stores it; raise :class:`BadValue` when it cannot be."""
    new = (new or "").strip()
    if new == "":
        return None
    if qtype in ("integer", "int"):
        n = parse_integer(new)
        if n is None:
            raise BadValue("an integer")
        return n
    if qtype in ("decimal", "range"):
        x = parse_decimal(new)
        if x is None:
            raise BadValue("a number")
        return x
    if qtype in _DATE or qtype in _DATETIME:
        when = _moment(new)
        if when is None:
            raise BadValue(
                "a date (YYYY-MM-DD)" if qtype in _DATE else "a date-time (YYYY-MM-DD HH:MM:SS)"
            )
        return when.normalize() if qtype in _DATE else when
    if codes is not None:
        tokens = split_codes(new) if qtype in _MULTIPLE else [new]
        unknown = [t for t in tokens if t not in codes]
        if unknown:
            shown = ", ".join(codes[:15]) + (" ..." if len(codes) > 15 else "")
            raise BadValue(f"a code of the choice list ({shown})")
        return " ".join(tokens)
    return new

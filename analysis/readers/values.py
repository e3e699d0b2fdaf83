"""Typing text columns: integers, numbers, dates, date-times, 0/1 flags, geopoints.

The grammar of each type is :mod:`analysis.readers.answers` (one text at a time); the
functions here apply it to whole columns, once per distinct text, with a vectorised
path for canonical ISO dates and date-times that gives the same values.

Every function takes a text Series (``""`` or NA for an empty cell) and returns the
typed Series plus boolean masks: ``bad`` marks non-empty cells that could not be
typed (the typed value is NA there; the caller logs the source text), other masks
mark cells that were typed after a tolerated transformation (logged as info).

Examples
--------
>>> import pandas as pd
>>> typed = to_integer(pd.Series(["12", "１３", "12.0", "十二", ""], dtype="str"))
>>> typed.values.tolist(), typed.bad.tolist()
([12, 13, 12, <NA>, <NA>], [False, False, False, True, False])
>>> to_date(pd.Series(["2024-03-05", "2024/3/6", "45357"], dtype="str")).values.dt.day.tolist()
[5, 6, 6]
>>> to_date(pd.Series(["05/01/2024"], dtype="str")).bad.tolist()
[True]
>>> to_date(pd.Series(["05/01/2024"], dtype="str"), order="dmy").values.dt.month.tolist()
[1]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .answers import (
    DateOrder,
    Moment,
    excel_serial,
    parse_datetime,
    parse_number,
    plain,
    utc_offset,
)

__all__ = [
    "Typed",
    "blank",
    "map_distinct",
    "split_geopoint",
    "text_values",
    "to_date",
    "to_datetime",
    "to_decimal",
    "to_flag",
    "to_integer",
]

_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
#: Canonical ODK date-times, typed by pandas in one pass (the grammar gives the same).
_ISO_DATETIME = (
    _ISO_DATE + r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
    r"(?P<offset>Z|[+-](?:0[0-9]|1[0-4]):?[0-5][0-9])?"
)
_OFFSET_AT_END = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"
_DAY_MONTH = r"[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
#: Numbers needing no normalisation (float() gives what parse_decimal gives).
_PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


@dataclass
class Typed:
    """A typed column and the masks of what happened to its cells."""

    values: pd.Series
    bad: pd.Series
    #: Cells typed after a tolerated transformation (full-width digits, Excel serials...).
    adjusted: pd.Series = field(default=None)  # type: ignore[assignment]
    #: Free notes for the caller (e.g. the time zone, the day/month order guessed).
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.adjusted is None:
            self.adjusted = pd.Series(False, index=self.values.index)


def text_values(values: pd.Series) -> pd.Series:
    """Values as pandas text with NA for empty cells (whitespace-only counts as empty)."""
    s = values.astype("str") if values.dtype != "str" else values
    return s.where(s.str.strip() != "")


def blank(values: pd.Series) -> pd.Series:
    """True where a cell is empty (NA, or only whitespace)."""
    s = values.astype("str") if values.dtype != "str" else values
    return s.isna() | (s.str.strip() == "")


def _number_cells(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Numbers of the cells (float64, NaN where none), empty cells, tolerated forms."""
    s = text_values(values)
    index = values.index
    nums = np.full(len(s), np.nan)
    adjusted = np.zeros(len(s), dtype=bool)
    fast = s.str.fullmatch(_PLAIN_NUMBER).fillna(False).to_numpy(dtype=bool)
    if fast.any():  # nothing to normalise: Python's float() of each text, in C
        nums[fast] = s[fast].to_numpy(dtype=object).astype("float64")
    rest = ~fast & s.notna().to_numpy(dtype=bool)
    if rest.any():
        codes, uniques = pd.factorize(s[rest])
        found = np.full(len(uniques), np.nan)
        tolerated = np.zeros(len(uniques), dtype=bool)
        for i, text in enumerate(uniques):
            value = parse_number(text)
            if value is not None:
                found[i] = float(value)
                tolerated[i] = plain(text).replace(",", "") != text.strip()
        nums[rest] = found[codes]
        adjusted[rest] = tolerated[codes]
    return (
        pd.Series(nums, index=index),
        pd.Series(s.isna().to_numpy(dtype=bool), index=index),
        pd.Series(adjusted, index=index),
    )


def to_integer(values: pd.Series) -> Typed:
    """Whole numbers (``12``, ``12.0``, ``１２``, ``1,234``) as ``Int64``.

    The grammar is :func:`~analysis.readers.answers.parse_integer`'s.
    """
    num, empty, adjusted = _number_cells(values)
    integral = np.isfinite(num) & (num == np.floor(num)) & (num.abs() < 2**53)
    bad = ~empty & ~integral
    out = num.where(integral).round().astype("Int64")
    return Typed(out, bad, adjusted & integral)


def to_decimal(values: pd.Series) -> Typed:
    """Numbers as ``float64`` (the grammar of :func:`~analysis.readers.answers.parse_decimal`)."""
    num, empty, adjusted = _number_cells(values)
    ok = pd.Series(np.isfinite(num), index=num.index)
    return Typed(num.where(ok), ~empty & ~ok, adjusted & ok)


_FLAGS = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}


def map_distinct(values: pd.Series, func, dtype: str) -> pd.Series:
    """``func`` applied once per distinct non-NA value (NA stays NA), as ``dtype``.

    Examples
    --------
    >>> map_distinct(pd.Series(["a", None, "a"], dtype="str"), str.upper, "str").tolist()
    ['A', nan, 'A']
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = pd.array([func(u) for u in uniques] + [None], dtype=dtype)
    return pd.Series(mapped.take(np.where(codes < 0, len(uniques), codes)), index=values.index)


def to_flag(values: pd.Series) -> Typed:
    """0/1 flags (``1``/``0``, ``True``/``False``) as ``Int64``."""
    s = text_values(values)
    mapped = map_distinct(s, lambda v: _FLAGS.get(v.strip().lower()), "Int64")
    bad = s.notna() & mapped.isna()
    return Typed(mapped, bad)


def _moments(s: pd.Series, parse: Callable[[str], Moment | None]) -> tuple[pd.Series, pd.Series]:
    """``parse`` once per distinct text: wall clocks (NaT where None) and offsets (NaN)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    walls = np.full(len(uniques) + 1, np.datetime64("NaT"), dtype="datetime64[us]")
    offsets = np.full(len(uniques) + 1, np.nan)
    for i, text in enumerate(uniques):
        moment = parse(text)
        if moment is not None:
            walls[i] = np.datetime64(moment.wall, "us")
            if moment.offset is not None:
                offsets[i] = moment.offset
    pick = np.where(codes < 0, len(uniques), codes)
    return pd.Series(walls[pick], index=s.index), pd.Series(offsets[pick], index=s.index)


def _serial_cells(s: pd.Series) -> pd.Series:
    """Date-times of Excel serial day numbers (NaT elsewhere)."""
    return _moments(s, lambda t: _as_moment(excel_serial(t)))[0]


def _serials(s: pd.Series, out: pd.Series) -> pd.Series:
    """Where ``out`` is still empty, Excel serial numbers of ``s``, set into ``out``.

    Returns the mask of the cells so converted (``Typed.adjusted``).
    """
    serial = pd.Series(False, index=s.index)
    rest = s.notna() & out.isna()
    if rest.any():
        stamps = _serial_cells(s[rest])
        serial = (rest & stamps.reindex(s.index).notna()).astype(bool)
        out[serial] = stamps[serial[rest]]
    return serial


def _as_moment(value: dt.datetime | None) -> Moment | None:
    return None if value is None else Moment(value, None)


def _day_month_notes(s: pd.Series, bad: pd.Series, order: DateOrder | None) -> dict[str, str]:
    """RD115's note: dates written day or month first, refused for want of an order."""
    if order is not None or not bad.any():
        return {}
    refused = bad & s.str.fullmatch(_DAY_MONTH + r"(?:[T ].*)?").fillna(False).astype(bool)
    if not refused.any():
        return {}
    return {"order": "day or month first: refused, no date order declared (05/01/2024 ?)"}


def to_date(values: pd.Series, *, order: DateOrder | None = None, serials: bool = True) -> Typed:
    """Dates as ``datetime64[us]`` at midnight, by :func:`~analysis.readers.answers.parse_date`.

    ``order`` is the declared order of dates written day or month first (``"dmy"``,
    ``"mdy"``); without it they are bad. With ``serials`` (spreadsheet exports), Excel
    serial day numbers are converted too (``adjusted``). A time part is ignored.
    """
    s = text_values(values).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    iso = s.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
    if iso.any():  # the common case, vectorised
        out[iso] = pd.to_datetime(s[iso], format="%Y-%m-%d", errors="coerce")
    rest = s.notna() & ~iso
    if rest.any():
        out[rest] = _moments(s[rest], lambda t: parse_datetime(t, order=order))[0]
    serial = _serials(s, out) if serials else pd.Series(False, index=s.index)
    out = out.dt.normalize()
    bad = s.notna() & out.isna()
    return Typed(out, bad, serial, _day_month_notes(s, bad, order))


def to_datetime(
    values: pd.Series, *, order: DateOrder | None = None, serials: bool = True
) -> Typed:
    """Date-times as naive ``datetime64[us]``, by :func:`~analysis.readers.answers.parse_datetime`.

    The wall clock is kept when the column has a single UTC offset
    (``notes["timezone"]`` says which); a column mixing offsets is converted to UTC
    (``notes["timezone"] == "UTC"``, a value without an offset taken as UTC). Dates
    without a time are midnight; with ``serials``, Excel serial numbers are converted
    (``adjusted``).
    """
    s = text_values(values).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    minutes = pd.Series(np.nan, index=s.index)
    fast = s.str.fullmatch(_ISO_DATETIME).fillna(False).astype(bool)
    if fast.any():  # canonical ODK text, vectorised
        text = s[fast]
        written = text.str.extract(_OFFSET_AT_END, expand=False)
        core = text.str.slice(0, -6).where(written.str.len() == 6, text)
        other = written.notna() & (written.str.len() != 6)
        if other.any():  # Z, +0800: rare
            core[other] = text[other].str.replace(_OFFSET_AT_END + "$", "", regex=True)
        out[fast] = pd.to_datetime(core, format="ISO8601", errors="coerce").astype("datetime64[us]")
        offsets = {o: utc_offset(o) for o in written.dropna().unique()}
        minutes[fast] = written.map(offsets).astype("float64")
    rest = s.notna() & ~fast
    if rest.any():
        walls, offsets = _moments(s[rest], lambda t: parse_datetime(t, order=order))
        out[rest] = walls
        minutes[rest] = offsets
    minutes = minutes.where(out.notna())
    notes: dict[str, str] = {}
    distinct = sorted(minutes.dropna().unique().tolist())
    if len(distinct) == 1:
        notes["timezone"] = _offset_text(distinct[0])
    elif len(distinct) > 1:
        out = out - pd.to_timedelta(minutes.fillna(0), unit="min")
        notes["timezone"] = "UTC"
        notes["offsets"] = ", ".join(sorted(_offset_text(m) for m in distinct))
    serial = _serials(s, out) if serials else pd.Series(False, index=s.index)
    bad = s.notna() & out.isna()
    notes.update(_day_month_notes(s, bad, order))
    return Typed(out, bad, serial, notes)


def _offset_text(minutes: float) -> str:
    """``+08:00`` for 480 minutes; ``UTC`` for 0."""
    if minutes == 0:
        return "UTC"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(int(minutes)), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def split_geopoint(values: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """``"lat lon [alt [acc]]"`` into four float columns; mask of malformed points.

    Examples
    --------
    >>> parts, bad = split_geopoint(pd.Series(["30.5 104.1 500 5", "x", None], dtype="str"))
    >>> parts["latitude"].tolist()[0], bad.tolist()
    (30.5, [False, True, False])
    """
    s = text_values(values).str.strip()
    names = ["latitude", "longitude", "altitude", "accuracy"]
    pieces = s.str.extract(r"^(\S+)(?:\s+(\S+))?(?:\s+(\S+))?(?:\s+(\S+))?(\s+\S.*)?$")
    parts = pd.DataFrame(index=s.index)
    for i, name in enumerate(names):
        parts[name] = pd.to_numeric(pieces[i], errors="coerce").astype("float64")
    count = pieces.iloc[:, :4].notna().sum(axis=1)
    lat, lon = parts["latitude"], parts["longitude"]
    ok = (
        lat.between(-90, 90)
        & lon.between(-180, 180)
        & (count >= 2)
        & pieces[4].isna()
        & (parts.notna().sum(axis=1) == count)
    )
    bad = s.notna() & ~ok
    parts[bad | s.isna()] = np.nan
    return parts, bad

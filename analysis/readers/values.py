"""Typing text answers: integers, numbers, dates, date-times, 0/1 flags, geopoints.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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

#: Excel serial day numbers accepted as dates (1954-10-03 .. 2119-01-11).
SERIAL_RANGE = (20000, 80000)
_EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
_THOUSANDS = r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?"
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_DATE_YMD = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_DATE_DMY = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:$|[ T])"
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


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


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    s = text_values(values)
    empty = s.isna()
    wide = ~s.str.isascii().fillna(True).astype(bool)
    norm = s.str.strip()
    if wide.any():  # full-width digits typed with a Chinese IME: normalise those cells only
        norm = norm.where(~wide, s[wide].str.normalize("NFKC").str.strip())
    thousands = norm.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
    norm = norm.where(~thousands, norm.str.replace(",", "", regex=False))
    ok = norm.str.fullmatch(_NUMBER).fillna(False).astype(bool)
    num = pd.to_numeric(norm.where(ok), errors="coerce").astype("float64")
    adjusted = (norm != s.str.strip()).fillna(False).astype(bool) & ok
    return num, empty, adjusted


def to_integer(values: pd.Series) -> Typed:
    """Whole numbers (``12``, ``12.0``, ``１２``, ``1,234``) as ``Int64``."""
    num, empty, adjusted = _numbers(values)
    integral = num.notna() & np.isfinite(num) & (num == np.floor(num)) & (num.abs() < 2**53)
    bad = ~empty & ~integral
    out = num.where(integral).round().astype("Int64")
    return Typed(out, bad, adjusted & integral)


def to_decimal(values: pd.Series) -> Typed:
    """Numbers as ``float64``."""
    num, empty, adjusted = _numbers(values)
    ok = num.notna() & np.isfinite(num)
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


def _from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    frame = pd.DataFrame(
        {"year": pd.to_numeric(year), "month": pd.to_numeric(month), "day": pd.to_numeric(day)}
    )
    return pd.to_datetime(frame, errors="coerce").astype("datetime64[us]")


def _serials(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    num = pd.to_numeric(s.where(s.str.fullmatch(r"\d+(\.\d+)?").fillna(False)), errors="coerce")
    ok = num.between(*SERIAL_RANGE)
    days = num.where(ok)
    stamps = _EXCEL_ORIGIN + pd.to_timedelta(days, unit="D")
    return stamps.astype("datetime64[us]"), ok.fillna(False).astype(bool)


def _dates(s: pd.Series, notes: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Calendar dates of text values (NaT where not a date); mask of Excel serials."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    iso = s.str.match(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    if iso.any():  # the common case, vectorised
        out[iso] = pd.to_datetime(s[iso].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    rest = out.isna() & s.notna()
    if rest.any():
        ymd = s.where(rest).str.extract(_DATE_YMD)
        hit = ymd[0].notna()
        if hit.any():
            out[hit] = _from_parts(ymd.loc[hit, 0], ymd.loc[hit, 1], ymd.loc[hit, 2])
    rest = out.isna() & s.notna()
    eight = rest & s.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
    if eight.any():
        t = s[eight]
        out[eight] = _from_parts(t.str[:4], t.str[4:6], t.str[6:8])
    rest = out.isna() & s.notna()
    dmy = s.where(rest).str.extract(_DATE_DMY)
    hit = dmy[0].notna()
    if hit.any():
        a = pd.to_numeric(dmy.loc[hit, 0])
        b = pd.to_numeric(dmy.loc[hit, 1])
        year = pd.to_numeric(dmy.loc[hit, 2])
        year = year.where(year >= 100, year + 2000 - 100 * (year >= 69))
        if (a > 12).any() and not (b > 12).any():
            order = "day/month/year"
        else:
            order = "month/day/year"
            if not (b > 12).any():
                ambiguous = ((a <= 12) & (b <= 12) & (a != b)).any()
                if ambiguous:
                    notes["order"] = "month/day/year (Excel's US order; no day above 12 to tell)"
        month, day = (b, a) if order == "day/month/year" else (a, b)
        out[hit] = _from_parts(year, month, day)
        notes.setdefault("order_used", order)
    rest = out.isna() & s.notna()
    if rest.any():
        t = s[rest]
        for fmt in ("%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y"):
            parsed = pd.to_datetime(t, format=fmt, errors="coerce")
            fill = parsed.notna() & out[rest].isna()
            if fill.any():
                out.loc[fill[fill].index] = parsed[fill].astype("datetime64[us]")
    rest = out.isna() & s.notna()
    serial = pd.Series(False, index=s.index)
    if rest.any():
        stamps, ok = _serials(s.where(rest))
        serial = ok & rest
        out[serial] = stamps[serial]
    return out, serial


def to_date(values: pd.Series) -> Typed:
    """Dates (ISO ``2024-03-05``, ``2024/3/5``, ``2024年3月5日``, ``20240305``,
    ``5/3/2024`` with the day/month order inferred per column, ``05-Mar-24``, Excel
    serial numbers) as ``datetime64[us]`` at midnight. A time part is ignored."""
    s = text_values(values).str.strip()
    notes: dict[str, str] = {}
    out, serial = _dates(s, notes)
    out = out.dt.normalize()
    bad = s.notna() & out.isna()
    return Typed(out, bad, serial, notes)


def to_datetime(values: pd.Series) -> Typed:
    """Date-times as naive ``datetime64[us]``.

    ISO 8601 values (``2024-03-05T08:30:00.000+08:00``) keep their wall-clock time
    when the column has a single UTC offset (``notes["timezone"]`` says which); a
    column mixing offsets is converted to UTC (``notes["timezone"] == "UTC"``). Dates
    without a time are midnight; Excel serial numbers are converted (``adjusted``).
    """
    s = text_values(values).str.strip()
    notes: dict[str, str] = {}
    has_offset = s.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False).astype(bool)
    offsets = s.str.replace(r"^.*?" + _OFFSET.pattern, r"\1", regex=True).where(has_offset)
    core = s.str.replace(_OFFSET.pattern, "", regex=True)
    iso = core.str.fullmatch(r"\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?").fillna(
        False
    )
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    if iso.any():
        out[iso] = pd.to_datetime(core[iso], format="ISO8601", errors="coerce").astype(
            "datetime64[us]"
        )
    found = offsets[iso & offsets.notna()].unique()
    distinct = sorted({_offset_text(o) for o in found})
    if len(distinct) == 1:
        notes["timezone"] = distinct[0]
    elif len(distinct) > 1:
        minutes = offsets.map({o: _offset_minutes(o) for o in found}).astype("float64").fillna(0)
        out = out - pd.to_timedelta(minutes.where(iso, 0), unit="min")
        notes["timezone"] = "UTC"
        notes["offsets"] = ", ".join(distinct)
    rest = out.isna() & s.notna()
    serial = pd.Series(False, index=s.index)
    if rest.any():
        other = core.where(rest)
        ymd = other.str.extract(_DATE_YMD + r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
        hit = ymd[0].notna()
        if hit.any():
            day = _from_parts(ymd.loc[hit, 0], ymd.loc[hit, 1], ymd.loc[hit, 2])
            clock = pd.to_timedelta(
                pd.to_numeric(ymd.loc[hit, 3]).fillna(0) * 3600
                + pd.to_numeric(ymd.loc[hit, 4]).fillna(0) * 60
                + pd.to_numeric(ymd.loc[hit, 5]).fillna(0),
                unit="s",
            )
            out[hit] = (day + clock).astype("datetime64[us]")
        rest = out.isna() & s.notna()
        stamps, ok = _serials(s.where(rest))
        serial = ok & rest
        out[serial] = stamps[serial]
    bad = s.notna() & out.isna()
    return Typed(out, bad, serial, notes)


def _offset_minutes(text: object) -> float:
    if not isinstance(text, str):
        return float("nan")
    if text == "Z":
        return 0.0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:4]))


def _offset_text(text: str) -> str:
    if text == "Z":
        return "UTC"
    digits = text[1:].replace(":", "")
    return f"{text[0]}{digits[:2]}:{digits[2:4]}"


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

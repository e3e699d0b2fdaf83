"""Dates and times as ODK Collect (JavaRosa) handles them, on whole columns.

A date or date-time value is held as float64 *local days since 1970-01-01*: the wall
clock in the evaluation time zone (``Clock.timezone``), with the time of day as the
fraction. This is what JavaRosa computes with:

* in arithmetic and comparisons a date is its whole number of local days
  (``date('1970-01-02') = 1``; a date-time counts only its date);
* ``decimal-date-time()`` is the UTC instant in fractional days;
* ``string()`` of a date or a date-time is ``yyyy-mm-dd``;
* text is parsed as ISO 8601 the way JavaRosa's ``DateUtils.parseDateTime`` does:
  ``yyyy-m-d``, optionally ``Thh:mm[:ss[.sss]]`` and ``Z`` or ``±hh[:mm]``; a value with
  an offset is converted to the evaluation time zone, one without is taken as local.

Time-only values (``time`` questions, ``10:20:00.000+08:00``) are placed on 1970-01-01
(JavaRosa uses the day of evaluation, which is not reproducible).

Examples
--------
>>> clock = Clock("Asia/Shanghai")
>>> days = parse_dates(["2024-03-01", "2024-03-01T23:30:00.000+00:00", "not a date", ""], clock)
>>> [round(float(d), 4) for d in days[:2]], bool(np.isnan(days[2]))
([19783.0, 19784.3125], True)
>>> date_text(days[:2]).to_pylist()
['2024-03-01', '2024-03-02']
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .buffers import blanks_as_nulls, string_buffers

__all__ = [
    "MS_PER_DAY",
    "Clock",
    "civil_from_days",
    "date_text",
    "days_from_civil",
    "format_dates",
    "parse_dates",
]

MS_PER_DAY = 86_400_000.0

_DATETIME = (
    r"^(?P<y>[0-9]+)-(?P<m>[0-9]+)-(?P<d>[0-9]+)"
    r"(?:T(?P<H>[0-9]+):(?P<M>[0-9]+)(?::(?P<S>[0-9]+(?:\.[0-9]*)?)?)?"
    r"(?P<z>Z|[+-][0-9]+(?::[0-9]+)?)?)?$"
)
_TIME = (
    r"^(?P<H>[0-9]+):(?P<M>[0-9]+)(?::(?P<S>[0-9]+(?:\.[0-9]*)?)?)?"
    r"(?P<z>Z|[+-][0-9]+(?::[0-9]+)?)?$"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # 1970-01-01 was a Thursday


@dataclass(frozen=True)
class Clock:
    """The evaluation time zone and the moment taken as "now".

    Parameters
    ----------
    timezone : str
        IANA name (``"Asia/Shanghai"``) or ``"UTC"``: the phone's zone for JavaRosa.
    now : datetime, optional
        The instant ``now()`` and ``today()`` return; default: the real time when the
        clock is made. Fix it to make a validation re-run reproducible.
    """

    timezone: str = "UTC"
    now: _dt.datetime | None = field(default=None)

    def __post_init__(self) -> None:
        now = self.now
        if now is None:
            now = _dt.datetime.now(_dt.UTC)
        elif now.tzinfo is None:
            now = pd.Timestamp(now).tz_localize(self.timezone).to_pydatetime()
        object.__setattr__(self, "now", now)

    @property
    def now_days(self) -> float:
        """``now()`` as local days."""
        utc_ms = pd.Timestamp(self.now).as_unit("ns").value / 1e6
        return float(self.local_from_utc(np.array([utc_ms / MS_PER_DAY]))[0])

    def local_from_utc(self, utc_days: np.ndarray) -> np.ndarray:
        """UTC days -> local days (wall clock of ``timezone``)."""
        if self.timezone in ("UTC", "Z", "utc"):
            return utc_days
        ok = np.isfinite(utc_days)
        out = np.full(utc_days.shape, np.nan)
        if ok.any():
            ms = np.round(utc_days[ok] * MS_PER_DAY).astype("int64")
            stamps = pd.to_datetime(ms, unit="ms", utc=True).tz_convert(self.timezone)
            wall = stamps.tz_localize(None).as_unit("ms").asi8.astype(float)
            out[ok] = wall / MS_PER_DAY
        return out

    def utc_from_local(self, local_days: np.ndarray) -> np.ndarray:
        """Local days -> UTC days (ambiguous or missing wall times resolved forward)."""
        if self.timezone in ("UTC", "Z", "utc"):
            return local_days
        local_days = np.asarray(local_days, dtype=float)
        ok = np.isfinite(local_days)
        out = np.full(local_days.shape, np.nan)
        if ok.any():
            ms = np.round(local_days[ok] * MS_PER_DAY).astype("int64")
            stamps = pd.to_datetime(ms, unit="ms").tz_localize(
                self.timezone, ambiguous="NaT", nonexistent="shift_forward"
            )
            utc = stamps.tz_convert("UTC").tz_localize(None).as_unit("ms")
            vals = utc.asi8.astype(float)
            vals[np.asarray(stamps.isna())] = np.nan
            out[ok] = vals / MS_PER_DAY
        return out


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (vectorised).

    >>> days_from_civil(np.array([1970, 2008, 1941]), np.array([1, 9, 12]), np.array([1, 5, 7])).tolist()
    [0, 14127, -10252]
    """
    y = np.asarray(y, dtype=np.int64) - (np.asarray(m) <= 2)
    m = np.asarray(m, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of whole days since 1970-01-01 (vectorised)."""
    z = np.asarray(z, dtype=np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    base = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 1, 12) - 1]
    return base + ((m == 2) & leap)


def _ints(col: pa.Array, default: int = 0) -> np.ndarray:
    filled = pc.fill_null(col, str(default))
    filled = pc.if_else(pc.equal(filled, ""), str(default), filled)
    # values are digit runs; very long runs cannot be dates anyway
    short = pc.if_else(pc.greater(pc.utf8_length(filled), 9), "999999999", filled)
    return np.asarray(pc.cast(short, pa.int64()).to_numpy(zero_copy_only=False))


def _offset_minutes(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offset text (Z, +hh, +hh:mm, +hhmm) -> minutes east of UTC and whether one was given."""
    present = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False))
    text = pc.fill_null(col, "")
    present &= np.asarray(pc.not_equal(text, "").to_numpy(zero_copy_only=False))
    parts = pc.extract_regex(
        pc.if_else(pc.equal(text, "Z"), "+0:0", text),
        r"^(?P<sign>[+-])(?P<h>[0-9]+)(?::(?P<m>[0-9]+))?$",
    )
    sign = np.where(np.asarray(pc.equal(pc.fill_null(parts.field("sign"), "+"), "-")), -1, 1)
    hours = _ints(parts.field("h"))
    mins = _ints(parts.field("m"))
    # +0800 written without a colon
    wide = hours >= 100
    mins = np.where(wide, hours % 100, mins)
    hours = np.where(wide, hours // 100, hours)
    return sign * (hours * 60 + mins), present


def parse_dates(
    values: Sequence[str] | pa.Array, clock: Clock, *, time_only: bool = False
) -> np.ndarray:
    """Parse ISO 8601 text to local days; NaN where the text is not a valid date.

    ``time_only`` parses ``hh:mm[:ss]`` values (``time`` questions) onto 1970-01-01.
    Canonical ODK text (``2024-03-01``, ``2024-03-01T10:20:30.123+08:00``) is decoded
    straight from the UTF-8 bytes; other text goes through a regular expression.
    """
    arr = (
        values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, pa.string())
    )
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    n = len(arr)
    if n == 0:
        return np.zeros(0)
    if not time_only:
        plain = _cast_plain_dates(arr)
        if plain is not None:
            return plain
    if n > 5000:
        sample = arr.slice(0, 2000)
        if len(pc.unique(sample)) < 500:
            enc = arr.dictionary_encode()
            if len(enc.dictionary) < n // 4:
                uniq = parse_dates(enc.dictionary, clock, time_only=time_only)
                idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
                return uniq[idx]
    days = np.full(n, np.nan)
    lengths = np.asarray(pc.binary_length(arr).to_numpy(zero_copy_only=False))
    todo = lengths > 0
    if not time_only:
        canon, ok = _parse_canonical(arr, clock)
        days = np.where(ok, canon, days)
        todo &= ~ok
    if todo.any():
        rows = np.flatnonzero(todo)
        days[rows] = _parse_general(arr.take(pa.array(rows)), clock, time_only)
    return days


def _cast_plain_dates(arr: pa.StringArray) -> np.ndarray | None:
    """The days of a column whose every value is blank or ``yyyy-mm-dd``, in one cast.

    A date question's export: every non-empty value has 10 bytes (from the offsets), and
    pyarrow's ``date32`` parser accepts exactly the valid ``yyyy-mm-dd`` dates of the
    proleptic Gregorian calendar among them, the canonical dates :func:`parse_dates`
    reads (no time, so no time zone). Returns None otherwise (a time part, another
    layout, an invalid date): the general path then decides row by row.
    """
    if arr.null_count:
        return None
    offsets, _ = string_buffers(arr)
    lengths = offsets[1:] - offsets[:-1]
    filled = lengths != 0
    if not filled.any():
        return np.full(len(arr), np.nan)
    if not ((lengths == 10) | ~filled).all():
        return None
    try:
        days = pc.cast(blanks_as_nulls(arr, filled), pa.date32()).cast(pa.int32())
    except pa.ArrowInvalid:
        return None
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype=float)


def _parse_canonical(arr: pa.StringArray, clock: Clock) -> tuple[np.ndarray, np.ndarray]:
    """Decode canonical ISO text from the raw bytes: (local days, which rows were canonical)."""
    n = len(arr)
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[arr.offset : arr.offset + n + 1].astype(
        np.int64
    )
    raw = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    raw = np.concatenate([raw, np.zeros(32, dtype=np.uint8)])  # reads past the end stay in bounds
    start, end = offsets[:-1], offsets[1:]
    length = end - start

    def at(k: np.ndarray | int) -> np.ndarray:
        return raw[start + k]

    def digit(k: np.ndarray | int) -> np.ndarray:
        return at(k).astype(np.int64) - 48

    def is_digit(k: np.ndarray | int) -> np.ndarray:
        b = at(k)
        return (b >= 48) & (b <= 57)

    ok = length >= 10
    for k in (0, 1, 2, 3, 5, 6, 8, 9):
        ok &= is_digit(k)
    ok &= (at(4) == 45) & (at(7) == 45)
    y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)
    m = digit(5) * 10 + digit(6)
    d = digit(8) * 10 + digit(9)
    timed = ok & (length > 10)
    # time part: Thh:mm[:ss[.f+]] then Z or +hh:mm
    tz_z = timed & (raw[end - 1] == 90)
    tz_off = timed & ~tz_z & (length >= 22) & np.isin(raw[end - 6], (43, 45)) & (raw[end - 3] == 58)
    for k in (5, 4, 2, 1):
        tz_off &= (raw[end - k] >= 48) & (raw[end - k] <= 57)
    tz_len = np.where(tz_z, 1, np.where(tz_off, 6, 0))
    core = length - tz_len  # end of the time part
    timed_ok = (
        (at(10) == 84) & is_digit(11) & is_digit(12) & (at(13) == 58) & is_digit(14) & is_digit(15)
    )
    has_sec = core >= 19
    sec_ok = ~has_sec | ((at(16) == 58) & is_digit(17) & is_digit(18))
    has_frac = core >= 21
    frac_ok = ~has_frac | (at(19) == 46)
    frac_len = np.where(has_frac, core - 20, 0)
    frac_ok &= frac_len <= 9
    frac_num = np.zeros(n, dtype=np.int64)
    for k in range(9):
        inside = k < frac_len
        frac_ok &= ~inside | is_digit(20 + k)
        frac_num = np.where(inside, frac_num * 10 + digit(20 + k), frac_num)
    shape_ok = (core == 16) | (core == 19) | has_frac
    timed &= timed_ok & sec_ok & frac_ok & shape_ok
    ok &= (length == 10) | timed
    hh = np.where(timed, digit(11) * 10 + digit(12), 0)
    mm = np.where(timed, digit(14) * 10 + digit(15), 0)
    ss = np.where(timed & has_sec, digit(17) * 10 + digit(18), 0)
    # seconds as Java's parseDouble("ss.fff") (exact decimal -> nearest double)
    secs = (ss * 10 ** np.where(has_frac, frac_len, 0) + frac_num) / np.power(
        10.0, np.where(has_frac, frac_len, 0)
    )
    whole = np.floor(secs)
    ticks = np.trunc(1000.0 * secs - 1000.0 * whole)
    ok &= (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, np.clip(m, 1, 12)))
    ok &= (hh <= 23) & (mm <= 59) & (whole <= 59)
    days = days_from_civil(np.where(ok, y, 1970), np.where(ok, m, 1), np.where(ok, d, 1)).astype(
        float
    )
    days += (hh * 3_600_000 + mm * 60_000 + whole * 1000 + ticks) / MS_PER_DAY
    offset_sign = np.where(raw[end - 6] == 45, -1, 1)
    offset = offset_sign * (
        ((raw[end - 5].astype(np.int64) - 48) * 10 + raw[end - 4] - 48) * 60
        + (raw[end - 2].astype(np.int64) - 48) * 10
        + raw[end - 1]
        - 48
    )
    has_offset = ok & (tz_z | tz_off)
    if has_offset.any():
        minutes = np.where(tz_off, offset, 0)
        days = np.where(has_offset, clock.local_from_utc(days - minutes / 1440.0), days)
    return np.where(ok, days, np.nan), ok


def _parse_general(arr: pa.Array, clock: Clock, time_only: bool) -> np.ndarray:
    """The regular-expression parser for any text JavaRosa accepts."""
    parts = pc.extract_regex(arr, _TIME if time_only else _DATETIME)
    ok = np.asarray(pc.is_valid(parts).to_numpy(zero_copy_only=False))
    if time_only:
        y = np.full(len(arr), 1970)
        m = np.ones(len(arr), dtype=np.int64)
        d = np.ones(len(arr), dtype=np.int64)
    else:
        y, m, d = (_ints(parts.field(k), 1) for k in ("y", "m", "d"))
    hh, mm = _ints(parts.field("H")), _ints(parts.field("M"))
    sec_text = pc.fill_null(parts.field("S"), "0")
    sec_text = pc.if_else(pc.equal(sec_text, ""), "0", sec_text)
    secs = np.asarray(pc.cast(sec_text, pa.float64()).to_numpy(zero_copy_only=False))
    whole = np.floor(secs)
    ticks = np.trunc(1000.0 * secs - 1000.0 * whole)
    ok &= (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, m)) & (y <= 999_999)
    ok &= (hh <= 23) & (mm <= 59) & (whole <= 59)
    days = days_from_civil(np.where(ok, y, 1970), np.where(ok, m, 1), np.where(ok, d, 1)).astype(
        float
    )
    days += (hh * 3_600_000 + mm * 60_000 + whole * 1000 + ticks) / MS_PER_DAY
    offset, has_offset = _offset_minutes(parts.field("z"))
    if has_offset.any():
        utc = days - offset / 1440.0
        days = np.where(has_offset, clock.local_from_utc(utc), days)
    return np.where(ok, days, np.nan)


def date_text(days: np.ndarray) -> pa.Array:
    """``yyyy-mm-dd`` of local days (what ``string()`` gives for dates)."""
    return format_dates(np.floor(np.nan_to_num(np.asarray(days, dtype=float))), "%Y-%m-%d")


_FIXED = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2, "3": 3, "b": 3, "a": 3}


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values.astype(np.int64)[:, None] // powers) % 10 + 48).astype(np.uint8)


def _names(table: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    lookup = np.frombuffer("".join(table).encode("ascii"), dtype=np.uint8).reshape(len(table), 3)
    return lookup[index]


def _tokens(pattern: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c != "%" or i + 1 >= len(pattern):
            literal.append(c)
            i += 1
            continue
        spec = pattern[i + 1]
        i += 2
        if spec == "%":
            literal.append("%")
            continue
        if literal:
            out.append(("text", "".join(literal)))
            literal.clear()
        out.append(("spec", spec))
    if literal:
        out.append(("text", "".join(literal)))
    return out


def format_dates(days: np.ndarray, pattern: str) -> pa.Array:
    """Format local days with a JavaRosa ``format-date`` pattern (%Y %y %m %n %b %d %e %a %H %h %M %S %3).

    >>> format_dates(np.array([17533.4308]), "%Y-%m-%e %H:%M:%S %a %b").to_pylist()
    ['2018-01-2 10:20:21 Tue Jan']
    """
    days = np.asarray(days, dtype=float)
    n = len(days)
    if n > 5000 and len(np.unique(days[:2000])) < 500:
        codes, uniques = pd.factorize(days)
        if len(uniques) < n // 4:
            text = format_dates(np.asarray(uniques, dtype=float), pattern)
            return text.take(pa.array(codes.astype(np.int64)))
    ms = np.round(np.nan_to_num(days) * MS_PER_DAY)
    whole = np.floor(ms / MS_PER_DAY)
    rest = ms - whole * MS_PER_DAY
    y, m, d = civil_from_days(whole)
    lazy = {
        "Y": lambda: y,
        "y": lambda: y % 100,
        "m": lambda: m,
        "n": lambda: m,
        "d": lambda: d,
        "e": lambda: d,
        "H": lambda: rest // 3_600_000,
        "h": lambda: rest // 3_600_000,
        "M": lambda: (rest // 60_000) % 60,
        "S": lambda: (rest // 1000) % 60,
        "3": lambda: rest % 1000,
    }
    tokens = _tokens(pattern)
    fields = {spec: lazy[spec]() for kind, spec in tokens if kind == "spec" and spec in lazy}
    weekday = (whole.astype("int64") + 3) % 7  # 0 = Monday
    for kind, spec in tokens:
        if kind == "spec" and spec not in _FIXED and spec not in ("n", "e", "h"):
            raise ValueError(spec)
    fixed = all(kind == "text" or spec in _FIXED for kind, spec in tokens)
    if fixed and n and (y.min() < 0 or y.max() > 9999):
        fixed = False
    if fixed:
        columns = []
        for kind, spec in tokens:
            if kind == "text":
                lit = np.frombuffer(spec.encode("utf-8"), dtype=np.uint8)
                columns.append(np.broadcast_to(lit, (n, len(lit))))
            elif spec == "b":
                columns.append(_names(_MONTHS, np.clip(m, 1, 12) - 1))
            elif spec == "a":
                columns.append(_names(_WEEKDAYS, weekday))
            else:
                columns.append(_digits(fields[spec], _FIXED[spec]))
        if not columns:
            return pa.array([""] * n, pa.string())
        matrix = np.ascontiguousarray(np.concatenate(columns, axis=1))
        width = matrix.shape[1]
        offsets = (np.arange(n + 1, dtype=np.int64) * width).astype(np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(matrix))
    pieces: list[pa.Array | str] = []
    for kind, spec in tokens:
        if kind == "text":
            pieces.append(spec)
        elif spec == "b":
            pieces.append(
                pa.array(np.array(_MONTHS, dtype=object)[np.clip(m, 1, 12) - 1], pa.string())
            )
        elif spec == "a":
            pieces.append(pa.array(np.array(_WEEKDAYS, dtype=object)[weekday], pa.string()))
        elif spec in ("n", "e", "h"):
            pieces.append(pc.cast(pa.array(fields[spec].astype(np.int64)), pa.string()))
        else:
            text = pc.cast(pa.array(fields[spec].astype(np.int64)), pa.string())
            pieces.append(pc.utf8_lpad(text, width=_FIXED[spec], padding="0"))
    arrays = [p for p in pieces if isinstance(p, pa.Array)]
    if not arrays:
        return pa.array(["".join(p for p in pieces if isinstance(p, str))] * n, pa.string())
    if len(pieces) == 1:
        return pieces[0]  # type: ignore[return-value]
    return pc.binary_join_element_wise(*pieces, "")

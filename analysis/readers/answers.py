"""One grammar for answers written as text: numbers, dates, times, date-times, codes.

Every part of the toolkit that turns an answer's text into a value uses this module:
the readers (whole export columns, through :mod:`analysis.readers.values`), the
corrections (old and new values of ``corrections.csv``), the validation of columns
still holding text, and the data-entry app. The same text therefore means the same
value everywhere. Each function takes one text and returns the value, or ``None`` when
the text is not an answer of that type (empty text included).

Before anything else the text is put in NFKC form and trimmed, so full-width digits
and punctuation typed with a Chinese input method (``１２``, ``２０２４／５／１``,
``１４：３０``) read as their ASCII forms.

Numbers
    ``12``, ``-3``, ``+0.5``, ``.5``, ``1.0E7`` (ODK writes large decimals so),
    thousands groups ``1,234,567.5`` (groups of exactly three digits). An integer is
    a number with no fractional part: ``12.0`` is 12, ``12.5`` is not an integer.
    ``NA``, ``nan``, ``inf``, ``1,5``, ``1_000`` and ``十二`` are not numbers.

Dates
    * ISO 8601 ``2024-05-01``, also with one-digit month or day (``2024-5-1``, as
      JavaRosa accepts);
    * year first with ``/`` or ``.`` (``2024/05/01``, ``2024.5.1``; one separator
      throughout), ``2024年5月1日`` and ``20240501``;
    * a month written as a word (``01-May-24``, ``1 May 2024``, ``May 1, 2024``); a
      two-digit year is 2000-2068 for 00-68 and 1969-1999 for 69-99 (as ``%y``);
    * day and month first (``05/01/2024``, ``5.1.24``) **only with a declared
      order** (``order="dmy"`` or ``"mdy"``). Without one such a date is refused,
      even when one reading is impossible (``13/01/2024``): whether ``05/01/2024``
      is 5 January or 1 May cannot be told from the text, and guessing per column
      made the value of a cell depend on the other cells;
    * a date followed by a time (below) is the date of its wall clock.

    A date must exist (``2024-02-30`` is refused). Excel serial day numbers
    (``45413``) are not dates written by a person: :func:`excel_serial` converts them
    and only the readers of spreadsheet exports use it (logged ``RD114``).

Times
    ``14:30``, ``14:30:05``, ``10:20:00.000`` and ``14时30分[5秒]``, optionally followed
    by a UTC offset (``Z``, ``+08``, ``+0800``, ``+08:00``) as ODK writes it.

Date-times
    A date, then ``T`` or spaces, then a time: ``2024-05-01T10:20:00.000+08:00``,
    ``2024/5/1 10:20``. A date alone is midnight. The value is the wall clock; the
    offset, when written, is returned beside it (:class:`Moment`) and the caller
    decides what to do with it (the readers convert a column mixing offsets to UTC).

Codes
    select_multiple answers are codes separated by spaces, commas or ``、``.

Examples
--------
>>> parse_integer("１２"), parse_integer("12.0"), parse_integer("12.5"), parse_integer("NA")
(12, 12, None, None)
>>> parse_decimal("1,234.5"), parse_decimal("1.0E7")
(1234.5, 10000000.0)
>>> parse_date("2024年5月1日"), parse_date("05/01/2024")
(datetime.date(2024, 5, 1), None)
>>> parse_date("05/01/2024", order="dmy")
datetime.date(2024, 1, 5)
>>> parse_datetime("2024-05-01T10:20:00.000+08:00")
Moment(wall=datetime.datetime(2024, 5, 1, 10, 20), offset=480)
>>> excel_serial("45413")
datetime.datetime(2024, 5, 1, 0, 0)
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Literal, NamedTuple

__all__ = [
    "DATE_ORDERS",
    "SERIAL_RANGE",
    "DateOrder",
    "Moment",
    "decimal_text",
    "excel_serial",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_integer",
    "parse_number",
    "parse_time",
    "plain",
    "split_codes",
    "utc_offset",
]

#: A declared order of day and month for dates written day or month first.
DateOrder = Literal["dmy", "mdy"]
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")

#: Excel serial day numbers read as dates (1954-10-03 .. 2119-01-11).
SERIAL_RANGE = (20000, 80000)
_EXCEL_ORIGIN = dt.datetime(1899, 12, 30)
#: Largest integer kept exactly (as float64 and as pandas Int64 built from floats).
_MAX_INTEGER = 2**53

_A = re.ASCII
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", _A)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", _A)
_SERIAL = re.compile(r"\d+(?:\.\d+)?", _A)

_YEAR_FIRST = re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})", _A)
_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", _A)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", _A)
_DAY_MONTH = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?!\d)", _A)
_WORD_DAY_FIRST = re.compile(r"(\d{1,2})[-\s]([A-Za-z]{3,9})\.?[-\s]\s*(\d{4}|\d{2})(?!\d)", _A)
_WORD_MONTH_FIRST = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})(?!\d)", _A)
_TIME = re.compile(
    r"(\d{1,2})\s*[:时]\s*(\d{2})(?:\s*分|\s*[:分]\s*(\d{2}(?:\.\d+)?)\s*秒?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    _A,
)
_OFFSET = re.compile(r"Z|[+-]\d{2}(?::?\d{2})?", _A)
_TIME_AFTER_DATE = re.compile(r"(?:T|\s+)(.+)", _A | re.DOTALL)
_CODE_SEP = re.compile(r"[\s,;、，；]+")

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        )
    )
    for name in names
}


class Moment(NamedTuple):
    """A date-time as written: the wall clock and the UTC offset in minutes (or None)."""

    wall: dt.datetime
    offset: int | None


def plain(text: str) -> str:
    """The text in NFKC form (full-width digits and signs to ASCII), trimmed.

    >>> plain(" １２：３０ ")
    '12:30'
    """
    return unicodedata.normalize("NFKC", text).strip()


def parse_number(text: str) -> Decimal | None:
    """The exact number written, or None.

    >>> parse_number("1,234.50"), parse_number("1,5")
    (Decimal('1234.50'), None)
    """
    t = plain(text)
    if _THOUSANDS.fullmatch(t):
        t = t.replace(",", "")
    elif not _NUMBER.fullmatch(t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the patterns admit only numbers
        return None


def parse_integer(text: str) -> int | None:
    """A whole number (``12``, ``12.0``, ``１２``, ``1,234``), or None.

    Integers of 2**53 and more are refused: they cannot be held exactly.
    """
    value = parse_number(text)
    if value is None or value != value.to_integral_value() or abs(value) >= _MAX_INTEGER:
        return None
    return int(value)


def parse_decimal(text: str) -> float | None:
    """A number as a float, or None (also for numbers too large for a float)."""
    value = parse_number(text)
    if value is None:
        return None
    out = float(value)
    return out if abs(out) != float("inf") else None


def decimal_text(text: str) -> str | None:
    """The number written, as ODK stores a decimal (no exponent, no trailing zeros).

    None where :func:`parse_decimal` gives None (not a number, or beyond a float).

    >>> decimal_text("1.50"), decimal_text("1.0E3"), decimal_text("-0.0")
    ('1.5', '1000', '0')
    """
    value = parse_number(text)
    if value is None or abs(float(value)) == float("inf"):
        return None
    out = format(value.normalize(), "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return "0" if out in ("-0", "+0", "") else out


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 1900 if year >= 69 else 2000
    return year


def _month(word: str) -> int | None:
    return _MONTHS.get(word.lower())


def _calendar(year: int, month: int | None, day: int) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _date_prefix(t: str, order: DateOrder | None) -> tuple[dt.date | None, str] | None:
    """The date at the start of ``t`` and the rest of the text (None: no date form)."""
    m = _YEAR_FIRST.match(t) or _CHINESE.match(t)
    if m:
        groups = [g for g in m.groups() if g not in ("-", "/", ".")]
        y, mo, d = (int(g) for g in groups)
        return _calendar(y, mo, d), t[m.end() :]
    m = _COMPACT.match(t)
    if m:
        return _calendar(int(m[1]), int(m[2]), int(m[3])), t[m.end() :]
    m = _WORD_DAY_FIRST.match(t)
    if m:
        return _calendar(_year(m[3]), _month(m[2]), int(m[1])), t[m.end() :]
    m = _WORD_MONTH_FIRST.match(t)
    if m:
        return _calendar(_year(m[3]), _month(m[1]), int(m[2])), t[m.end() :]
    m = _DAY_MONTH.match(t)
    if m and order is not None:
        a, b = int(m[1]), int(m[3])
        day, month = (a, b) if order == "dmy" else (b, a)
        return _calendar(_year(m[4]), month, day), t[m.end() :]
    return None


def _clock(t: str) -> tuple[dt.time, int | None] | None:
    m = _TIME.fullmatch(t)
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2])
    seconds = Decimal(m[3] or "0")
    whole = int(seconds)
    micro = int((seconds - whole) * 1_000_000)
    if hour > 23 or minute > 59 or whole > 59:
        return None
    offset = utc_offset(m[4]) if m[4] else None
    if m[4] and offset is None:
        return None
    return dt.time(hour, minute, whole, micro), offset


def utc_offset(text: str) -> int | None:
    """Minutes east of UTC of an offset written ``Z``, ``+08``, ``+0800`` or ``+08:00``.

    >>> utc_offset("+08:00"), utc_offset("-0530"), utc_offset("Z"), utc_offset("+25")
    (480, -330, 0, None)
    """
    if not _OFFSET.fullmatch(text):
        return None
    if text == "Z":
        return 0
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
    if hours > 14 or minutes > 59:
        return None
    return (-1 if text[0] == "-" else 1) * (hours * 60 + minutes)


def _moment(text: str, order: DateOrder | None) -> Moment | None:
    t = plain(text)
    found = _date_prefix(t, order)
    if found is None or found[0] is None:
        return None
    day, rest = found
    if rest == "":
        return Moment(dt.datetime.combine(day, dt.time()), None)
    m = _TIME_AFTER_DATE.fullmatch(rest)
    clock = _clock(m[1].strip()) if m else None
    if clock is None:
        return None
    return Moment(dt.datetime.combine(day, clock[0]), clock[1])


def _check_order(order: DateOrder | None) -> None:
    if order is not None and order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {DATE_ORDERS}, not {order!r}")


def parse_date(text: str, *, order: DateOrder | None = None) -> dt.date | None:
    """The date written (a time after it is ignored), or None. See the module notes.

    >>> parse_date("2024-5-1"), parse_date("01-May-24"), parse_date("2024-02-30")
    (datetime.date(2024, 5, 1), datetime.date(2024, 5, 1), None)
    """
    _check_order(order)
    moment = _moment(text, order)
    return None if moment is None else moment.wall.date()


def parse_datetime(text: str, *, order: DateOrder | None = None) -> Moment | None:
    """The wall clock and the UTC offset written (None when absent), or None.

    >>> parse_datetime("2024/5/1 14时30分").wall
    datetime.datetime(2024, 5, 1, 14, 30)
    """
    _check_order(order)
    return _moment(text, order)


def parse_time(text: str) -> tuple[dt.time, int | None] | None:
    """The time of day and the UTC offset in minutes written (None when absent), or None.

    >>> parse_time("10:20:00.000+08:00"), parse_time("25:00")
    ((datetime.time(10, 20), 480), None)
    """
    return _clock(plain(text))


def excel_serial(text: str) -> dt.datetime | None:
    """The date-time an Excel serial day number stands for (20000-80000), or None.

    >>> excel_serial("45413.5"), excel_serial("12")
    (datetime.datetime(2024, 5, 1, 12, 0), None)
    """
    t = plain(text)
    if not _SERIAL.fullmatch(t):
        return None
    days = float(t)
    if not SERIAL_RANGE[0] <= days <= SERIAL_RANGE[1]:
        return None
    return _EXCEL_ORIGIN + dt.timedelta(days=days)


def split_codes(text: str) -> list[str]:
    """Codes of a select_multiple answer written with spaces, commas or 、.

    >>> split_codes("1 3，5、2")
    ['1', '3', '5', '2']
    """
    return [c for c in _CODE_SEP.split(plain(text)) if c]

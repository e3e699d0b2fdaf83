"""Whole-column values of the four expression types and the XPath/JavaRosa coercions.

A column value is :class:`Values` (one type for every row) or :class:`Mixed` (a type per
row, as ``if(${a} > 0, ${a}, '')`` gives). The types and their data:

========  ==============================================  ==========================
kind      data                                            XPath / ODK
========  ==============================================  ==========================
BOOLEAN   numpy bool array                                boolean
NUMBER    numpy float64 array                             number (IEEE 754 double)
STRING    pyarrow string array (no nulls)                 string
DATE      numpy float64 local days since 1970-01-01       JavaRosa Date (ODK extension)
========  ==============================================  ==========================

``data`` may also be a Python scalar (a literal), broadcast to every row. A number, date
or boolean column read from the data can carry ``blank``: rows that hold the empty string
(an unanswered question) instead, with NaN/False in ``data`` there. This is JavaRosa's
model: an unanswered integer question evaluates to ``''``, an answered one to a Double.

Coercions follow JavaRosa's ``XPathFuncExpr.toNumeric/toString/toBoolean`` and
comparisons ``XPathEqExpr``/``XPathCmpExpr`` (XPath 1.0 §3.4 with ODK dates):

* ``=``/``!=``: if either side is boolean compare booleans; else if either is a number
  compare numbers (|a-b| < 1e-12); else compare strings (dates as ``yyyy-mm-dd``);
* ``< <= > >=`` and arithmetic convert both sides to numbers;
* number(text): trimmed, ``,`` read as ``.``, only ``-``, ``.`` and digits allowed
  (``'1e3'`` and ``'Infinity'`` are NaN); number(date) = whole local days;
* string(number): integers without ``.0``, ``NaN``, ``Infinity``; others as Java prints
  doubles (``0.5``, ``1.0E-5``); string(boolean) = ``true``/``false``;
* boolean(text) = non-empty; boolean(number) = not 0 and not NaN; boolean(date) = true.

Examples
--------
>>> a = Values(NUMBER, np.array([1.0, np.nan, 3.0]), blank=np.array([False, True, False]))
>>> as_list(equal(a, constant("")), 3)
[False, True, False]
>>> as_list(compare(">", a, constant(2.0)), 3)
[False, False, True]
>>> as_list(to_string(constant(0.1 + 0.2), 1), 1)
['0.30000000000000004']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .buffers import blanks_as_nulls, string_buffers
from .dates import date_text

__all__ = [
    "BOOLEAN",
    "DATE",
    "KIND_NAMES",
    "NUMBER",
    "STRING",
    "Mixed",
    "Values",
    "Vec",
    "arithmetic",
    "as_list",
    "compare",
    "constant",
    "equal",
    "format_numbers",
    "gather",
    "is_scalar",
    "java_number_text",
    "materialize",
    "np_bool",
    "pa_mask",
    "parse_numbers",
    "pieces",
    "select",
    "size_of",
    "strings",
    "take",
    "to_boolean",
    "to_double",
    "to_number",
    "to_string",
    "where",
]

BOOLEAN, NUMBER, STRING, DATE = 0, 1, 2, 3
KIND_NAMES = ("boolean", "number", "string", "date")


@dataclass(frozen=True, slots=True, eq=False)
class Values:
    """A column (or a broadcast scalar) of one type; see the module docstring."""

    kind: int
    data: Any
    blank: np.ndarray | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Mixed:
    """A column whose type differs by row: ``tags`` holds the kind of each row and
    ``parts[kind]`` the values (meaningful only where ``tags == kind``)."""

    tags: np.ndarray
    parts: dict[int, Values]


Vec = Values | Mixed

# ---------------------------------------------------------------------------- basics


def is_scalar(data: Any) -> bool:
    """True for broadcast scalars (literals)."""
    return not isinstance(data, np.ndarray | pa.Array)


def constant(value: Any) -> Values:
    """A broadcast literal: bool, number or str.

    >>> constant(5).kind == NUMBER, constant("a").kind == STRING
    (True, True)
    """
    if isinstance(value, bool | np.bool_):
        return Values(BOOLEAN, bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return Values(NUMBER, float(value))
    if isinstance(value, str):
        return Values(STRING, value)
    raise TypeError(f"not an expression value: {value!r}")


def pa_mask(mask: np.ndarray) -> pa.BooleanArray:
    """A numpy bool array as a pyarrow boolean array (fast bit packing)."""
    mask = np.ascontiguousarray(mask, dtype=bool)
    bits = np.packbits(mask, bitorder="little")
    return pa.BooleanArray.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(bits)])


def np_bool(arr: Any) -> np.ndarray:
    """A pyarrow boolean result (no nulls) as a numpy bool array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if isinstance(arr, pa.Scalar):
        return np.bool_(arr.as_py())
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def strings(data: Any) -> Any:
    """Normalise string data: a pyarrow ``string`` array without nulls, or a Python str."""
    if isinstance(data, str):
        return data
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    if isinstance(data, pa.Array):
        if data.type != pa.string():
            data = data.cast(pa.string())
        if data.null_count:
            data = pc.fill_null(data, "")
        return data
    return pa.array(data, pa.string())


def materialize(v: Values, n: int) -> Any:
    """The data of ``v`` as a full-length array (scalars broadcast)."""
    if not is_scalar(v.data):
        return v.data
    if v.kind == STRING:
        return pa.array([v.data], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))
    dtype = bool if v.kind == BOOLEAN else float
    return np.full(n, v.data, dtype=dtype)


def pieces(v: Vec) -> list[tuple[np.ndarray | None, Values]]:
    """``v`` as (mask, uniform values) pairs; mask None means every row."""
    if isinstance(v, Values):
        if v.blank is None:
            return [(None, v)]
        if not v.blank.any():
            return [(None, Values(v.kind, v.data))]
        return [(~v.blank, Values(v.kind, v.data)), (v.blank, Values(STRING, ""))]
    return [(v.tags == kind, part) for kind, part in v.parts.items()]


def _mask_and(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def where(kind: int, mask: np.ndarray, a: Any, b: Any) -> Any:
    """Row-wise ``a if mask else b`` for data of ``kind``."""
    if kind == STRING:
        if is_scalar(a) and is_scalar(b) and a == b:
            return a
        return pc.if_else(pa_mask(mask), a, b)
    return np.where(mask, a, b)


def select(cases: Sequence[tuple[np.ndarray | None, Vec]], n: int) -> Vec:
    """First matching case per row (like ``numpy.select``); a None mask matches every row.

    The result is uniform when all chosen values have one type, :class:`Mixed` otherwise.
    """
    flat: list[tuple[np.ndarray | None, Values]] = []
    done = False
    for mask, vec in cases:
        for pmask, part in pieces(vec):
            m = _mask_and(mask, pmask)
            if m is not None and not m.any():
                continue
            flat.append((m, part))
            if m is None:
                done = True
                break
        if done:
            break
    if flat and flat[-1][0] is not None:
        covered = np.zeros(n, dtype=bool)
        for m, _ in flat:
            covered |= m  # type: ignore[arg-type]
        if not covered.all():
            flat.append((None, Values(STRING, "")))
    if not flat:
        return Values(STRING, "")
    if len(flat) == 1:
        return flat[0][1]
    kinds = {part.kind for _, part in flat}
    merged: dict[int, Any] = {}
    for kind in kinds:
        data = None
        for m, part in reversed(flat):
            if part.kind != kind:
                continue
            data = part.data if (m is None or data is None) else where(kind, m, part.data, data)
        merged[kind] = data
    if len(kinds) == 1:
        (kind,) = kinds
        return Values(kind, merged[kind])
    tags = np.full(n, -1, dtype=np.int8)
    for m, part in reversed(flat):
        tags = (
            np.full(n, part.kind, dtype=np.int8)
            if m is None
            else np.where(m, np.int8(part.kind), tags)
        )
    present = np.unique(tags)
    if len(present) == 1:
        kind = int(present[0])
        return Values(kind, merged[kind])
    return Mixed(tags, {int(k): Values(int(k), merged[int(k)]) for k in present})


def _map(v: Vec, fn: Callable[[Values], Values], n: int) -> Vec:
    """Apply a uniform -> uniform function to every piece of ``v``."""
    ps = pieces(v)
    if len(ps) == 1:
        return fn(ps[0][1])
    return select([(m, fn(part)) for m, part in ps], n)


def _pairwise(a: Vec, b: Vec, fn: Callable[[Values, Values], Values], n: int) -> Vec:
    pa_, pb_ = pieces(a), pieces(b)
    if len(pa_) == 1 and len(pb_) == 1:
        return fn(pa_[0][1], pb_[0][1])
    cases = []
    for ma, va in pa_:
        for mb, vb in pb_:
            m = _mask_and(ma, mb)
            if m is not None and not m.any():
                continue
            cases.append((m, fn(va, vb)))
    return select(cases, n)


def size_of(*vecs: Vec) -> int | None:
    """The row count of the first non-scalar value, or None when all are scalars."""
    for v in vecs:
        if isinstance(v, Mixed):
            return len(v.tags)
        if not is_scalar(v.data):
            return len(v.data)
        if v.blank is not None:
            return len(v.blank)
    return None


# ---------------------------------------------------------------------------- numbers

_NUMBER_TEXT = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_JAVA_TRIM = "".join(chr(i) for i in range(33))


def _parse_number_scalar(s: str) -> float:
    t = s.replace(",", ".").strip(_JAVA_TRIM)
    if not t or any(c not in "-.0123456789" for c in t):
        return math.nan
    try:
        return float(t) if _valid_java_double(t) else math.nan
    except ValueError:
        return math.nan


def _valid_java_double(t: str) -> bool:
    body = t[1:] if t.startswith("-") else t
    if not body or "-" in body or body.count(".") > 1 or body == ".":
        return False
    return True


def parse_numbers(data: Any) -> Any:
    """JavaRosa number(text) on a string array (or str): NaN where not a number.

    >>> parse_numbers(pa.array([" 12 ", "4,6", "1e3", "", "-.5", "0017."])).tolist()
    [12.0, 4.6, nan, nan, -0.5, 17.0]
    """
    if isinstance(data, str):
        return _parse_number_scalar(data)
    n = len(data)
    if n == 0:
        return np.zeros(0)
    fast = _cast_plain_numbers(data)
    if fast is not None:
        return fast
    valid, unusual = _plain_numbers(data)
    safe = pc.if_else(pa_mask(valid), data, "0") if not valid.all() else data
    out = np.asarray(pc.cast(safe, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    if not valid.all():
        out = np.where(valid, out, np.nan)
    if unusual.any():
        # text with ',' or surrounding spaces: the general (regex) path, on those rows only
        rows = np.flatnonzero(unusual)
        out[rows] = _parse_numbers_general(data.take(pa.array(rows)))
    return out


def _cast_plain_numbers(data: pa.Array) -> np.ndarray | None:
    """The numbers of a column whose every answer is blank or a plain number, in one cast.

    The common case of an export: every byte of the column is a digit, ``.`` or ``-``
    (three vectorised reductions over the value buffer), so a non-empty value that pyarrow's float parser
    accepts matches ``-?([0-9]+.?[0-9]*|.[0-9]+)``, the syntax JavaRosa reads (no
    exponent, sign, space, ``,``, ``inf`` or ``nan`` can occur). Blanks become nulls (a
    validity bitmap over the same buffers, no copy), hence NaN. Returns None when a byte
    is outside that set or the cast refuses a value (``'1-2'``, ``'.'``): the general
    path then decides row by row.
    """
    if data.null_count or data.type not in (pa.string(), pa.large_string()):
        return None
    offsets, raw = string_buffers(data)
    body = raw[int(offsets[0]) : int(offsets[-1])]
    if not body.size:
        return np.full(len(data), np.nan)
    if body.min() < 45 or body.max() > 57 or (body == 47).any():  # only - . 0-9 (not /)
        return None
    try:
        numbers = pc.cast(blanks_as_nulls(data), pa.float64())
    except pa.ArrowInvalid:
        return None
    return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=float)


def _plain_numbers(data: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per row: is the text a plain number (``-?digits[.digits]``), and does it hold ','
    or spaces/control characters (which JavaRosa reads as '.' or trims)?"""
    offsets, raw = string_buffers(data)
    offsets = offsets.astype(np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    b = raw[lo:hi]
    start, end = offsets[:-1] - lo, offsets[1:] - lo
    length = end - start

    def per_row(weights: np.ndarray) -> np.ndarray:
        cs = np.empty(len(weights) + 1, dtype=np.int64)
        cs[0] = 0
        np.cumsum(weights, out=cs[1:])
        return cs[end] - cs[start]

    # one pass: counts of digits, dots, minus signs and other bytes packed in 16-bit fields
    counts = per_row(_BYTE_CLASS[b])
    mask16 = np.int64(0xFFFF)
    n_digit = counts & mask16
    n_dot = (counts >> 16) & mask16
    n_minus = (counts >> 32) & mask16
    n_other = (counts >> 48) & mask16
    first_minus = np.zeros(len(length), dtype=bool)
    nonempty = length > 0
    first_minus[nonempty] = b[start[nonempty]] == 45
    long = length >= 0xFFFF
    valid = (
        nonempty & ~long & (n_other == 0) & (n_dot <= 1) & (n_digit >= 1) & (n_minus == first_minus)
    )
    unusual = ~valid & nonempty & ((n_other > 0) | long)
    if unusual.any():
        spaced = per_row(((b <= 32) | (b == 44)).astype(np.int64)) > 0
        unusual &= spaced | long
    return valid, unusual


_BYTE_CLASS = np.full(256, np.int64(1) << 48, dtype=np.int64)
_BYTE_CLASS[48:58] = 1
_BYTE_CLASS[46] = np.int64(1) << 16
_BYTE_CLASS[45] = np.int64(1) << 32


def _parse_numbers_general(text: pa.Array) -> np.ndarray:
    if np_bool(pc.any(pc.match_substring(text, ","))):
        text = pc.replace_substring(text, ",", ".")
    text = pc.utf8_trim(text, characters=_JAVA_TRIM)
    ok = pc.match_substring_regex(text, _NUMBER_TEXT)
    safe = pc.if_else(ok, text, "0")
    out = np.asarray(pc.cast(safe, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    return np.where(np_bool(ok), out, np.nan)


def java_number_text(d: float) -> str:
    """JavaRosa ``toString(Double)``: what string() and concat() show for a number.

    >>> [java_number_text(x) for x in (5.0, -0.0, 0.5, 1e-5, 12345678.5, 3e9, float("inf"))]
    ['5', '0', '0.5', '1.0E-5', '1.23456785E7', '3.0E9', 'Infinity']
    """
    if math.isnan(d):
        return "NaN"
    if abs(d) < 1e-12:
        return "0"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    t = _java_int(d)
    if abs(d - t) < 1e-12:
        return str(int(t))
    return _java_double_to_string(d)


def _java_int(d: float) -> float:
    """Java's ``(int) d`` for a finite double: truncation saturating at the int range."""
    return float(max(-2147483648, min(2147483647, math.trunc(d))))


def _java_double_to_string(d: float) -> str:
    """Java ``Double.toString`` with shortest round-trip digits (JDK 19+)."""
    if d == 0:
        return "0.0" if math.copysign(1, d) > 0 else "-0.0"
    sign = "-" if d < 0 else ""
    a = abs(d)
    if 1e-3 <= a < 1e7:
        text = repr(a)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        if "." not in text:
            text += ".0"
        return sign + text
    digits, exponent = _shortest_digits(a)
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{exponent}"


def _shortest_digits(a: float) -> tuple[str, int]:
    tup = Decimal(repr(a)).as_tuple()
    digits = "".join(map(str, tup.digits)).rstrip("0") or "0"
    exponent = len(tup.digits) + tup.exponent - 1
    return digits, exponent


def format_numbers(a: Any) -> Any:
    """JavaRosa ``toString`` of a float array (vectorised); a float gives a str."""
    if is_scalar(a):
        return java_number_text(float(a))
    a = np.asarray(a, dtype=float)
    if len(a) == 0:
        return pa.array([], pa.string())
    if len(a) > 5000 and len(np.unique(a[:2000])) < 500:
        # an answer column has few distinct numbers: format each once, then look them up
        codes = pa.array(a).dictionary_encode()
        if len(codes.dictionary) < len(a) // 4:
            distinct = np.asarray(codes.dictionary.to_numpy(zero_copy_only=False), dtype=float)
            return format_numbers(distinct).take(codes.indices)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(a)
        t = np.trunc(np.where(finite, a, 0.0))
        t = np.clip(t, -2147483648, 2147483647)
        t = np.where(
            finite, t, np.where(np.isnan(a), 0.0, np.where(a > 0, 2147483647.0, -2147483648.0))
        )
        intlike = finite & (np.abs(a - t) < 1e-12)
        zero = np.abs(a) < 1e-12
    base = pc.cast(pa.array(np.where(zero, 0, t).astype(np.int64)), pa.string())
    other = ~(intlike | zero)
    if not other.any():
        return base
    plain = other & finite & (np.abs(a) >= 1e-3) & (np.abs(a) < 1e7)
    result = base
    if plain.any():
        text = pc.cast(pa.array(a[plain]), pa.string())
        result = pc.replace_with_mask(result, pa_mask(plain), text)
    rare = other & ~plain
    if rare.any():
        values = a[rare]
        uniq, inverse = np.unique(values, return_inverse=True)
        texts = np.array([java_number_text(float(x)) for x in uniq], dtype=object)[inverse]
        result = pc.replace_with_mask(result, pa_mask(rare), pa.array(texts, pa.string()))
    return result


# ---------------------------------------------------------------------------- coercions


def _uniform_number(v: Values) -> Values:
    if v.kind == NUMBER:
        return Values(NUMBER, v.data)
    if v.kind == BOOLEAN:
        return Values(NUMBER, float(v.data) if is_scalar(v.data) else v.data.astype(float))
    if v.kind == STRING:
        return Values(NUMBER, parse_numbers(v.data))
    return Values(NUMBER, np.floor(v.data) if not is_scalar(v.data) else math.floor(v.data))


def to_number(v: Vec, n: int) -> Values:
    """XPath ``number()`` as JavaRosa computes it (dates: whole local days)."""
    if isinstance(v, Values) and v.blank is not None and v.kind in (NUMBER, DATE):
        return _uniform_number(Values(v.kind, v.data))  # NaN already at blank rows
    return _map(v, _uniform_number, n)  # type: ignore[return-value]


def to_double(v: Vec, n: int) -> Values:
    """JavaRosa ``toDouble``: like number(), but dates keep their time of day."""

    def fn(u: Values) -> Values:
        return Values(NUMBER, u.data) if u.kind == DATE else _uniform_number(u)

    if isinstance(v, Values) and v.blank is not None and v.kind in (NUMBER, DATE):
        return Values(NUMBER, v.data)
    return _map(v, fn, n)  # type: ignore[return-value]


def _uniform_string(v: Values) -> Values:
    if v.kind == STRING:
        return v
    if v.kind == NUMBER:
        return Values(STRING, format_numbers(v.data))
    if v.kind == BOOLEAN:
        if is_scalar(v.data):
            return Values(STRING, "true" if v.data else "false")
        return Values(STRING, pc.if_else(pa_mask(v.data), "true", "false"))
    if is_scalar(v.data):
        return Values(STRING, date_text(np.array([v.data]))[0].as_py())
    return Values(STRING, date_text(v.data))


def to_string(v: Vec, n: int) -> Values:
    """XPath ``string()`` as JavaRosa computes it."""
    return _map(v, _uniform_string, n)  # type: ignore[return-value]


def _uniform_boolean(v: Values) -> Values:
    d = v.data
    if v.kind == BOOLEAN:
        return v
    if v.kind == NUMBER:
        if is_scalar(d):
            return Values(BOOLEAN, bool(abs(d) > 1e-12 and not math.isnan(d)))
        with np.errstate(invalid="ignore"):
            return Values(BOOLEAN, (np.abs(d) > 1e-12) & ~np.isnan(d))
    if v.kind == STRING:
        if is_scalar(d):
            return Values(BOOLEAN, len(d) > 0)
        return Values(BOOLEAN, np.asarray(pc.binary_length(d).to_numpy(zero_copy_only=False)) > 0)
    return Values(BOOLEAN, True)


def to_boolean(v: Vec, n: int) -> Values:
    """XPath ``boolean()`` as JavaRosa computes it (an empty answer is false)."""
    if isinstance(v, Values) and v.blank is not None:
        if v.kind == NUMBER:
            return _uniform_boolean(Values(NUMBER, v.data))
        if v.kind == DATE:
            return Values(BOOLEAN, ~v.blank)
    return _map(v, _uniform_boolean, n)  # type: ignore[return-value]


# ---------------------------------------------------------------------------- operators


def _eq_uniform(a: Values, b: Values) -> Values:
    if a.kind == BOOLEAN or b.kind == BOOLEAN:
        x, y = _uniform_boolean(a).data, _uniform_boolean(b).data
        return Values(BOOLEAN, x == y)
    if a.kind == NUMBER or b.kind == NUMBER:
        x, y = _uniform_number(a).data, _uniform_number(b).data
        with np.errstate(invalid="ignore"):
            diff = np.subtract(x, y)
            diff = np.abs(diff, out=diff) if isinstance(diff, np.ndarray) else np.abs(diff)
            return Values(BOOLEAN, diff < 1e-12)
    x, y = _uniform_string(a).data, _uniform_string(b).data
    if is_scalar(x) and is_scalar(y):
        return Values(BOOLEAN, x == y)
    return Values(BOOLEAN, np_bool(pc.equal(x, y)))


def equal(a: Vec, b: Vec, n: int | None = None) -> Values:
    """XPath ``=`` with JavaRosa's type rules; blank answers compare as ''."""
    n = n if n is not None else (size_of(a, b) or 1)
    # fast paths: an answered-or-blank number/date column against a number or boolean,
    # where a blank row ('') gives the same result as the NaN stored there
    if isinstance(a, Values) and isinstance(b, Values) and b.blank is None and a.blank is not None:
        if (a.kind in (NUMBER, DATE) and b.kind == NUMBER) or (
            a.kind == NUMBER and b.kind == BOOLEAN
        ):
            return _eq_uniform(Values(a.kind, a.data), b)
    if isinstance(a, Values) and isinstance(b, Values) and a.blank is None and b.blank is not None:
        return equal(b, a, n)
    return _pairwise(a, b, _eq_uniform, n)  # type: ignore[return-value]


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def compare(op: str, a: Vec, b: Vec, n: int | None = None) -> Values:
    """XPath ``< <= > >=``: both sides as numbers (so ``'10' < '9'`` is false)."""
    n = n if n is not None else (size_of(a, b) or 1)
    x, y = to_number(a, n).data, to_number(b, n).data
    with np.errstate(invalid="ignore"):
        out = _COMPARE[op](x, y)
    return Values(BOOLEAN, bool(out) if np.ndim(out) == 0 else out)


def _fmod(x: Any, y: Any) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.fmod(x, y)


def _div(x: Any, y: Any) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.true_divide(x, y)


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "div": _div,
    "mod": _fmod,
}


def arithmetic(op: str, a: Vec, b: Vec, n: int | None = None) -> Values:
    """XPath ``+ - * div mod`` on numbers (IEEE: 1 div 0 = Infinity, 0 div 0 = NaN)."""
    n = n if n is not None else (size_of(a, b) or 1)
    x, y = to_number(a, n).data, to_number(b, n).data
    with np.errstate(invalid="ignore", over="ignore"):
        out = _ARITHMETIC[op](x, y)
    return Values(NUMBER, float(out) if np.ndim(out) == 0 else out)


# ---------------------------------------------------------------------------- output


def as_list(v: Vec, n: int) -> list[Any]:
    """Row values as Python objects (str, float, bool; dates as local-days floats tagged
    by :func:`to_python`); mainly for tests and doctests."""
    return [to_python(x) for x in _rows(v, n)]


def _rows(v: Vec, n: int) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = [(STRING, "")] * n
    for mask, part in pieces(v):
        data = materialize(part, n)
        values = data.to_pylist() if isinstance(data, pa.Array) else data.tolist()
        idx = range(n) if mask is None else np.flatnonzero(mask)
        for i in idx:
            out[i] = (part.kind, values[i])
    return out


def to_python(item: tuple[int, Any]) -> Any:
    """(kind, value) -> a plain Python value (dates become ``LocalDays`` floats)."""
    kind, value = item
    if kind == DATE:
        return LocalDays(value)
    if kind == BOOLEAN:
        return bool(value)
    if kind == NUMBER:
        return float(value)
    return value


class LocalDays(float):
    """A date value as local days since 1970-01-01 (a float subclass, so it compares)."""

    def __repr__(self) -> str:
        return f"LocalDays({float(self)!r})"


def gather(arr: np.ndarray, idx: np.ndarray, fill: Any) -> np.ndarray:
    """``arr[idx]`` where ``idx`` may hold -1 (giving ``fill``), even when ``arr`` is empty."""
    missing = idx < 0
    if len(arr) == 0:
        return np.full(len(idx), fill, dtype=np.result_type(arr.dtype, np.asarray(fill).dtype))
    out = arr[np.where(missing, 0, idx)]
    if missing.any():
        out = np.where(missing, fill, out)
    return out


def take(v: Vec, idx: np.ndarray | None) -> Vec:
    """Rows ``idx`` of ``v`` (a row of an enclosing scope for each row); -1 gives ''.

    >>> as_list(take(Values(NUMBER, np.array([1.0, 2.0])), np.array([1, 1, -1])), 3)
    [2.0, 2.0, '']
    """
    if idx is None:
        return v
    if size_of(v) == 0 and len(idx):
        kind = v.kind if isinstance(v, Values) else STRING
        if kind == STRING:
            return Values(STRING, "")
        fill = False if kind == BOOLEAN else np.nan
        return Values(kind, np.full(len(idx), fill), np.ones(len(idx), dtype=bool))
    missing = idx < 0
    safe = np.where(missing, 0, idx) if missing.any() else idx
    if isinstance(v, Mixed):
        tags = v.tags[safe]
        parts = {k: _take_values(p, safe) for k, p in v.parts.items()}
        if missing.any():
            tags = np.where(missing, np.int8(STRING), tags).astype(np.int8)
            if STRING in parts:
                parts[STRING] = Values(
                    STRING, where(STRING, missing, "", materialize(parts[STRING], len(idx)))
                )
            else:
                parts[STRING] = Values(STRING, "")
        return Mixed(tags, parts)
    out = _take_values(v, safe)
    if not missing.any():
        return out
    if v.kind == STRING:
        return Values(STRING, where(STRING, missing, "", materialize(out, len(idx))))
    data = materialize(out, len(idx))
    fill = False if v.kind == BOOLEAN else np.nan
    data = np.where(missing, fill, data)
    blank = missing if out.blank is None else (out.blank | missing)
    return Values(v.kind, data, blank)


def _take_values(v: Values, idx: np.ndarray) -> Values:
    if is_scalar(v.data):
        return Values(v.kind, v.data, None if v.blank is None else v.blank[idx])
    if v.kind == STRING:
        data = v.data.take(pa.array(idx, pa.int64())) if len(idx) else pa.array([], pa.string())
    else:
        data = v.data[idx]
    return Values(v.kind, data, None if v.blank is None else v.blank[idx])

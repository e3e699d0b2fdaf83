"""Scalar reference interpreter: the expression language evaluated row by row.

Used only by tests and the benchmark, as the oracle the vectorised engine must agree
with on every row. It is written to be obviously right rather than fast: one Python value
per row (``bool``, ``float``, ``str`` or :class:`RDate`), and every operator and function
transcribed from ODK Collect's JavaRosa (``XPathFuncExpr``, ``XPathEqExpr``,
``XPathCmpExpr``, ``XPathArithExpr``, ``DateUtils``) as plain scalar code. It shares only
the parser (the syntax tree) with the engine.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Context, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from analysis.expressions.data import MAIN, FormData
from analysis.expressions.errors import BadExpression
from analysis.expressions.parser import parse_tree
from analysis.expressions.tree import (
    Binary,
    Call,
    Chain,
    Current,
    Field,
    Negate,
    Node,
    Number,
    Parent,
    Relative,
    Text,
)

MS_PER_DAY = 86_400_000
EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class RDate:
    """A date or date-time: local days since 1970-01-01 (fraction = time of day)."""

    days: float


@dataclass
class Nodes:
    """A node-set: the values of several instances (``None`` values for repeat nodes)."""

    name: str
    values: list[Any]
    is_repeat: bool = False


# ---------------------------------------------------------------------------- coercions

_TRIM = "".join(chr(i) for i in range(33))


def java_double(d: float) -> str:
    if d == 0:
        return "0.0"
    sign = "-" if d < 0 else ""
    a = abs(d)
    if 1e-3 <= a < 1e7:
        text = format(Decimal(repr(a)), "f")
        if "." not in text:
            text += ".0"
        return sign + text
    tup = Decimal(repr(a)).as_tuple()
    digits = "".join(map(str, tup.digits)).rstrip("0") or "0"
    exponent = len(tup.digits) + tup.exponent - 1
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def to_str(v: Any) -> str:
    if isinstance(v, Nodes):
        v = unpack(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if abs(v) < 1e-12:
            return "0"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        as_int = max(-2147483648, min(2147483647, math.trunc(v)))
        if abs(v - as_int) < 1e-12:
            return str(as_int)
        return java_double(v)
    if isinstance(v, RDate):
        return (EPOCH + dt.timedelta(days=math.floor(v.days))).strftime("%Y-%m-%d")
    return v


def to_num(v: Any) -> float:
    if isinstance(v, Nodes):
        v = unpack(v)
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    if isinstance(v, RDate):
        return float(math.floor(v.days))
    s = v.replace(",", ".").strip(_TRIM)
    if not s or any(c not in "-.0123456789" for c in s):
        return math.nan
    if not re.fullmatch(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)", s):
        return math.nan
    return float(s)


def to_dbl(v: Any) -> float:
    if isinstance(v, Nodes):
        v = unpack(v)
    if isinstance(v, RDate):
        return v.days
    return to_num(v)


def to_bool(v: Any) -> bool:
    if isinstance(v, Nodes):
        v = unpack(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return abs(v) > 1e-12 and not math.isnan(v)
    if isinstance(v, RDate):
        return True
    return len(v) > 0


def unpack(v: Any) -> Any:
    if isinstance(v, Nodes):
        raise BadExpression("EXP013", f"${{{v.name}}} has several instances here")
    return v


def java_int(x: float) -> int:
    if math.isnan(x):
        return 0
    if math.isinf(x):
        return 2147483647 if x > 0 else -2147483648
    return max(-2147483648, min(2147483647, math.trunc(x)))


# ---------------------------------------------------------------------------- dates

_DATETIME = re.compile(
    r"(?P<y>[0-9]+)-(?P<m>[0-9]+)-(?P<d>[0-9]+)"
    r"(?:T(?P<H>[0-9]+):(?P<M>[0-9]+)(?::(?P<S>[0-9]+(?:\.[0-9]*)?)?)?"
    r"(?P<z>Z|[+-][0-9]+(?::[0-9]+)?)?)?"
)
_TIME = re.compile(
    r"(?P<H>[0-9]+):(?P<M>[0-9]+)(?::(?P<S>[0-9]+(?:\.[0-9]*)?)?)?(?P<z>Z|[+-][0-9]+(?::[0-9]+)?)?"
)


class Clock:
    def __init__(self, timezone: str = "UTC", now: dt.datetime | None = None) -> None:
        self.zone = dt.UTC if timezone in ("UTC", "Z", "utc") else ZoneInfo(timezone)
        now = now or dt.datetime.now(dt.UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=self.zone)
        self.now = now

    def local_from_utc(self, utc_days: float) -> float:
        instant = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
            milliseconds=round(utc_days * MS_PER_DAY)
        )
        wall = instant.astimezone(self.zone).replace(tzinfo=None)
        return (wall - EPOCH) / dt.timedelta(milliseconds=1) / MS_PER_DAY

    def utc_from_local(self, local_days: float) -> float:
        wall = EPOCH + dt.timedelta(milliseconds=round(local_days * MS_PER_DAY))
        aware = wall.replace(tzinfo=self.zone)
        if self.zone is not dt.UTC:
            # resolve gaps forward like the engine (pandas nonexistent='shift_forward')
            back = aware.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None)
            if back != wall:
                aware = (wall + (wall - back)).replace(tzinfo=self.zone)
        instant = aware.astimezone(dt.UTC).replace(tzinfo=None)
        return (instant - EPOCH) / dt.timedelta(milliseconds=1) / MS_PER_DAY

    @property
    def now_days(self) -> float:
        wall = self.now.astimezone(self.zone).replace(tzinfo=None)
        return (wall - EPOCH) / dt.timedelta(milliseconds=1) / MS_PER_DAY


def parse_date(s: str, clock: Clock, time_only: bool = False) -> float | None:
    m = (_TIME if time_only else _DATETIME).fullmatch(s)
    if not m:
        return None
    g = m.groupdict()
    y, mo, d = (1970, 1, 1) if time_only else (int(g["y"][-9:]), int(g["m"][-9:]), int(g["d"][-9:]))
    if len(g.get("y") or "") > 9 or len(g.get("m") or "") > 9 or len(g.get("d") or "") > 9:
        return None
    hh = int(g["H"]) if g["H"] else 0
    mm = int(g["M"]) if g["M"] else 0
    sec = float(g["S"]) if g["S"] else 0.0
    whole = math.floor(sec)
    ticks = math.trunc(1000.0 * sec - 1000.0 * whole)
    if not (1 <= mo <= 12) or y > 999_999 or hh > 23 or mm > 59 or whole > 59:
        return None
    try:
        day = dt.date(y, mo, d) if y >= 1 else None
    except ValueError:
        return None
    if day is None:
        return None
    days = (day - dt.date(1970, 1, 1)).days + (
        hh * 3_600_000 + mm * 60_000 + whole * 1000 + ticks
    ) / MS_PER_DAY
    z = g["z"]
    if z:
        if z == "Z":
            offset = 0
        else:
            sign = -1 if z[0] == "-" else 1
            body = z[1:]
            if ":" in body:
                h, mi = body.split(":")
                h, mi = int(h), int(mi)
            else:
                h, mi = int(body), 0
                if h >= 100:
                    h, mi = h // 100, h % 100
            offset = sign * (h * 60 + mi)
        days = clock.local_from_utc(days - offset / 1440.0)
    return days


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_date(days: float, pattern: str) -> str:
    ms = round(days * MS_PER_DAY)
    whole = math.floor(ms / MS_PER_DAY)
    rest = ms - whole * MS_PER_DAY
    day = dt.date(1970, 1, 1) + dt.timedelta(days=whole)
    hour, minute = rest // 3_600_000, (rest // 60_000) % 60
    second, milli = (rest // 1000) % 60, rest % 1000
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c != "%" or i + 1 >= len(pattern):
            out.append(c)
            i += 1
            continue
        spec = pattern[i + 1]
        i += 2
        out.append(
            {
                "%": "%",
                "Y": f"{day.year:04d}",
                "y": f"{day.year:04d}"[2:],
                "m": f"{day.month:02d}",
                "n": str(day.month),
                "b": _MONTHS[day.month - 1],
                "d": f"{day.day:02d}",
                "e": str(day.day),
                "H": f"{hour:02d}",
                "h": str(hour),
                "M": f"{minute:02d}",
                "S": f"{second:02d}",
                "3": f"{milli:03d}",
                "a": _WEEKDAYS[day.weekday()],
            }[spec]
        )
    return "".join(out)


# ---------------------------------------------------------------------------- the interpreter


class Reference:
    """Evaluate expressions row by row.

    Parameters mirror :func:`analysis.expressions.evaluate`: ``data`` is a DataFrame or
    FormData, ``instrument`` types the columns, ``timezone``/``now`` fix the clock.
    """

    def __init__(
        self,
        data: Any,
        instrument: Any = None,
        timezone: str = "UTC",
        now: dt.datetime | None = None,
        language: str | None = None,
    ) -> None:
        self.data = data if isinstance(data, FormData) else FormData(data)
        self.instrument = instrument
        self.clock = Clock(timezone, now)
        self.language = language
        self.overrides: dict[str, list[Any]] = {}
        self._parents: dict[str | None, list[int]] = {}
        self._positions: dict[str, list[int]] = {}
        self._cells: dict[str, list[Any]] = {}
        self._members: dict[tuple[str | None, str | None], dict[int, list[int]]] = {}
        for name, rep in self.data.repeats.items():
            parent_frame = self.data.frame(rep.parent)
            key_col = self.data.key if rep.parent is None else self.data.repeats[rep.parent].key
            keys = list(parent_frame.index) if key_col is None else list(parent_frame[key_col])
            where = {k: i for i, k in enumerate(keys)}
            parents = [where.get(k, -1) for k in rep.frame[rep.parent_key]]
            self._parents[name] = parents
            if rep.position is not None:
                self._positions[name] = [int(float(x)) for x in rep.frame[rep.position]]
            else:
                seen: dict[int, int] = {}
                pos = []
                for p in parents:
                    seen[p] = seen.get(p, 0) + 1
                    pos.append(seen[p])
                self._positions[name] = pos

    # ------------------------------------------------------------------ structure
    def parent(self, scope: str | None) -> str | None:
        return self.data.repeats[scope].parent if scope is not None else None

    def chain(self, scope: str | None) -> list[str | None]:
        out = [scope]
        while scope is not None:
            scope = self.parent(scope)
            out.append(scope)
        return out

    def ancestor_row(self, scope: str | None, row: int, target: str | None) -> int:
        while scope != target:
            if row < 0:
                return -1
            row = self._parents[scope][row]  # type: ignore[index]
            scope = self.parent(scope)
        return row

    def is_repeat(self, name: str) -> bool:
        if name in self.data.repeats:
            return True
        inst = self.instrument
        return inst is not None and any(g.name == name and g.kind == "repeat" for g in inst.groups)

    def scope_of(self, name: str) -> str | None:
        if self.is_repeat(name):
            return name
        inst = self.instrument
        if inst is not None and name in inst:
            return inst[name].repeat
        s = self.data.scope_of(name)
        if s is False:
            raise BadExpression("EXP009", f"unknown field ${{{name}}}")
        return s  # type: ignore[return-value]

    def kind(self, name: str, series: pd.Series) -> str:
        inst = self.instrument
        if inst is not None and name in inst:
            t = inst[name].type
            if t in ("integer", "decimal", "range"):
                return "number"
            if t == "time":
                return "time"
            if t in ("date", "datetime", "start", "end", "today"):
                return "date"
            return "string"
        if pd.api.types.is_bool_dtype(series.dtype):
            return "boolean"
        if pd.api.types.is_numeric_dtype(series.dtype):
            return "number"
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            return "date"
        return "string"

    def cells(self, name: str, scope: str | None) -> list[Any]:
        if name in self.overrides:
            return self.overrides[name]
        if name in self._cells:
            return self._cells[name]
        frame = self.data.frame(scope)
        if name not in frame.columns:
            out = [""] * len(frame)
        else:
            series = frame[name]
            kind = self.kind(name, series)
            out = [self.cell(v, kind, series.dtype) for v in series.tolist()]
        self._cells[name] = out
        return out

    def cell(self, v: Any, kind: str, dtype: Any) -> Any:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, pd.Timestamp | dt.datetime):
            ts = pd.Timestamp(v)
            if ts.tzinfo is not None:
                ts = ts.tz_convert(self.clock.zone).tz_localize(None)
            days = (ts - pd.Timestamp(1970, 1, 1)) / pd.Timedelta(milliseconds=1) / MS_PER_DAY
            return RDate(days) if kind == "date" else to_str(RDate(days))
        if isinstance(v, bool):
            if kind == "boolean":
                return v
            if kind == "number":
                return 1.0 if v else 0.0
            return "true" if v else "false"
        if isinstance(v, int | float):
            if kind in ("number", "date", "time", "boolean"):
                return float(v)
            return to_str(float(v))
        s = str(v)
        if kind == "number":
            x = to_num(s)
            return s if math.isnan(x) else x
        if kind in ("date", "time"):
            days = parse_date(s, self.clock, time_only=kind == "time")
            return s if days is None else RDate(days)
        return s

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self, expression: str, *, current: str | None = None, repeat: Any = "unset"
    ) -> list[Any]:
        tree = parse_tree(expression)
        if repeat != "unset":
            scope = repeat or None
        elif current is not None:
            scope = self.scope_of(current)
        else:
            scope = MAIN
        n = len(self.data.frame(scope))
        out = []
        for row in range(n):
            out.append(unpack(self.eval(tree, scope, row, current)))
        return out

    def field(self, name: str, scope: str | None, row: int) -> Any:
        target = self.scope_of(name)
        lca = self.data.lowest_common(scope, target)
        if self.is_repeat(name):
            anchor = self.ancestor_row(scope, row, lca)
            members = self.members(target, lca).get(anchor, []) if anchor >= 0 else []
            return Nodes(name, [None] * len(members), True)
        cells = self.cells(name, target)
        if lca == target:
            r = self.ancestor_row(scope, row, target)
            return cells[r] if r >= 0 else ""
        anchor = self.ancestor_row(scope, row, lca)
        rows = self.members(target, lca).get(anchor, []) if anchor >= 0 else []
        return Nodes(name, [cells[j] for j in rows])

    def members(self, target: str | None, lca: str | None) -> dict[int, list[int]]:
        """Rows of ``target`` grouped by their ancestor row in ``lca`` (in row order)."""
        key = (target, lca)
        if key not in self._members:
            groups: dict[int, list[int]] = {}
            for j in range(len(self.data.frame(target))):
                groups.setdefault(self.ancestor_row(target, j, lca), []).append(j)
            self._members[key] = groups
        return self._members[key]

    def nodes(self, node: Node, scope: str | None, row: int, current: str | None) -> Nodes:
        if isinstance(node, Field):
            v = self.field(node.name, scope, row)
            return v if isinstance(v, Nodes) else Nodes(node.name, [v])
        if isinstance(node, Current):
            return Nodes(".", [self.eval(node, scope, row, current)])
        raise BadExpression("EXP014", "not a node-set")

    def eval(self, node: Node, scope: str | None, row: int, current: str | None) -> Any:
        if isinstance(node, Number):
            return float(node.value)
        if isinstance(node, Text):
            return node.value
        if isinstance(node, Field):
            return self.field(node.name, scope, row)
        if isinstance(node, Current):
            if current is None:
                raise BadExpression("EXP017", "no current question")
            return self.field(current, scope, row)
        if isinstance(node, Relative):
            raise BadExpression("EXP012", "bare name")
        if isinstance(node, Parent):
            raise BadExpression("EXP011", "'..' outside position()")
        if isinstance(node, Negate):
            return -to_num(self.eval(node.operand, scope, row, current))
        if isinstance(node, Binary):
            return self.binary(node, scope, row, current)
        if isinstance(node, Chain):
            out = self.eval(node.operands[0], scope, row, current)
            for op, right in node.steps():
                out = self.apply(op, out, self.eval(right, scope, row, current))
            return out
        if isinstance(node, Call):
            return self.call(node, scope, row, current)
        raise TypeError(node)

    def binary(self, node: Binary, scope: str | None, row: int, current: str | None) -> Any:
        a = self.eval(node.left, scope, row, current)
        return self.apply(node.op, a, self.eval(node.right, scope, row, current))

    def apply(self, op: str, a: Any, b: Any) -> Any:
        a, b = unpack(a), unpack(b)
        if op == "or":
            return to_bool(a) or to_bool(b)
        if op == "and":
            return to_bool(a) and to_bool(b)
        if op in ("=", "!="):
            if isinstance(a, bool) or isinstance(b, bool):
                eq = to_bool(a) == to_bool(b)
            elif isinstance(a, float) or isinstance(b, float):
                eq = abs(to_num(a) - to_num(b)) < 1e-12
            else:
                eq = to_str(a) == to_str(b)
            return eq if op == "=" else not eq
        x, y = to_num(a), to_num(b)
        if op == "<":
            return x < y
        if op == "<=":
            return x <= y
        if op == ">":
            return x > y
        if op == ">=":
            return x >= y
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "div":
            if y == 0:
                if math.isnan(x) or x == 0:
                    return math.nan
                return math.copysign(math.inf, x) * math.copysign(1.0, y)
            return x / y
        if op == "mod":
            if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
                return math.nan
            return math.fmod(x, y)
        raise ValueError(op)

    # ------------------------------------------------------------------ functions
    def call(self, node: Call, scope: str | None, row: int, current: str | None) -> Any:
        name = node.name
        args = node.args

        def v(i: int) -> Any:
            return unpack(self.eval(args[i], scope, row, current))

        if name == "if":
            return v(1) if to_bool(v(0)) else v(2)
        if name == "coalesce":
            a = v(0)
            if (isinstance(a, str) and a == "") or (isinstance(a, float) and math.isnan(a)):
                return v(1)
            return a
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "boolean":
            return to_bool(v(0))
        if name == "not":
            return not to_bool(v(0))
        if name == "number":
            return to_num(v(0))
        if name == "string":
            return to_str(v(0))
        if name == "boolean-from-string":
            s = to_str(v(0))
            return s.lower() == "true" or s == "1"
        if name == "int":
            x = to_num(v(0))
            return x if math.isnan(x) or math.isinf(x) else float(math.trunc(x)) if x != 0 else x
        if name == "round":
            places = java_int(to_num(v(1))) if len(args) == 2 else 0
            return jr_round(to_num(v(0)), places)
        if name == "floor":
            x = to_num(v(0))
            return x if not math.isfinite(x) else float(math.floor(x))
        if name == "ceiling":
            x = to_num(v(0))
            return x if not math.isfinite(x) else float(math.ceil(x))
        if name in _MATH1:
            try:
                return float(_MATH1[name](to_dbl(v(0))))
            except (ValueError, OverflowError):
                return _math_special(name, to_dbl(v(0)))
        if name == "atan2":
            return math.atan2(to_dbl(v(0)), to_dbl(v(1)))
        if name == "pow":
            return _pow(to_dbl(v(0)), to_dbl(v(1)))
        if name == "pi":
            return math.pi
        if name in ("min", "max"):
            if len(args) == 1 and self.is_many(args[0], scope):
                values = [to_num(x) for x in self.nodes(args[0], scope, row, current).values]
            else:
                values = [to_num(v(i)) for i in range(len(args))]
            values = [x for x in values if not math.isnan(x)]
            if not values:
                return math.nan
            return min(values) if name == "min" else max(values)
        if name == "sum":
            if not isinstance(args[0], Field):
                raise BadExpression("EXP014", "sum() needs a node-set")
            total = 0.0
            for x in self.nodes(args[0], scope, row, current).values:
                y = to_num(x)
                if not math.isnan(y):
                    total += y
            return total
        if name == "count":
            return float(len(self.nodes(args[0], scope, row, current).values))
        if name == "count-non-empty":
            ns = self.nodes(args[0], scope, row, current)
            return float(sum(1 for x in ns.values if x is None or to_str(x) != ""))
        if name == "concat":
            if len(args) == 1 and self.is_many(args[0], scope):
                return "".join(to_str(x) for x in self.nodes(args[0], scope, row, current).values)
            return "".join(to_str(v(i)) for i in range(len(args)))
        if name == "join":
            sep = to_str(v(0))
            if len(args) == 2 and self.is_many(args[1], scope):
                return sep.join(to_str(x) for x in self.nodes(args[1], scope, row, current).values)
            return sep.join(to_str(v(i)) for i in range(1, len(args)))
        if name == "substr":
            s = to_str(v(0))
            start = java_int(to_num(v(1)))
            end = java_int(to_num(v(2))) if len(args) == 3 else None
            return utf16_slice(s, start, end)
        if name == "substring":
            s = to_str(v(0))
            a = to_num(v(1))
            b = to_num(v(2)) if len(args) == 3 else math.inf
            first = math.floor(a + 0.5) if math.isfinite(a) else a
            last = first + (math.floor(b + 0.5) if math.isfinite(b) else b)
            if math.isnan(first) or math.isnan(last):
                return ""
            return "".join(c for i, c in enumerate(s, start=1) if first <= i < last)
        if name == "substring-before":
            s, t = to_str(v(0)), to_str(v(1))
            i = s.find(t)
            return s[:i] if i >= 0 else ""
        if name == "substring-after":
            s, t = to_str(v(0)), to_str(v(1))
            i = s.find(t)
            return s[i + len(t) :] if i >= 0 else ""
        if name == "string-length":
            s = to_str(v(0)) if args else to_str(self.field(current, scope, row))  # type: ignore[arg-type]
            return float(len(s.encode("utf-16-le")) // 2)
        if name == "normalize-space":
            s = to_str(v(0)) if args else to_str(self.field(current, scope, row))  # type: ignore[arg-type]
            return re.sub(r"[ \t\n\x0b\f\r]+", " ", s.strip(_TRIM))
        if name == "contains":
            return to_str(v(1)) in to_str(v(0))
        if name == "starts-with":
            return to_str(v(0)).startswith(to_str(v(1)))
        if name == "ends-with":
            return to_str(v(0)).endswith(to_str(v(1)))
        if name == "translate":
            s, frm, to = to_str(v(0)), to_str(v(1)), to_str(v(2))
            out = []
            for c in s:
                i = frm.find(c)
                if i < 0:
                    out.append(c)
                elif i < len(to):
                    out.append(to[i])
            return "".join(out)
        if name == "regex":
            try:
                return re.fullmatch(to_str(v(1)), to_str(v(0)), re.ASCII) is not None
            except re.error:
                raise BadExpression("EXP016", "invalid regular expression") from None
        if name in ("selected", "is-selected"):
            return f" {to_str(v(1)).strip(_TRIM)} " in f" {to_str(v(0))} "
        if name == "count-selected":
            return float(len([p for p in to_str(v(0)).split(" ") if p]))
        if name == "selected-at":
            tokens = [p for p in to_str(v(0)).split(" ") if p]
            k = java_int(to_num(v(1)))
            return tokens[k] if 0 <= k < len(tokens) else ""
        if name in ("jr:choice-name", "choice-name"):
            return self.choice_name(node, v(0))
        if name == "checklist":
            low, high = java_int(to_num(v(0))), java_int(to_num(v(1)))
            if len(args) == 3 and self.is_many(args[2], scope):
                flags = [to_bool(x) for x in self.nodes(args[2], scope, row, current).values]
            else:
                flags = [to_bool(v(i)) for i in range(2, len(args))]
            count = sum(flags)
            return (low < 0 or count >= low) and (high < 0 or count <= high)
        if name == "weighted-checklist":
            low, high = to_num(v(0)), to_num(v(1))
            total = 0.0
            for i in range(2, len(args), 2):
                if to_bool(v(i)):
                    total += to_num(v(i + 1))
            return total >= low and total <= high
        if name == "once":
            cur = unpack(self.field(current, scope, row)) if current else ""  # type: ignore[arg-type]
            if (isinstance(cur, str) and cur == "") or (isinstance(cur, float) and math.isnan(cur)):
                return v(0)
            return cur
        if name == "depend":
            return v(0)
        if name == "today":
            return RDate(float(math.floor(self.clock.now_days)))
        if name == "now":
            return RDate(self.clock.now_days)
        if name in ("date", "date-time"):
            return self.to_date(v(0), keep_time=name == "date-time")
        if name in ("decimal-date-time", "decimal-time"):
            return self.decimal(v(0), keep_date=name == "decimal-date-time")
        if name in ("format-date", "format-date-time"):
            d = self.to_date(v(0), keep_time=True)
            return format_date(d.days, to_str(v(1))) if isinstance(d, RDate) else ""
        if name == "position":
            return self.position(node, scope, row, current)
        if name == "indexed-repeat":
            return self.indexed_repeat(node, scope, row, current)
        raise BadExpression("EXP007", f"unknown function {name}")

    def is_many(self, node: Node, scope: str | None) -> bool:
        if not isinstance(node, Field):
            return False
        if self.is_repeat(node.name):
            return True
        target = self.scope_of(node.name)
        return self.data.lowest_common(scope, target) != target

    def to_date(self, x: Any, keep_time: bool) -> Any:
        if isinstance(x, float):
            if math.isnan(x):
                return x
            if math.isinf(x) or abs(x if keep_time else math.trunc(x)) > 2147483647:
                return ""
            if keep_time:
                return RDate(self.clock.local_from_utc(x))
            return RDate(float(math.trunc(x)))
        if isinstance(x, str):
            if x == "":
                return ""
            days = parse_date(x, self.clock)
            return "" if days is None else RDate(days)
        if isinstance(x, RDate):
            return x if keep_time else RDate(float(math.floor(x.days)))
        return ""

    def decimal(self, x: Any, keep_date: bool) -> Any:
        if isinstance(x, float):
            if math.isinf(x) or (not math.isnan(x) and abs(x) > 2147483647):
                return ""
            return x if keep_date or math.isnan(x) else x - math.floor(x)
        if isinstance(x, str):
            if x == "":
                return ""
            days = parse_date(x, self.clock)
            if days is None:
                return ""
            x = RDate(days)
        if isinstance(x, RDate):
            return self.clock.utc_from_local(x.days) if keep_date else x.days - math.floor(x.days)
        return ""

    def position(self, node: Call, scope: str | None, row: int, current: str | None) -> float:
        args = node.args
        if not args or isinstance(args[0], Parent):
            levels = args[0].levels if args else 1  # type: ignore[union-attr]
            inst = self.instrument
            if current is not None and inst is not None and current in inst:
                path = inst[current].group_path
                name = path[len(path) - levels]
                if not self.is_repeat(name):
                    return 1.0
                target = name
            else:
                chain = self.chain(scope)
                if levels > len(chain) - 1:
                    return 1.0
                target = chain[levels - 1]
            if target is None:
                return 1.0
            r = self.ancestor_row(scope, row, target)
            return float(self._positions[target][r]) if r >= 0 else math.nan
        arg = args[0]
        if isinstance(arg, Field) and self.is_repeat(arg.name):
            r = self.ancestor_row(scope, row, arg.name)
            return float(self._positions[arg.name][r]) if r >= 0 else math.nan
        return 1.0

    def indexed_repeat(self, node: Call, scope: str | None, row: int, current: str | None) -> Any:
        field, rep, index = node.args
        want = max(java_int(to_num(unpack(self.eval(index, scope, row, current)))), 1)
        parent = self.parent(rep.name)  # type: ignore[union-attr]
        anchor = self.ancestor_row(scope, row, parent)
        cells = self.cells(field.name, rep.name)  # type: ignore[union-attr]
        for j, p in enumerate(self._parents[rep.name]):  # type: ignore[union-attr]
            if p == anchor and anchor >= 0 and self._positions[rep.name][j] == want:  # type: ignore[union-attr]
                return cells[j]
        return ""

    def choice_name(self, node: Call, value: Any) -> str:
        inst = self.instrument
        target = node.args[1]
        name = target.name if isinstance(target, Field) else target.value.strip()  # type: ignore[union-attr]
        m = re.fullmatch(r"\$\{([^}]+)\}", name)
        if m:
            name = m.group(1)
        elif "/" in name:
            name = name.rstrip("/").rsplit("/", 1)[-1]
        choices = inst.choices(name)
        lang = self.language or inst.default_language
        label = choices.label_of(to_str(value), lang)
        return label if label is not None else ""


_MATH1 = {
    "abs": abs,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "exp10": lambda x: math.pow(10.0, x),
    "log": math.log,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
}


def _math_special(name: str, x: float) -> float:
    if math.isnan(x):
        return math.nan
    if name in ("log", "log10"):
        if x == 0:
            return -math.inf
        return math.inf if x == math.inf else math.nan
    if name in ("exp", "exp10"):
        return math.inf if x > 0 else 0.0
    if name == "sqrt" and x == math.inf:
        return math.inf
    return math.nan


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf if a > 0 or (float(b).is_integer() and int(b) % 2 == 0) else -math.inf
    except ValueError:
        if a == 0 and b < 0:
            return (
                math.inf
                if not (float(b).is_integer() and int(b) % 2 == 1)
                else math.copysign(math.inf, a)
            )
        return math.nan


def jr_round(x: float, places: int) -> float:
    """JavaRosa round(): BigDecimal of Double.toString, HALF_UP (HALF_DOWN below zero)."""
    if math.isnan(x) or math.isinf(x):
        return x
    if places > 30 or places < -30:
        return math.nan
    if places >= 0:
        if abs(x) >= 2.0**52:
            return x  # a whole number: BigDecimal leaves it as it is
        mode = ROUND_HALF_DOWN if x < 0 else ROUND_HALF_UP
        return float(
            Decimal(repr(x)).quantize(
                Decimal(1).scaleb(-places), rounding=mode, context=Context(prec=120)
            )
        )
    scaled = float(Decimal(repr(x)).scaleb(places))
    k = math.trunc(scaled + 0.5)
    return float(Decimal(k).scaleb(-places))


def utf16_slice(s: str, start: int, end: int | None) -> str:
    units = s.encode("utf-16-le")
    n = len(units) // 2
    start = n + start if start < 0 else start
    end = n if end is None else (n + end if end < 0 else end)
    end = min(max(0, end), n)
    start = min(max(0, start), n)
    if start > end:
        return ""
    return units[2 * start : 2 * end].decode("utf-16-le", errors="replace")

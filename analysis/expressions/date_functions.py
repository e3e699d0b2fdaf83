"""Date functions: date, date-time, today, now, decimal-date-time, decimal-time, format-date.

Conversions follow JavaRosa ``XPathFuncExpr.toDate``/``toDecimalDateTime``; values that
JavaRosa rejects become '' (see docs/errors/expressions.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .dates import format_dates, parse_dates
from .evaluate import Env
from .library import (
    _number,
    _str,
    function,
)
from .parser import _bad_format
from .tree import Call
from .values import (
    DATE,
    NUMBER,
    STRING,
    Mixed,
    Values,
    Vec,
    is_scalar,
    np_bool,
    pa_mask,
    pieces,
    select,
    to_string,
)

# ---------------------------------------------------------------------------- dates


def _to_date(env: Env, v: Vec, keep_time: bool) -> Vec:
    """JavaRosa toDate(): numbers are days (truncated unless ``keep_time``), text is
    parsed, '' stays '', NaN stays NaN; what JavaRosa rejects becomes ''."""
    cases: list[tuple[Any, Vec]] = []
    n = env.n
    for mask, part in pieces(v):
        d = part.data
        if part.kind == DATE:
            cases.append((mask, part if keep_time else Values(DATE, np.floor(d))))
        elif part.kind == NUMBER:
            arr = np.broadcast_to(np.asarray(d, dtype=float), (n,))
            with np.errstate(invalid="ignore"):
                days = arr if keep_time else np.trunc(arr)
                nan = np.isnan(arr)
                bad = ~nan & ((np.abs(days) > 2147483647) | ~np.isfinite(arr))
            local = env.clock.local_from_utc(days) if keep_time else days
            sub = select(
                [
                    (nan, Values(NUMBER, np.nan)),
                    (bad, Values(STRING, "")),
                    (None, Values(DATE, local)),
                ],
                n,
            )
            cases.append((mask, sub))
        elif part.kind == STRING and isinstance(d, str):
            # a literal (date('2024-01-01')): parsed once, kept as a broadcast scalar
            day = float(parse_dates(pa.array([d], pa.string()), env.clock)[0])
            cases.append((mask, Values(STRING, "") if math.isnan(day) else Values(DATE, day)))
        elif part.kind == STRING:
            days = parse_dates(d, env.clock)
            ok = ~np.isnan(days)
            cases.append((mask, select([(ok, Values(DATE, days)), (None, Values(STRING, ""))], n)))
        else:
            cases.append((mask, Values(STRING, "")))
    return select(cases, n)


@function("date")
def _date(env: Env, node: Call) -> Vec:
    return _to_date(env, env.value(node.args[0]), keep_time=False)


@function("date-time")
def _date_time(env: Env, node: Call) -> Vec:
    return _to_date(env, env.value(node.args[0]), keep_time=True)


@function("today")
def _today(env: Env, node: Call) -> Vec:
    return Values(DATE, math.floor(env.clock.now_days))


@function("now")
def _now(env: Env, node: Call) -> Vec:
    return Values(DATE, env.clock.now_days)


def _decimal(env: Env, node: Call, keep_date: bool) -> Vec:
    v = env.value(node.args[0])
    n = env.n
    cases: list[tuple[Any, Vec]] = []
    for mask, part in pieces(v):
        if part.kind == NUMBER:
            x = np.asarray(part.data, dtype=float)
            with np.errstate(invalid="ignore"):
                bad = np.isinf(x) | (np.abs(x) > 2147483647)
                val = x if keep_date else x - np.floor(x)
            cases.append(
                (
                    mask,
                    select(
                        [(np.broadcast_to(bad, (n,)), Values(STRING, "")), (None, _number(val))], n
                    ),
                )
            )
            continue
        if part.kind == STRING:
            text = (
                part.data
                if not isinstance(part.data, str)
                else pa.array([part.data] * n, pa.string())
            )
            days = parse_dates(text, env.clock)
            ok = ~np.isnan(days)
            dates: Vec = select([(ok, Values(DATE, days)), (None, Values(STRING, ""))], n)
        elif part.kind == DATE:
            dates = part
        else:
            cases.append((mask, Values(STRING, "")))
            continue
        sub = []
        for m2, p2 in pieces(dates):
            if p2.kind == DATE:
                local = np.broadcast_to(np.asarray(p2.data, dtype=float), (n,))
                val = env.clock.utc_from_local(local) if keep_date else local - np.floor(local)
                sub.append((m2, _number(val)))
            else:
                sub.append((m2, p2))
        cases.append((mask, select(sub, n)))
    return select(cases, n)


@function("decimal-date-time")
def _decimal_date_time(env: Env, node: Call) -> Vec:
    return _decimal(env, node, keep_date=True)


@function("decimal-time")
def _decimal_time(env: Env, node: Call) -> Vec:
    return _decimal(env, node, keep_date=False)


@function("format-date", "format-date-time")
def _format_date(env: Env, node: Call) -> Vec:
    v = _to_date(env, env.value(node.args[0]), keep_time=True)
    fmt = _str(env, node.args[1])
    n = env.n
    formats = [fmt] if isinstance(fmt, str) else pc.unique(fmt).to_pylist()
    for f in formats:
        bad = _bad_format(f)
        if bad is not None:
            raise env.error(
                "EXP015",
                f"unknown format-date() specifier '%{bad}'",
                node.args[1],
                "Use %Y %y %m %n %b %d %e %a %H %h %M %S %3.",
            )
    cases: list[tuple[Any, Vec]] = []
    for mask, part in pieces(v):
        if part.kind != DATE:
            cases.append((mask, Values(STRING, "")))
            continue
        days = np.broadcast_to(np.asarray(part.data, dtype=float), (n,))
        if isinstance(fmt, str):
            cases.append((mask, Values(STRING, format_dates(days, fmt))))
        else:
            out = pa.array([""] * n, pa.string())
            for f in formats:
                m = np_bool(pc.equal(fmt, f))
                out = pc.if_else(pa_mask(m), format_dates(days, f), out)
            cases.append((mask, Values(STRING, out)))
    if (
        len(cases) == 1
        and cases[0][0] is None
        and is_scalar(getattr(cases[0][1], "data", None)) is False
    ):
        return cases[0][1]
    result = select(cases, n)
    if isinstance(result, Mixed):
        return to_string(result, n)
    return result

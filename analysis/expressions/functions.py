"""The ODK function library, each function computed on whole columns.

Every function follows ODK Collect (JavaRosa ``XPathFuncExpr``) where it differs from
Enketo or from XPath 1.0; the remaining divergences are listed in
``docs/errors/expressions.md``. This module holds the boolean and number functions and
loads the others (:mod:`.text`, :mod:`.aggregates`, :mod:`.date_functions`) so that
:data:`LIBRARY` is complete once it is imported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Context, Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .evaluate import Env
from .library import (
    LIBRARY,
    _bool,
    _boolean,
    _dbl,
    _group_sum,
    _is_many,
    _java_int,
    _null_mask,
    _num,
    _number,
    _spread_distinct,
    _str,
    _via_dictionary,
    function,
)
from .tree import Call
from .values import (
    Vec,
    constant,
    is_scalar,
    np_bool,
    select,
    to_boolean,
    to_number,
)

__all__ = ["LIBRARY"]


# ---------------------------------------------------------------------------- boolean


@function("true")
def _true(env: Env, node: Call) -> Vec:
    return constant(True)


@function("false")
def _false(env: Env, node: Call) -> Vec:
    return constant(False)


@function("boolean")
def _boolean_fn(env: Env, node: Call) -> Vec:
    return to_boolean(env.value(node.args[0]), env.n)


@function("not")
def _not(env: Env, node: Call) -> Vec:
    b = _bool(env, node.args[0])
    return _boolean(np.logical_not(b))


@function("boolean-from-string")
def _boolean_from_string(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0])
    if isinstance(s, str):
        return _boolean(s.lower() == "true" or s == "1")
    return _boolean(np_bool(pc.equal(pc.utf8_lower(s), "true")) | np_bool(pc.equal(s, "1")))


@function("if")
def _if(env: Env, node: Call) -> Vec:
    cond = _bool(env, node.args[0])
    if np.ndim(cond) == 0:
        return env.value(node.args[1] if cond else node.args[2])
    yes, no = env.value(node.args[1]), env.value(node.args[2])
    return select([(cond, yes), (None, no)], env.n)


@function("coalesce")
def _coalesce(env: Env, node: Call) -> Vec:
    first = env.value(node.args[0])
    null = _null_mask(first, env.n)
    if not null.any():
        return first
    second = env.value(node.args[1])
    if null.all():
        return second
    return select([(~null, first), (None, second)], env.n)


@function("regex")
def _regex(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0])
    pattern = _str(env, node.args[1])
    if is_scalar(pattern):
        try:
            compiled = re.compile(pattern, re.ASCII)
        except re.error as exc:
            raise env.error("EXP016", f"invalid regular expression: {exc}", node.args[1]) from None
        if isinstance(s, str):
            return _boolean(compiled.fullmatch(s) is not None)
        try:
            res = _via_dictionary(
                s, lambda d: pc.match_substring_regex(d, r"\A(?:" + pattern + r")\z")
            )
            return _boolean(
                np_bool(res) if isinstance(res, pa.Array) else np.asarray(res, dtype=bool)
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _boolean(
                _spread_distinct(lambda x: compiled.fullmatch(x) is not None, env.n, [s], "boolean")
            )

    def one(x: str, p: str) -> bool:
        try:
            return re.fullmatch(p, x, re.ASCII) is not None
        except re.error:
            return False

    return _boolean(_spread_distinct(one, env.n, [s, pattern], "boolean"))


@function("checklist")
def _checklist(env: Env, node: Call) -> Vec:
    low = _java_int(_num(env, node.args[0]))
    high = _java_int(_num(env, node.args[1]))
    rest = node.args[2:]
    if len(rest) == 1 and _is_many(env, rest[0]):
        ns = env.nodes(rest[0])
        flags = to_boolean(ns.values, ns.n_nodes).data if ns.values is not None else True  # type: ignore[arg-type]
        count = ns.broadcast(
            _group_sum(ns, np.broadcast_to(np.asarray(flags, float), (ns.n_nodes,))), 0.0
        )
    else:
        count = np.zeros(env.n)
        for arg in rest:
            count = count + np.asarray(_bool(env, arg), dtype=float)
    return _boolean(((low < 0) | (count >= low)) & ((high < 0) | (count <= high)))


@function("weighted-checklist")
def _weighted_checklist(env: Env, node: Call) -> Vec:
    low = _num(env, node.args[0])
    high = _num(env, node.args[1])
    total = np.zeros(env.n)
    rest = node.args[2:]
    for flag, weight in zip(rest[0::2], rest[1::2]):
        total = total + np.where(_bool(env, flag), _num(env, weight), 0.0)
    with np.errstate(invalid="ignore"):
        return _boolean((total >= low) & (total <= high))


@function("once")
def _once(env: Env, node: Call) -> Vec:
    current = env.current_value(node)
    empty = _null_mask(current, env.n)
    if not empty.any():
        return current
    return select([(~empty, current), (None, env.value(node.args[0]))], env.n)


@function("depend")
def _depend(env: Env, node: Call) -> Vec:
    return env.value(node.args[0])


# ---------------------------------------------------------------------------- numbers


@function("number")
def _number_fn(env: Env, node: Call) -> Vec:
    return to_number(env.value(node.args[0]), env.n)


@function("int")
def _int(env: Env, node: Call) -> Vec:
    x = _num(env, node.args[0])
    with np.errstate(invalid="ignore"):
        return _number(np.trunc(x))


def _round(x: Any, places: Any) -> Any:
    """JavaRosa round(): decimal HALF_UP (HALF_DOWN below zero, i.e. ties towards +inf)
    on the shortest decimal form of the number; negative places as JavaRosa computes them."""
    x = np.asarray(x, dtype=float)
    if np.ndim(places) == 0:
        return _round_fixed(x, int(places))
    p = np.asarray(places, dtype=np.int64)
    x, p = np.broadcast_arrays(x, p)
    out = np.full(x.shape, np.nan)
    for value in np.unique(p):
        rows = p == value
        out[rows] = _round_fixed(x[rows], int(value))
    return out


def _round_fixed(x: np.ndarray, p: int) -> Any:
    """Round to ``p`` places as JavaRosa does, exactly and without a loop.

    JavaRosa rounds the shortest decimal text of the double, ties up (towards +inf).
    With k = floor(x * 10^p), the decimal tie t = (k + 1/2) / 10^p is the text of x
    exactly when float(t) == x (no shorter decimal lies that close while |x * 10^p| <
    2^44), and otherwise x lies on the same side of t as its text; so x >= float(t)
    decides. Larger products fall back to the decimal rule per distinct value.
    """
    scalar = np.ndim(x) == 0
    x = np.atleast_1d(np.asarray(x, dtype=float))
    if abs(p) > 30:
        out = np.where(np.isfinite(x), np.nan, x)
        return float(out[0]) if scalar else out
    with np.errstate(invalid="ignore", over="ignore"):
        if p < 0:
            scale = 10.0 ** (-p)
            out = np.trunc(x / scale + 0.5) * scale
            return float(out[0]) if scalar else out
        scale = 10.0**p
        scaled = x * scale
        k = np.floor(scaled)
        # k + 1/2 is exact and the division correctly rounded while |scaled| < 2^44
        up = x >= (k + 0.5) / scale
        out = (k + up) / scale
        big = np.abs(scaled) >= 2.0**44
        if big.any():
            rows = np.flatnonzero(big)
            finite = np.isfinite(x[rows])
            out[rows[~finite]] = x[rows[~finite]]
            # too many places for the binary product: the decimal rule, once per value
            rows = rows[finite]
            if len(rows):
                uniq, inverse = np.unique(x[rows], return_inverse=True)
                out[rows] = np.array([_round_exact(float(a), p) for a in uniq])[inverse]
    return float(out[0]) if scalar else out


def _round_exact(x: float, places: int) -> float:
    if abs(x) >= 2.0**52:
        return x  # already a whole number
    mode = ROUND_HALF_DOWN if x < 0 else ROUND_HALF_UP
    return float(
        Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=mode, context=_WIDE)
    )


_WIDE = Context(prec=120)


@function("round")
def _round_fn(env: Env, node: Call) -> Vec:
    x = _num(env, node.args[0])
    places = _java_int(_num(env, node.args[1])) if len(node.args) == 2 else 0
    return _number(_round(x, places))


def _math1(fn: Callable[[Any], Any]) -> Callable[[Env, Call], Vec]:
    def impl(env: Env, node: Call) -> Vec:
        with np.errstate(all="ignore"):
            return _number(fn(_dbl(env, node.args[0])))

    return impl


for _name, _fn in {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "exp10": lambda x: np.power(10.0, x),
    "log": np.log,
    "log10": np.log10,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
}.items():
    LIBRARY[_name] = _math1(_fn)


@function("floor")
def _floor(env: Env, node: Call) -> Vec:
    with np.errstate(invalid="ignore"):
        return _number(np.floor(_num(env, node.args[0])))


@function("ceiling")
def _ceiling(env: Env, node: Call) -> Vec:
    with np.errstate(invalid="ignore"):
        return _number(np.ceil(_num(env, node.args[0])))


@function("atan2")
def _atan2(env: Env, node: Call) -> Vec:
    with np.errstate(all="ignore"):
        return _number(np.arctan2(_dbl(env, node.args[0]), _dbl(env, node.args[1])))


@function("pow")
def _pow(env: Env, node: Call) -> Vec:
    with np.errstate(all="ignore"):
        return _number(np.power(_dbl(env, node.args[0]), _dbl(env, node.args[1])))


@function("pi")
def _pi(env: Env, node: Call) -> Vec:
    return constant(math.pi)


def _extreme(env: Env, node: Call, fn: Callable[[Any, Any], Any], agg: str) -> Vec:
    if len(node.args) == 1 and _is_many(env, node.args[0]):
        ns = env.nodes(node.args[0])
        if ns.values is None:
            raise env.error(
                "EXP014", f"{node.name}() needs the values of a field, not a repeat", node.args[0]
            )
        nums = to_number(ns.values, ns.n_nodes).data
        nums = np.broadcast_to(np.asarray(nums, dtype=float), (ns.n_nodes,))
        frame = pd.DataFrame({"g": ns.group_index(), "v": nums})
        frame = frame[frame["g"] >= 0]
        per = frame.groupby("g")["v"].agg(agg)
        out = np.full(ns.n_groups, np.nan)
        out[per.index.to_numpy()] = per.to_numpy()
        return _number(ns.broadcast(out))
    acc: Any = None
    for arg in node.args:
        x = _num(env, arg)
        acc = x if acc is None else fn(acc, x)
    return _number(acc)


@function("min")
def _min(env: Env, node: Call) -> Vec:
    return _extreme(env, node, np.fmin, "min")


@function("max")
def _max(env: Env, node: Call) -> Vec:
    return _extreme(env, node, np.fmax, "max")


from . import aggregates, date_functions, text  # noqa: E402  (register their functions)

_REGISTERED = (aggregates, date_functions, text)

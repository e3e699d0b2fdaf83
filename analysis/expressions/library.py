"""Shared machinery of the function library: the registry and column helpers.

Functions register themselves with :func:`function`; :data:`LIBRARY` maps each name to
its implementation ``fn(env, call_node) -> values``. The helpers convert arguments
(once per field and evaluation), run string kernels on the distinct values when they are
few (select answers), or a Python function once per distinct argument combination when
no kernel expresses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .evaluate import Env, NodeSet
from .tree import Call, Field
from .values import (
    BOOLEAN,
    NUMBER,
    STRING,
    Values,
    Vec,
    is_scalar,
    materialize,
    pa_mask,
    pieces,
    to_boolean,
    to_double,
    to_number,
    to_string,
)

__all__ = ["LIBRARY", "function"]

LIBRARY: dict[str, Callable[[Env, Call], Any]] = {}


def function(*names: str) -> Callable[[Callable[[Env, Call], Any]], Callable[[Env, Call], Any]]:
    def register(fn: Callable[[Env, Call], Any]) -> Callable[[Env, Call], Any]:
        for name in names:
            LIBRARY[name] = fn
        return fn

    return register


# ---------------------------------------------------------------------------- helpers


def _num(env: Env, node: Any) -> Any:
    return env.coerced(node, "number", to_number)


def _dbl(env: Env, node: Any) -> Any:
    return env.coerced(node, "double", to_double)


def _str(env: Env, node: Any) -> Any:
    return env.coerced(node, "string", to_string)


def _bool(env: Env, node: Any) -> Any:
    return env.coerced(node, "boolean", to_boolean)


def _number(data: Any) -> Values:
    return Values(NUMBER, float(data) if np.ndim(data) == 0 else data)


def _boolean(data: Any) -> Values:
    return Values(BOOLEAN, bool(data) if np.ndim(data) == 0 else data)


def _java_int(x: Any) -> Any:
    """Java ``Double.intValue()``: truncation, NaN -> 0, saturating at the int range."""
    x = np.nan_to_num(
        np.asarray(x, dtype=float), nan=0.0, posinf=2147483647.0, neginf=-2147483648.0
    )
    out = np.clip(np.trunc(x), -2147483648, 2147483647).astype(np.int64)
    return int(out) if out.ndim == 0 else out


def _has_astral(data: Any) -> bool:
    """True when some text has characters outside the BMP (Java counts them as 2)."""
    if isinstance(data, str):
        return any(ord(c) > 0xFFFF for c in data)
    buffers = data.buffers()
    if len(buffers) < 3 or buffers[2] is None:
        return False
    raw = np.frombuffer(buffers[2], dtype=np.uint8)
    return bool((raw >= 0xF0).any())


def _spread_distinct(fn: Callable[..., Any], n: int, args: list[Any], out_type: str) -> Any:
    """Apply a Python function once per distinct combination of argument values.

    ``args`` are pyarrow arrays, numpy arrays or scalars; the result is an array of
    ``out_type`` ('string', 'number' or 'boolean').
    """
    codes = []
    uniques = []
    for a in args:
        if isinstance(a, pa.Array):
            enc = a.dictionary_encode()
            codes.append(np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64))
            uniques.append(enc.dictionary.to_pylist())
        elif isinstance(a, np.ndarray):
            c, u = pd.factorize(a, use_na_sentinel=False)
            codes.append(np.asarray(c, dtype=np.int64))
            uniques.append(list(u))
        else:
            codes.append(np.zeros(n, dtype=np.int64))
            uniques.append([a])
    key = np.zeros(n, dtype=np.int64)
    for c, u in zip(codes, uniques):
        key = key * max(len(u), 1) + c
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    results = [fn(*(u[c[i]] for c, u in zip(codes, uniques))) for i in first]
    if out_type == "string":
        return pa.array(results, pa.string()).take(pa.array(inverse.astype(np.int64)))
    dtype = float if out_type == "number" else bool
    return np.asarray(results, dtype=dtype)[inverse]


def _via_dictionary(data: pa.Array, fn: Callable[[pa.Array], Any]) -> Any:
    """Run an array kernel on the distinct values when they are few (select answers)."""
    n = len(data)
    if n < 5000:
        return fn(data)
    sample = data.slice(0, 2000)
    if len(pc.unique(sample)) > 400:
        return fn(data)
    enc = data.dictionary_encode()
    if len(enc.dictionary) > n // 4:
        return fn(data)
    res = fn(enc.dictionary)
    idx = enc.indices
    if isinstance(res, pa.Array):
        return res.take(idx)
    return np.asarray(res)[np.asarray(idx.to_numpy(zero_copy_only=False))]


def _all_scalar(*datas: Any) -> bool:
    return all(is_scalar(d) for d in datas)


def _java_trim(s: str) -> str:
    return s.strip("".join(chr(i) for i in range(33)))


def _re2_escape(s: str) -> str:
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", s)


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _utf16_slice(s: str, start: int, end: int | None) -> str:
    units = s.encode("utf-16-le")
    n = len(units) // 2
    start = n + start if start < 0 else start
    end = n if end is None else (n + end if end < 0 else end)
    end = min(max(0, end), n)
    start = min(max(0, start), n)
    if start > end:
        return ""
    return units[2 * start : 2 * end].decode("utf-16-le", errors="replace")


def _null_mask(v: Vec, n: int) -> Any:
    """JavaRosa isNull: '' or NaN."""
    out = np.zeros(n, dtype=bool)
    for mask, part in pieces(v):
        if part.kind == STRING:
            d = part.data
            m = (
                (len(d) == 0)
                if isinstance(d, str)
                else np.asarray(pc.binary_length(d).to_numpy(zero_copy_only=False)) == 0
            )
        elif part.kind == NUMBER:
            m = np.isnan(part.data)
        else:
            m = False
        m = np.broadcast_to(m, (n,))
        out = out | (m if mask is None else (m & mask))
    return out


def _is_many(env: Env, node: Any) -> bool:
    """True when ``node`` refers to a field or repeat with several instances per row."""
    if not isinstance(node, Field):
        return False
    s = env.session
    target = s.scope_of(node.name, env, node.pos)
    if s.is_repeat(node.name):
        return True
    return s.data.lowest_common(env.scope, target) != target


def _group_sum(ns: NodeSet, weights: np.ndarray) -> np.ndarray:
    g = ns.group_index()
    keep = g >= 0
    return np.bincount(g[keep], weights=np.asarray(weights, float)[keep], minlength=ns.n_groups)


def _group_join(ns: NodeSet, sep: str, env: Env) -> Any:
    if ns.values is None:
        raise env.error("EXP014", "join()/concat() need the values of a field, not a repeat", None)
    text = materialize(to_string(ns.values, ns.n_nodes), ns.n_nodes)
    g = ns.group_index()
    order = np.argsort(np.where(g >= 0, g, ns.n_groups), kind="stable")
    counts = np.bincount(g[g >= 0], minlength=ns.n_groups)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    values = text.take(pa.array(order[: offsets[-1]].astype(np.int64)))
    lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    joined = pc.binary_join(lists, sep)
    if ns.spread is None:
        return joined
    if len(joined) == 0:
        return ""
    idx = np.maximum(ns.spread, 0)
    out = joined.take(pa.array(idx.astype(np.int64)))
    if (ns.spread < 0).any():
        out = pc.if_else(pa_mask(ns.spread < 0), "", out)
    return out

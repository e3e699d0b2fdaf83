"""Node-set functions: count, sum, count-non-empty, position and indexed-repeat.

A field inside a repeat below the evaluation scope is a node-set; these functions
aggregate its instances per row with ``numpy.bincount``/grouped arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .evaluate import Env
from .library import (
    _group_sum,
    _java_int,
    _num,
    _number,
    function,
)
from .tree import Call, Field, Parent
from .values import (
    Vec,
    constant,
    gather,
    materialize,
    take,
    to_number,
    to_string,
)

# ---------------------------------------------------------------------------- node-sets


@function("count")
def _count(env: Env, node: Call) -> Vec:
    ns = env.nodes(node.args[0])
    return _number(ns.broadcast(_group_sum(ns, np.ones(ns.n_nodes)).astype(float), 0.0))


@function("count-non-empty")
def _count_non_empty(env: Env, node: Call) -> Vec:
    ns = env.nodes(node.args[0])
    if ns.values is None:
        return _count(env, node)
    text = materialize(to_string(ns.values, ns.n_nodes), ns.n_nodes)
    nonempty = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False)) > 0
    return _number(ns.broadcast(_group_sum(ns, nonempty.astype(float)), 0.0))


@function("sum")
def _sum(env: Env, node: Call) -> Vec:
    arg = node.args[0]
    if not isinstance(arg, Field):
        raise env.error("EXP014", "sum() needs a field (a node-set)", arg, "Write sum(${name}).")
    ns = env.nodes(arg)
    if ns.values is None:
        raise env.error("EXP014", "sum() needs the values of a field, not a repeat", arg)
    nums = np.broadcast_to(np.asarray(to_number(ns.values, ns.n_nodes).data, float), (ns.n_nodes,))
    return _number(ns.broadcast(_group_sum(ns, np.nan_to_num(nums, nan=0.0)), 0.0))


@function("position")
def _position(env: Env, node: Call) -> Vec:
    data = env.session.data
    if not node.args or isinstance(node.args[0], Parent):
        levels = node.args[0].levels if node.args else 1  # type: ignore[union-attr]
        return _number(_position_up(env, node, levels))
    arg = node.args[0]
    if isinstance(arg, Field) and env.session.is_repeat(arg.name):
        target = env.session.scope_of(arg.name, env, arg.pos)
        if data.lowest_common(env.scope, target) != target:
            raise env.error(
                "EXP013",
                f"position(${{{arg.name}}}) from outside the repeat",
                arg,
                "Use position(..) inside the repeat.",
            )
        pos = data.positions(target)  # type: ignore[arg-type]
        idx = data.rows_in(env.scope, target)
        return _number(pos if idx is None else gather(pos, idx, np.nan))
    if isinstance(arg, Field):
        env.nodes(arg)  # checks the reference
        return constant(1.0)
    raise env.error("EXP014", "position() needs '..' or a repeat", arg)


def _position_up(env: Env, node: Call, levels: int) -> Any:
    data = env.session.data
    q = env.session.question(env.current) if env.current else None
    if q is not None:
        path = tuple(q.group_path)
        if levels > len(path):
            raise env.error("EXP017", "'..' goes above the top of the form", node)
        name = path[len(path) - levels]
        if not env.session.is_repeat(name):
            return 1.0
        target = name
    else:
        scopes = data.ancestors(env.scope)
        if levels > len(scopes) - 1:
            if env.scope is None and levels == 1:
                return 1.0
            raise env.error(
                "EXP017",
                "position(..) outside a repeat",
                node,
                "Evaluate it inside the repeat (repeat='name' or a current question in it).",
            )
        target = scopes[levels - 1]
    if target is None:
        return 1.0
    pos = data.positions(target)
    idx = data.rows_in(env.scope, target)
    return pos if idx is None else gather(pos, idx, np.nan)


@function("indexed-repeat")
def _indexed_repeat(env: Env, node: Call) -> Vec:
    field, rep, index = node.args
    if (
        not isinstance(field, Field)
        or not isinstance(rep, Field)
        or not env.session.is_repeat(rep.name)
    ):
        raise env.error(
            "EXP014", "indexed-repeat(${field}, ${repeat}, index) needs a field and a repeat", node
        )
    s = env.session
    data = s.data
    target = s.scope_of(field.name, env, field.pos)
    if target != rep.name:
        raise env.error(
            "EXP014", f"${{{field.name}}} is not directly inside repeat {rep.name!r}", field
        )
    parent = data.parent_of(rep.name)
    if data.lowest_common(env.scope, parent) != parent:
        raise env.error("EXP013", "indexed-repeat() from inside another repeat branch", node)
    values = s.column(field.name, target)
    want = _java_int(_num(env, index))
    want = np.maximum(np.broadcast_to(want, (env.n,)), 1)
    parent_of_node = data.parent_rows(rep.name)
    positions = data.positions(rep.name).astype(np.int64)
    big = int(positions.max(initial=0)) + 2
    keys = pd.Index(parent_of_node.astype(np.int64) * big + positions)
    rows = data.rows_in(env.scope, parent)
    rows = np.arange(env.n) if rows is None else rows
    query = rows.astype(np.int64) * big + np.minimum(want, big - 1)
    hit = (
        keys.get_indexer(query)
        if keys.is_unique
        else pd.Index(keys).get_indexer_for(query)[: len(query)]
    )
    hit = np.where(rows < 0, -1, hit)
    return take(values, np.asarray(hit, dtype=np.int64))

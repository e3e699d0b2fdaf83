"""Evaluate a syntax tree over whole columns: one pass over the tree, no loop over rows.

A :class:`Session` binds a :class:`~analysis.expressions.data.FormData` (and optionally an
Instrument, a clock and a language) and caches the columns it converts, so that many
expressions over the same data (all the rules of a form) convert each column once.
:class:`Env` is one evaluation: the scope (main form or a repeat) whose rows the result
has, and the current question (``.``).

A reference to a field of the same scope, or of an enclosing one, is a column aligned to
the scope's rows. A reference to a field inside a repeat below the scope is a
:class:`NodeSet` (several values per row), which only the aggregate functions
(``count``, ``sum``, ``min``, ``max``, ``join``, ``concat``, ``count-non-empty``,
``indexed-repeat``) accept.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import FormData, column_values, kind_of_question
from .dates import Clock
from .errors import BadExpression
from .tree import Binary, Call, Chain, Current, Field, Negate, Node, Number, Parent, Relative, Text
from .values import (
    BOOLEAN,
    NUMBER,
    STRING,
    Values,
    Vec,
    arithmetic,
    compare,
    constant,
    equal,
    gather,
    select,
    take,
    to_boolean,
    to_number,
)

__all__ = ["Env", "NodeSet", "Session"]


@dataclass(frozen=True, eq=False)
class NodeSet:
    """Several nodes per row: the values of a field inside a repeat below the scope.

    ``group`` maps each node to a row of the lowest common scope (``n_groups`` rows), and
    ``spread`` maps each evaluation row to a row of that scope (None: the same rows).
    ``values`` is None for a repeat itself (its instances, for count() and position()).
    """

    name: str
    scope: str | None
    values: Vec | None
    group: np.ndarray | None
    n_groups: int
    spread: np.ndarray | None
    n_nodes: int

    def broadcast(self, per_group: np.ndarray, fill: Any = np.nan) -> np.ndarray:
        """Per-group results laid out on the evaluation rows."""
        if self.spread is None:
            return per_group
        return gather(per_group, self.spread, fill)

    def group_index(self) -> np.ndarray:
        """Group of every node (identity when nodes are the groups)."""
        if self.group is None:
            return np.arange(self.n_nodes)
        return self.group


class Session:
    """Data, instrument and settings shared by the evaluations of many expressions.

    Parameters
    ----------
    data : FormData
    instrument : Instrument, optional
        Gives each question's type (integer answers are numbers, dates are dates) and
        repeat, and the choice labels for ``jr:choice-name()``.
    clock : Clock, optional
        Time zone and the moment ``now()``/``today()`` stand for.
    language : str, optional
        Label language for ``jr:choice-name()`` (default: the form's default).
    """

    def __init__(
        self,
        data: FormData,
        instrument: Any = None,
        clock: Clock | None = None,
        language: str | None = None,
    ) -> None:
        self.data = data
        self.instrument = instrument
        self.clock = clock or Clock()
        self.language = language
        self._columns: dict[str, Vec] = {}
        #: Values that replace data columns (calculations, masked non-relevant answers).
        self.overrides: dict[str, Vec] = {}
        #: Answers to empty where their question is not relevant, done when first read:
        #: name -> (relevant, value).
        self._hidden: dict[str, tuple[np.ndarray, Vec]] = {}

    def hide(self, name: str, relevant: np.ndarray, value: Vec) -> None:
        """Let ``name`` read as ``value`` where ``relevant`` and as ``''`` elsewhere (the
        masked column is made only if an expression reads it)."""
        self.overrides.pop(name, None)
        self._hidden[name] = (relevant, value)

    # ------------------------------------------------------------------ names
    def question(self, name: str) -> Any:
        inst = self.instrument
        if inst is not None and name in inst:
            return inst[name]
        return None

    def is_repeat(self, name: str) -> bool:
        if name in self.data.repeats:
            return True
        inst = self.instrument
        if inst is not None:
            return any(g.name == name and g.kind == "repeat" for g in inst.groups)
        return False

    def scope_of(self, name: str, env: Env | None = None, pos: int | None = None) -> str | None:
        """The scope (None: main; a repeat name) whose rows hold field ``name``."""
        if self.is_repeat(name):
            if name not in self.data.repeats:
                raise self._error(
                    env,
                    "EXP023",
                    f"repeat {name!r} has no frame in the data",
                    pos,
                    "Pass the repeat's rows in FormData(repeats=...).",
                )
            return name
        q = self.question(name)
        if q is not None:
            scope = q.repeat
            if scope is not None and scope not in self.data.repeats:
                raise self._error(
                    env,
                    "EXP023",
                    f"question {name!r} is in repeat {scope!r}, which has no frame in the data",
                    pos,
                    "Pass the repeat's rows in FormData(repeats=...).",
                )
            return scope
        scope = self.data.scope_of(name)
        if scope is False:
            known = sorted(
                {*self.data.main.columns.astype(str)}
                | ({*self.instrument.names} if self.instrument is not None else set())
            )
            close = difflib.get_close_matches(name, known, n=1)
            hint = (
                f"Did you mean ${{{close[0]}}}?"
                if close
                else "Check the question name in the form and the data columns."
            )
            raise self._error(env, "EXP009", f"unknown field ${{{name}}}", pos, hint)
        return scope  # type: ignore[return-value]

    def column(self, name: str, scope: str | None) -> Vec:
        """The values of field ``name`` on the rows of its own scope."""
        if name in self.overrides:
            return self.overrides[name]
        if name in self._hidden:
            relevant, value = self._hidden.pop(name)
            masked = select([(relevant, value), (None, Values(STRING, ""))], len(relevant))
            self.overrides[name] = masked
            return masked
        if name in self._columns:
            return self._columns[name]
        frame = self.data.frame(scope)
        q = self.question(name)
        if name in frame.columns:
            kind = kind_of_question(q.type, q.extra) if q is not None else None
            time_only = q is not None and q.type == "time"
            vec = column_values(frame[name], kind, self.clock, time_only=time_only)
        else:
            vec = Values(STRING, "")  # a question of the form that is not exported
        self._columns[name] = vec
        return vec

    def _error(
        self, env: Env | None, code: str, message: str, pos: int | None, hint: str | None
    ) -> BadExpression:
        return BadExpression(
            code, message, expression=None if env is None else env.text, position=pos, hint=hint
        )


class Env:
    """One evaluation: the scope whose rows the result has, and the current question."""

    def __init__(
        self,
        session: Session,
        scope: str | None,
        text: str,
        current: str | None = None,
        item: Mapping[str, Vec] | None = None,
        current_values: Vec | None = None,
    ) -> None:
        self.session = session
        self.scope = scope
        self.text = text
        self.current = current
        self.item = item
        self._current_values = current_values
        self.n = session.data.size(scope)
        self._memo: dict[tuple[str, str], Any] = {}

    @property
    def clock(self) -> Clock:
        return self.session.clock

    def error(
        self, code: str, message: str, node: Node | None, hint: str | None = None
    ) -> BadExpression:
        return BadExpression(
            code,
            message,
            expression=self.text,
            position=None if node is None else node.pos,
            hint=hint,
        )

    # ------------------------------------------------------------------ nodes
    def coerced(self, node: Node, how: str, convert: Any) -> Any:
        """``convert(value).data`` of a node, computed once per field in this evaluation."""
        if isinstance(node, Field):
            key = (how, node.name)
            if key not in self._memo:
                self._memo[key] = convert(self.value(node), self.n).data
            return self._memo[key]
        return convert(self.value(node), self.n).data

    def result(self, node: Node) -> Vec:
        """The value of a whole expression tree: :meth:`value`, with a tree nested too
        deeply for Python's stack refused as ``EXP004`` (never a bare RecursionError)."""
        try:
            return self.value(node)
        except RecursionError:
            raise self.error(
                "EXP004",
                "the expression is nested too deeply to evaluate",
                None,
                "Split it into calculate questions.",
            ) from None

    def value(self, node: Node) -> Vec:
        """The node as one value per row (a node-set here is an error)."""
        out = self.any(node)
        if isinstance(out, NodeSet):
            what = "repeat" if out.values is None else "field"
            raise self.error(
                "EXP013",
                f"${{{out.name}}} is a {what} with several instances per row here",
                node,
                "Use count(), sum(), min(), max() or join() over it, or evaluate inside the repeat.",
            )
        return out

    def nodes(self, node: Node) -> NodeSet:
        """The node as a node-set (a field of this scope is a set of one node per row)."""
        if isinstance(node, Field):
            out = self.field(node, as_nodes=True)
            assert isinstance(out, NodeSet)
            return out
        if isinstance(node, Current):
            return NodeSet(
                self.current or ".",
                self.scope,
                self.current_value(node),
                None,
                self.n,
                None,
                self.n,
            )
        raise self.error(
            "EXP014",
            "this argument must be a field or a repeat (a node-set)",
            node,
            "Pass ${name} of a question or repeat.",
        )

    def any(self, node: Node) -> Vec | NodeSet:
        if isinstance(node, Number):
            return constant(node.value)
        if isinstance(node, Text):
            return constant(node.value)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Binary):
            return self.operate(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Chain):
            out = self.value(node.operands[0])
            for op, right in node.steps():
                out = self.operate(op, out, self.value(right))
            return out
        if isinstance(node, Negate):
            x = to_number(self.value(node.operand), self.n)
            return Values(NUMBER, -x.data)
        if isinstance(node, Call):
            from .functions import LIBRARY

            return LIBRARY[node.name](self, node)
        if isinstance(node, Current):
            return self.current_value(node)
        if isinstance(node, Relative):
            if self.item is not None and node.name in self.item:
                return self.item[node.name]
            if self.item is not None:
                raise self.error(
                    "EXP012",
                    f"the choice list has no column {node.name!r}",
                    node,
                    "Add the column to the choices sheet or fix the choice_filter.",
                )
            raise self.error(
                "EXP012",
                f"bare name {node.name!r}: write ${{{node.name}}} to refer to a question",
                node,
                "Outside a choice_filter, refer to questions as ${name}; use true() and false() for booleans.",
            )
        if isinstance(node, Parent):
            raise self.error(
                "EXP011", "'..' can only be used in position(..)", node, "Use ${name}."
            )
        raise self.error("EXP011", f"cannot evaluate {type(node).__name__}", node)

    def current_value(self, node: Node | None) -> Vec:
        if self._current_values is not None:
            return self._current_values
        if self.current is None:
            raise self.error(
                "EXP017",
                "'.' needs a current question",
                node,
                "Pass current='question_name' (constraints use the question's own value).",
            )
        return self.field(Field(node.pos if node else 1, self.current))  # type: ignore[return-value]

    def field(self, node: Field, as_nodes: bool = False) -> Vec | NodeSet:
        s = self.session
        name = node.name
        target = s.scope_of(name, self, node.pos)
        data = s.data
        repeat_node = s.is_repeat(name)
        lca = data.lowest_common(self.scope, target)
        values = None if repeat_node else s.column(name, target)
        if lca == target and not repeat_node and not as_nodes:
            return take(values, data.rows_in(self.scope, target))  # type: ignore[arg-type]
        if lca == target and not repeat_node:
            single = take(values, data.rows_in(self.scope, target))  # type: ignore[arg-type]
            return NodeSet(name, self.scope, single, None, self.n, None, self.n)
        group = data.rows_in(target, lca)
        spread = data.rows_in(self.scope, lca)
        return NodeSet(name, target, values, group, data.size(lca), spread, data.size(target))

    def binary(self, node: Binary) -> Vec:
        """The value of a binary operator node."""
        return self.operate(node.op, self.value(node.left), self.value(node.right))

    def operate(self, op: str, a: Vec, b: Vec) -> Vec:
        """``a op b`` for values already computed (a :class:`Binary` or a step of a
        :class:`Chain`)."""
        if op in ("and", "or"):
            x = to_boolean(a, self.n).data
            y = to_boolean(b, self.n).data
            out = np.logical_and(x, y) if op == "and" else np.logical_or(x, y)
            return Values(BOOLEAN, bool(out) if np.ndim(out) == 0 else out)
        if op == "=":
            return equal(a, b, self.n)
        if op == "!=":
            out = equal(a, b, self.n).data
            return Values(BOOLEAN, not out if np.ndim(out) == 0 else ~out)
        if op in ("<", "<=", ">", ">="):
            return compare(op, a, b, self.n)
        return arithmetic(op, a, b, self.n)

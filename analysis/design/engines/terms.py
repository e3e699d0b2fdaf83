"""Per-row terms of a reduction, written once and run as SQL (DuckDB) or on pandas (Dask).

The engines total per-row values by group. Every value an estimator needs is a
small arithmetic expression of data columns, the weight and per-domain constants
(a domain's mean, for instance). A :class:`Term` is that expression as a tree;
:meth:`Term.sql` writes it for DuckDB and :meth:`Term.evaluate` computes it on a
pandas partition, with the same floating-point operations in the same order, so
both engines (and the in-memory estimators) give the same numbers.

Examples
--------
>>> import pandas as pd
>>> t = W * (col("y") - param("c"))
>>> t.sql()
'(CAST("__w" AS DOUBLE) * (CAST("y" AS DOUBLE) - CAST("__p_c" AS DOUBLE)))'
>>> frame = pd.DataFrame({"__w": [2.0, 1.0], "y": [3.0, 5.0], "__p_c": [1.0, 1.0]})
>>> t.evaluate(frame).tolist()
[4.0, 4.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "WEIGHT",
    "Term",
    "W",
    "accurate",
    "col",
    "ident",
    "maximum",
    "minimum",
    "param",
    "param_column",
]

#: Name of the weight column inside a reduction (1.0 when the design has no weights).
WEIGHT = "__w"


def ident(name: str) -> str:
    """A quoted SQL identifier.

    >>> ident('a"b')
    '"a""b"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def param_column(name: str) -> str:
    """The column holding the per-domain constant ``name`` after the join."""
    return f"__p_{name}"


@dataclass(frozen=True)
class Term:
    """A node of a per-row expression: ``op`` applied to ``args``."""

    op: str
    args: tuple

    # arithmetic builds trees
    def __add__(self, other: object) -> Term:
        return Term("+", (self, _lift(other)))

    def __sub__(self, other: object) -> Term:
        return Term("-", (self, _lift(other)))

    def __mul__(self, other: object) -> Term:
        return Term("*", (self, _lift(other)))

    def __truediv__(self, other: object) -> Term:
        return Term("/", (self, _lift(other)))

    def ln(self) -> Term:
        """Natural logarithm."""
        return Term("ln", (self,))

    def below(self, bound: Term) -> Term:
        """1.0 where the value is at most ``bound``, else 0.0."""
        return Term("<=", (self, bound))

    def bin(self, lo: Term, hi: Term, width: Term, n_bins: int) -> Term:
        """The value's bin: ``-inf`` below ``lo``, ``inf`` above ``hi``, else
        ``floor((value - lo) / width)`` (at most ``n_bins - 1``), or the value when ``width``
        is 0. Monotone in the value, and the same in SQL and numpy."""
        return Term("bin", (self, lo, hi, width, _lift(n_bins)))

    @property
    def aggregate(self) -> str:
        """How the engine totals the term: ``"sum"`` (default), ``"fsum"`` (correctly
        rounded, for cumulative weights compared exactly), ``"min"`` or ``"max"``."""
        return self.op if self.op in ("min", "max", "fsum") else "sum"

    def sql(self) -> str:
        """The expression in DuckDB SQL (doubles throughout)."""
        op, args = self.op, self.args
        if op in ("min", "max", "fsum"):
            return args[0].sql()
        if op == "<=":
            return f"CAST(({args[0].sql()} <= {args[1].sql()}) AS DOUBLE)"
        if op == "bin":
            y, lo, hi, width, n = (a.sql() for a in args)
            return (
                f"(CASE WHEN {y} < {lo} THEN CAST('-inf' AS DOUBLE) "
                f"WHEN {y} > {hi} THEN CAST('inf' AS DOUBLE) WHEN {width} = 0 THEN {y} "
                f"ELSE least(floor(({y} - {lo}) / {width}), {n} - 1) END)"
            )
        if op == "col":
            return f"CAST({ident(args[0])} AS DOUBLE)"
        if op == "num":
            return f"CAST({float(args[0])!r} AS DOUBLE)"
        if op == "ln":
            return f"ln({args[0].sql()})"
        return f"({args[0].sql()} {op} {args[1].sql()})"

    def evaluate(self, frame: Any) -> np.ndarray:
        """The expression's value on every row, as float64.

        ``frame`` maps column names to pandas Series or numpy arrays (a DataFrame works).
        """
        op, args = self.op, self.args
        if op == "col":
            values = frame[args[0]]
            if isinstance(values, pd.Series):
                return values.to_numpy(dtype=np.float64, na_value=np.nan)
            return np.asarray(values, dtype=np.float64)
        if op == "num":
            return np.float64(args[0])  # broadcasts as a scalar
        if op == "ln":
            return np.log(args[0].evaluate(frame))
        if op in ("min", "max", "fsum"):
            return args[0].evaluate(frame)
        if op == "<=":
            return (args[0].evaluate(frame) <= args[1].evaluate(frame)).astype(np.float64)
        if op == "bin":
            y, lo, hi, width, n = (a.evaluate(frame) for a in args)
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = np.where(width == 0, y, np.minimum(np.floor((y - lo) / width), n - 1))
            return np.where(y < lo, -np.inf, np.where(y > hi, np.inf, inner))
        a, b = args[0].evaluate(frame), args[1].evaluate(frame)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return a / b

    def columns(self) -> set[str]:
        """Names of the data columns the expression reads (not the weight or constants)."""
        if self.op == "col":
            name = self.args[0]
            return set() if name.startswith("__") else {name}
        if self.op == "num":
            return set()
        return set().union(*(a.columns() for a in self.args))

    def params(self) -> set[str]:
        """Names of the per-domain constants the expression uses."""
        if self.op == "col":
            name = self.args[0]
            return {name[4:]} if name.startswith("__p_") else set()
        if self.op == "num":
            return set()
        return set().union(*(a.params() for a in self.args))


def _lift(value: object) -> Term:
    return value if isinstance(value, Term) else Term("num", (float(value),))


def col(name: str) -> Term:
    """A data column (cast to double)."""
    return Term("col", (name,))


def minimum(term: Term) -> Term:
    """The smallest value of ``term`` in each group (instead of the total)."""
    return Term("min", (term,))


def maximum(term: Term) -> Term:
    """The largest value of ``term`` in each group."""
    return Term("max", (term,))


def accurate(term: Term) -> Term:
    """The total of ``term`` in each group, correctly rounded (DuckDB's ``fsum``)."""
    return Term("fsum", (term,))


def param(name: str) -> Term:
    """A per-domain constant, joined to the rows by domain."""
    return Term("col", (param_column(name),))


#: The row's weight.
W = col(WEIGHT)

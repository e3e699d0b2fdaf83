"""The public entry points: :func:`parse` (cached) and :func:`evaluate` (vectorised).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"age": [30, None, 12], "crops": ["rice maize", "", "wheat"]})
>>> evaluate("${age} >= 18", df).tolist()
[True, False, False]
>>> evaluate("${age} = ''", df).tolist()
[False, True, False]
>>> evaluate("selected(${crops}, 'rice')", df).tolist()
[True, False, False]
>>> evaluate("if(${age} < 18, 'child', 'adult')", df).tolist()  # '' < 18 is false
['adult', 'adult', 'child']
>>> evaluate(". > 5", df, current="age").tolist()
[True, False, True]
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .data import MAIN, FormData
from .dates import MS_PER_DAY, Clock
from .errors import BadExpression
from .evaluate import Env, Session
from .parser import parse_tree
from .tree import Call, Current, Node, Parent, fields_of, walk
from .values import BOOLEAN, DATE, NUMBER, STRING, Mixed, Values, Vec, materialize, pieces

__all__ = ["EvaluationContext", "Expression", "evaluate", "parse", "session_for", "to_series"]

_UNSET: Any = object()


@dataclass(frozen=True)
class EvaluationContext:
    """Settings of an evaluation that do not come from the data.

    Parameters
    ----------
    timezone : str
        The time zone the phones were in (IANA name); dates with an offset are converted
        to it, and ``today()`` is the date there. Default ``"UTC"``.
    now : datetime, optional
        The moment ``now()``/``today()`` stand for (default: the real time).
    language : str, optional
        Label language for ``jr:choice-name()`` (default: the form's default).
    """

    timezone: str = "UTC"
    now: _dt.datetime | None = None
    language: str | None = None

    def clock(self) -> Clock:
        """The :class:`Clock` for these settings."""
        return Clock(self.timezone, self.now)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, syntax tree and what it refers to."""

    text: str
    tree: Node

    @property
    def fields(self) -> frozenset[str]:
        """Names referenced with ``${name}`` (or a path): the expression's inputs."""
        return fields_of(self.tree)

    @property
    def functions(self) -> frozenset[str]:
        """Names of the functions called."""
        return frozenset(n.name for n in walk(self.tree) if isinstance(n, Call))

    @property
    def uses_current(self) -> bool:
        """True when the expression uses ``.`` (or a function defaulting to it)."""
        for n in walk(self.tree):
            if isinstance(n, Current | Parent):
                return True
            if (
                isinstance(n, Call)
                and n.name in ("string-length", "normalize-space", "once")
                and (not n.args or n.name == "once")
            ):
                return True
        return False

    def evaluate(self, data: Any, **kwargs: Any) -> pd.Series:
        """Evaluate on ``data``; see :func:`evaluate`."""
        return evaluate(self, data, **kwargs)


@lru_cache(maxsize=8192)
def parse(expression: str) -> Expression:
    """Parse ``expression`` once (cached by its text); raise :class:`BadExpression`.

    >>> parse("${a} + ${b} > 2").fields == {"a", "b"}
    True
    """
    return Expression(expression, parse_tree(expression))


def _as_formdata(data: Any) -> FormData:
    if isinstance(data, FormData):
        return data
    if isinstance(data, pd.DataFrame):
        return FormData(data)
    raise BadExpression(
        "EXP020",
        "the data must be a pandas DataFrame or a FormData",
        found=type(data).__name__,
        hint="Pass a DataFrame, or FormData(main, repeats=...) for forms with repeats.",
    )


def session_for(
    data: Any, instrument: Any = None, context: EvaluationContext | None = None
) -> Session:
    """A :class:`Session` to evaluate many expressions on the same data (columns converted once)."""
    context = context or EvaluationContext()
    return Session(_as_formdata(data), instrument, context.clock(), context.language)


def evaluate(
    expression: str | Expression,
    data: Any,
    *,
    instrument: Any = None,
    current: str | None = None,
    repeat: str | None = _UNSET,
    context: EvaluationContext | None = None,
    session: Session | None = None,
) -> pd.Series:
    """Evaluate an XLSForm expression on every row of ``data`` at once.

    Parameters
    ----------
    expression : str or Expression
        The expression as written in the form (``${age} >= 18``).
    data : DataFrame or FormData
        ``${name}`` is column ``name``; a FormData adds repeat frames.
    instrument : Instrument, optional
        Types the columns as the form does (integer answers are numbers, dates are
        dates, calculations are text) and gives choice labels.
    current : str, optional
        The question ``.`` stands for (a constraint's own question).
    repeat : str, optional
        Evaluate inside this repeat (one result per instance). Default: the repeat of
        ``current``, else the main form.
    context : EvaluationContext, optional
        Time zone, ``now()`` and label language.
    session : Session, optional
        Reuse converted columns across calls (see :func:`session_for`).

    Returns
    -------
    Series
        Indexed like the frame of the scope: bool for conditions, float for numbers,
        str for text, datetime64 for dates, object where rows differ in type.
    """
    expr = expression if isinstance(expression, Expression) else parse(expression)
    if session is None:
        session = session_for(data, instrument, context)
    try:
        if repeat is not _UNSET:
            scope = repeat if repeat else MAIN
            session.data.frame(scope)
        elif current is not None:
            scope = _scope_of_current(session, current, expr)
        else:
            scope = MAIN
        env = Env(session, scope, expr.text, current=current)
        vec = env.result(expr.tree)
    except BadExpression as err:
        if err.expression is None:
            raise err.located(expression=expr.text) from None
        raise
    frame = session.data.frame(scope)
    return to_series(vec, frame.index, session.clock)


def _scope_of_current(session: Session, current: str, expr: Expression) -> str | None:
    if session.question(current) is None and session.data.scope_of(current) is False:
        raise BadExpression(
            "EXP025",
            f"current question {current!r} is neither in the data nor in the instrument",
            expression=expr.text,
            hint="Pass the name of the question the expression belongs to.",
        )
    return session.scope_of(current)


def _blank_as_missing(vec: Vec, n: int) -> Vec:
    """A number/date/boolean column whose other rows are all '' becomes that type with
    missing values (so calculations come back as float/datetime columns with NaN/NaT)."""
    if not isinstance(vec, Mixed) or len(vec.parts) != 2 or STRING not in vec.parts:
        return vec
    (kind,) = [k for k in vec.parts if k != STRING]
    blank = vec.tags == STRING
    text = vec.parts[STRING].data
    if isinstance(text, str):
        if text != "":
            return vec
    else:
        lengths = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False))
        if (lengths[blank] > 0).any():
            return vec
    data = materialize(vec.parts[kind], n)
    fill = False if kind == BOOLEAN else np.nan
    return Values(kind, np.where(blank, fill, data), blank)


def to_series(vec: Vec, index: pd.Index, clock: Clock | None = None) -> pd.Series:
    """Expression values as a pandas Series (see :func:`evaluate` for the dtypes)."""
    n = len(index)
    vec = _blank_as_missing(vec, n)
    if isinstance(vec, Values):
        data = materialize(vec, n)
        if vec.kind == BOOLEAN:
            if vec.blank is not None:
                arr = pd.array(data, dtype="boolean")
                arr[vec.blank] = pd.NA
                return pd.Series(arr, index=index)
            return pd.Series(np.asarray(data, dtype=bool), index=index)
        if vec.kind == NUMBER:
            return pd.Series(np.asarray(data, dtype=float), index=index)
        if vec.kind == STRING:
            return pd.Series(pd.array(data, dtype="str"), index=index)
        days = np.asarray(data, dtype=float)
        ms = np.round(np.where(np.isnan(days), 0, days) * MS_PER_DAY).astype("int64")
        stamps = ms.astype("datetime64[ms]")
        stamps[np.isnan(days)] = np.datetime64("NaT")
        return pd.Series(stamps, index=index)
    out = np.empty(n, dtype=object)
    for mask, part in pieces(vec):
        data = materialize(part, n)
        if part.kind == STRING:
            values = (
                np.asarray(data.to_pylist(), dtype=object) if isinstance(data, pa.Array) else data
            )
        elif part.kind == DATE:
            days = np.nan_to_num(np.asarray(data, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
            ms = np.round(days * MS_PER_DAY).astype("int64")
            values = pd.to_datetime(ms, unit="ms").to_numpy(dtype=object)
        elif part.kind == BOOLEAN:
            values = np.asarray(data, dtype=bool).astype(object)
        else:
            values = np.asarray(data, dtype=float).astype(object)
        if mask is None:
            out[:] = values
        else:
            out[mask] = np.asarray(values, dtype=object)[mask]
    return pd.Series(out, index=index, dtype=object)

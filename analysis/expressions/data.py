"""The data an expression is evaluated on: one main frame plus one frame per repeat.

A form with repeats exports one table per repeat, each row linked to its parent row by a
key (ODK Central: ``KEY``/``PARENT_KEY``; KoboToolbox: ``_index``/``_parent_index``).
:class:`FormData` holds the main frame and :class:`Repeat` frames with those links, so
that inside a repeat ``${x}`` means the same instance (or the parent's value, for a
question of the main form), and from the parent ``count()``/``sum()`` aggregate the
instances.

Examples
--------
>>> hh = pd.DataFrame({"KEY": ["h1", "h2"], "hh_size": [2, 1]})
>>> people = pd.DataFrame({"PARENT_KEY": ["h1", "h1", "h2"], "age": [40, 12, 70]})
>>> form = FormData(hh, {"members": Repeat(people, parent_key="PARENT_KEY")}, key="KEY")
>>> form.parent_rows("members").tolist(), form.positions("members").tolist()
([0, 0, 1], [1.0, 2.0, 1.0])
>>> form.scope_of("age"), form.scope_of("hh_size") is None
('members', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .buffers import answered
from .dates import MS_PER_DAY, Clock, parse_dates
from .errors import BadExpression
from .values import (
    BOOLEAN,
    DATE,
    NUMBER,
    STRING,
    Mixed,
    Values,
    Vec,
    format_numbers,
    gather,
    pa_mask,
    parse_numbers,
    strings,
)

__all__ = ["MAIN", "FormData", "Repeat", "column_values", "kind_of_dtype", "kind_of_question"]

#: The scope name of the main (non-repeat) part of a form.
MAIN = None

_NUMBER_TYPES = frozenset({"integer", "decimal", "range", "int"})
_DATE_TYPES = frozenset({"date", "datetime", "dateTime", "start", "end", "today"})
_TIME_TYPES = frozenset({"time"})


@dataclass(frozen=True)
class Repeat:
    """The frame of one repeat and how its rows link to their parent rows.

    Parameters
    ----------
    frame : DataFrame
        One row per repeat instance.
    parent_key : str
        Column of ``frame`` holding the key of the parent row.
    parent : str, optional
        Name of the enclosing repeat (None: the main form).
    key : str, optional
        Column identifying each instance (needed when repeats are nested in it);
        default: the frame's index.
    position : str, optional
        Column with the 1-based position of the instance within its parent; default:
        the order of the rows within each parent.
    """

    frame: pd.DataFrame
    parent_key: str
    parent: str | None = None
    key: str | None = None
    position: str | None = None


@dataclass(frozen=True)
class FormData:
    """The main frame of a form and its repeat frames.

    Parameters
    ----------
    main : DataFrame
        One row per submission.
    repeats : mapping of str to Repeat, optional
        Repeat name (the XLSForm ``begin_repeat`` name) to its frame and links.
    key : str, optional
        Column of ``main`` that repeat ``parent_key`` values refer to; default: the index.
    """

    main: pd.DataFrame
    repeats: Mapping[str, Repeat] = field(default_factory=dict)
    key: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.main, pd.DataFrame):
            raise BadExpression(
                "EXP020",
                "the data must be a pandas DataFrame",
                found=type(self.main).__name__,
                hint="Pass a DataFrame, or a FormData for forms with repeats.",
            )
        object.__setattr__(self, "repeats", dict(self.repeats))
        object.__setattr__(self, "_memo", {})
        for name, rep in self.repeats.items():
            if rep.parent is not None and rep.parent not in self.repeats:
                raise BadExpression(
                    "EXP019",
                    f"repeat {name!r} names an unknown parent repeat {rep.parent!r}",
                    hint="Give the name of the enclosing repeat, or None for the main form.",
                )
            if rep.parent_key not in rep.frame.columns:
                raise BadExpression(
                    "EXP019",
                    f"repeat {name!r} has no parent key column {rep.parent_key!r}",
                    column=rep.parent_key,
                    hint="Name the column that holds the parent row's key (e.g. PARENT_KEY).",
                )

    # ------------------------------------------------------------------ scopes
    @property
    def scopes(self) -> tuple[str | None, ...]:
        """The main scope (None) and every repeat name."""
        return (MAIN, *self.repeats)

    def frame(self, scope: str | None) -> pd.DataFrame:
        """The frame of ``scope`` (None: main)."""
        if scope is MAIN:
            return self.main
        try:
            return self.repeats[scope].frame
        except KeyError:
            raise BadExpression(
                "EXP023",
                f"no repeat named {scope!r} in the data",
                found=sorted(self.repeats),
                hint="Pass the repeat frames in FormData(repeats={name: Repeat(...)}).",
            ) from None

    def parent_of(self, scope: str | None) -> str | None:
        """The enclosing scope of a repeat (None for a repeat of the main form)."""
        return None if scope is MAIN else self.repeats[scope].parent

    def ancestors(self, scope: str | None) -> list[str | None]:
        """``scope`` and its enclosing scopes, innermost first, ending with main."""
        out = [scope]
        while scope is not MAIN:
            scope = self.parent_of(scope)
            out.append(scope)
        return out

    def size(self, scope: str | None) -> int:
        """Number of rows of ``scope``."""
        return len(self.frame(scope))

    def scope_of(self, name: str) -> str | bool | None:
        """The scope whose frame has column ``name`` (False when no frame has it)."""
        if name in self.main.columns:
            return MAIN
        for rep_name, rep in self.repeats.items():
            if name in rep.frame.columns:
                return rep_name
        return False

    def _keys(self, scope: str | None) -> pd.Index:
        frame = self.frame(scope)
        column = self.key if scope is MAIN else self.repeats[scope].key
        if column is None:
            return frame.index
        if column not in frame.columns:
            raise BadExpression(
                "EXP019",
                f"key column {column!r} is not in the {'main' if scope is MAIN else scope} frame",
                column=column,
                hint="Name the column that identifies each row (e.g. KEY).",
            )
        return pd.Index(frame[column])

    def parent_rows(self, scope: str) -> np.ndarray:
        """Row position in the parent frame of every row of repeat ``scope`` (-1: orphan)."""
        memo = self._memo  # type: ignore[attr-defined]
        if ("parent", scope) not in memo:
            rep = self.repeats[scope]
            keys = self._keys(rep.parent)
            if not keys.is_unique:
                raise BadExpression(
                    "EXP019",
                    f"the keys of {'the main frame' if rep.parent is None else rep.parent} are not unique,"
                    f" so the rows of {scope!r} cannot be linked to them",
                    hint="Use the submission key column (KEY, _index, instanceID).",
                )
            memo[("parent", scope)] = np.asarray(
                keys.get_indexer(rep.frame[rep.parent_key]), dtype=np.int64
            )
        return memo[("parent", scope)]

    def positions(self, scope: str) -> np.ndarray:
        """1-based position of every instance of repeat ``scope`` within its parent."""
        memo = self._memo  # type: ignore[attr-defined]
        if ("position", scope) not in memo:
            rep = self.repeats[scope]
            if rep.position is not None:
                pos = pd.to_numeric(rep.frame[rep.position], errors="coerce").to_numpy(dtype=float)
            else:
                parents = pd.Series(self.parent_rows(scope))
                pos = (parents.groupby(parents, sort=False).cumcount() + 1).to_numpy(dtype=float)
            memo[("position", scope)] = pos
        return memo[("position", scope)]

    def rows_in(self, scope: str | None, ancestor: str | None) -> np.ndarray | None:
        """Row of ``ancestor`` for every row of ``scope`` (None when they are the same)."""
        if scope == ancestor:
            return None
        memo = self._memo  # type: ignore[attr-defined]
        key = ("rows", scope, ancestor)
        if key not in memo:
            idx = self.parent_rows(scope)  # type: ignore[arg-type]
            parent = self.parent_of(scope)
            if parent != ancestor:
                up = self.rows_in(parent, ancestor)
                idx = gather(up, idx, -1).astype(np.int64)  # type: ignore[arg-type]
            memo[key] = idx
        return memo[key]

    def lowest_common(self, a: str | None, b: str | None) -> str | None:
        """The innermost scope enclosing both ``a`` and ``b``."""
        up = self.ancestors(b)
        for s in self.ancestors(a):
            if s in up:
                return s
        return MAIN

    def with_frames(self, frames: Mapping[str | None, pd.DataFrame]) -> FormData:
        """The same structure with some frames replaced (keys and links kept)."""
        main = frames.get(MAIN, self.main)
        repeats = {
            name: Repeat(
                frames.get(name, rep.frame), rep.parent_key, rep.parent, rep.key, rep.position
            )
            for name, rep in self.repeats.items()
        }
        return FormData(main, repeats, self.key)


# ---------------------------------------------------------------------------- typing


def kind_of_question(qtype: str | None, extra: Mapping[str, Any] | None = None) -> int | None:
    """The value kind JavaRosa gives a question type (None: decide from the data).

    >>> kind_of_question("integer") == NUMBER, kind_of_question("select_one") == STRING
    (True, True)
    """
    if qtype is None:
        return None
    bind_type = (extra or {}).get("bind::type")
    if bind_type in ("int", "integer", "decimal"):
        return NUMBER
    if qtype in _NUMBER_TYPES:
        return NUMBER
    if qtype in _DATE_TYPES or qtype in _TIME_TYPES:
        return DATE
    return STRING


def kind_of_dtype(dtype: Any) -> int:
    """The value kind of a pandas column without an instrument."""
    if pd.api.types.is_bool_dtype(dtype):
        return BOOLEAN
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMBER
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DATE
    return STRING


def _text(series: pd.Series) -> pa.Array:
    """A column as a pyarrow string array; missing values become ''."""
    dtype = series.dtype
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return strings(pa.array(series.array))
    if pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=object, na_value=None)
        return strings(
            pa.array([None if v is None else ("true" if v else "false") for v in values])
        )
    if pd.api.types.is_numeric_dtype(dtype):
        data = series.to_numpy(dtype=float, na_value=np.nan)
        text = format_numbers(data)
        nan = np.isnan(data)
        if nan.any():
            text = pc.if_else(pa_mask(nan), "", text)
        return strings(text)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return strings(
            pa.array(series.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, 23), pa.string())
        )
    try:
        return strings(pa.array(series.to_numpy(dtype=object), pa.string(), from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return strings(pa.array(series.astype("str").array))


def column_values(
    series: pd.Series, kind: int | None, clock: Clock, *, time_only: bool = False
) -> Vec:
    """A data column as expression values of ``kind`` (missing values are blank '').

    Text that cannot be read as the declared kind (e.g. ``'abc'`` in an integer column)
    keeps its text, as an untyped node would.
    """
    dtype = series.dtype
    if kind is None:
        kind = kind_of_dtype(dtype)
    if kind == NUMBER and (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    ):
        data = series.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(data)
        return Values(NUMBER, data, blank if blank.any() else None)
    if kind == BOOLEAN and pd.api.types.is_bool_dtype(dtype):
        na = series.isna().to_numpy()
        data = series.fillna(False).to_numpy(dtype=bool)
        return Values(BOOLEAN, data, na if na.any() else None)
    if kind == DATE and pd.api.types.is_datetime64_any_dtype(dtype):
        values = series
        if getattr(dtype, "tz", None) is not None:
            values = values.dt.tz_convert(clock.timezone).dt.tz_localize(None)
        ms = values.astype("datetime64[ms]").to_numpy()
        nat = np.isnat(ms)
        days = ms.astype("int64").astype(float) / MS_PER_DAY
        days[nat] = np.nan
        return Values(DATE, days, nat if nat.any() else None)
    if kind in (NUMBER, DATE, BOOLEAN) and pd.api.types.is_numeric_dtype(dtype):
        return column_values(series, NUMBER, clock)
    text = _text(series)
    if kind == STRING or kind == BOOLEAN:
        return Values(STRING, text)
    parsed = (
        parse_numbers(text) if kind == NUMBER else parse_dates(text, clock, time_only=time_only)
    )
    bad = np.isnan(parsed)
    if not bad.any():
        return Values(kind, parsed)
    empty = ~answered(text)
    if (empty | ~bad).all():
        return Values(kind, parsed, empty)
    tags = np.where(bad, np.int8(STRING), np.int8(kind)).astype(np.int8)
    return Mixed(tags, {kind: Values(kind, parsed), STRING: Values(STRING, text)})

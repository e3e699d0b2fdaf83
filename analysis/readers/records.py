"""Who each record is, and where each question's answers are, in a RawData.

:class:`Records` looks at a :class:`~analysis.readers.RawData` through its instrument:
for every table it knows the column of each question (from the reader's column
metadata, so a select_multiple's 0/1 columns and a specify-other question can share a
stem without confusion), the study key of every row (``hh_id``; repeat rows carry their
main record's key), the reader key ``_key``, the source row, the enumerator and the day
of the interview. Checks ask it for typed values (:meth:`RecordTable.numbers`) instead
of converting columns themselves, so each column is converted once.

Examples
--------
>>> from analysis.readers import RawData, RawMetadata
>>> from analysis.instrument.model import Instrument, Question
>>> form = Instrument(None, "hh", "HH", None, None, ("default",), (
...     Question("hh_id", "text", role="id"), Question("age", "integer"),
...     Question("enumerator", "integer", role="enumerator")), (), {})
>>> frame = pd.DataFrame({"_key": ["u1", "u2"], "_source_row": [2, 3], "hh_id": ["A", "B"],
...                       "age": ["31", "x"], "enumerator": [101, 102]})
>>> recs = Records(RawData(frame, {}, RawMetadata(format="csv")), form, "household")
>>> main = recs.main
>>> main.key.tolist(), main.enumerator.tolist(), main.numbers("age").tolist()
(['A', 'B'], ['101', '102'], [31.0, nan])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..instrument.model import ChoiceList, Instrument, Question
from .rawdata import KEY, MAIN, PARENT_KEY, ROW, RawData, RawMetadata
from .values import to_decimal

__all__ = [
    "DATE_TYPES",
    "NUMERIC_TYPES",
    "TEXT_TYPES",
    "RecordTable",
    "Records",
    "as_text",
    "positions_in",
    "value_codes",
]

NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})
DATE_TYPES = frozenset({"date", "today"})
DATETIME_TYPES = frozenset({"datetime", "start", "end"})
#: Free-text question types (scanned for PII, compared for near duplicates).
TEXT_TYPES = frozenset({"text"})
_ALIASES = {"int": "integer", "gps": "geopoint", "dateTime": "datetime", "select1": "select_one"}


def question_type(q: Question) -> str:
    """The base type of a question (``int`` -> ``integer``, ...)."""
    return _ALIASES.get(q.type, q.type)


def as_text(values: pd.Series) -> pd.Series:
    """Values as display text: numbers without a trailing ``.0``, dates ISO, NA as ''.

    >>> as_text(pd.Series([1.0, 2.5, None])).tolist()
    ['1', '2.5', '']
    >>> as_text(pd.Series([3, None], dtype="Int64")).tolist()
    ['3', '']
    """
    if values.dtype == "str":
        return values.fillna("")
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "1", False: "0"}).astype("str").fillna("")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        text = values.dt.strftime("%Y-%m-%d %H:%M:%S")
        midnight = values.dt.normalize() == values
        text = text.where(~midnight.fillna(False), values.dt.strftime("%Y-%m-%d"))
        return text.astype("str").fillna("")
    if pd.api.types.is_numeric_dtype(values.dtype):
        num = values.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(num)
        whole = finite & (num == np.round(num)) & (np.abs(num) < 2**53)
        ints = pa.array(np.where(whole, num, 0).astype(np.int64)).cast(pa.large_string())
        floats = pa.array(num).cast(pa.large_string())  # shortest repr, as Python's repr
        text = pc.if_else(pa.array(whole), ints, pc.if_else(pa.array(finite), floats, ""))
        return pd.Series(pd.array(text, dtype="str"), index=values.index)
    return values.astype("str").fillna("")


def _arrow_text(values: pd.Series) -> pa.Array:
    arr = pa.array(values.astype("str").array if values.dtype != "str" else values.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def positions_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """For each value, the position of its first occurrence in ``keys`` (-1: absent).

    >>> positions_in(pd.Series(["b", "x", "a"]), pd.Series(["a", "b", "b"])).tolist()
    [1, -1, 0]
    """
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    if not len(keys):
        return np.full(len(values), -1, dtype=np.int64)
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(keys))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def value_codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a column's values (equal values, equal codes) and its empty mask.

    Numbers and dates are coded by their bits, text by a dictionary encoding (blank
    text counts as empty).

    >>> codes, empty = value_codes(pd.Series(["a", "", None, "a"], dtype="str"))
    >>> bool(codes[0] == codes[3]), empty.tolist()
    (True, [False, True, True, False])
    """
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        raw = col.to_numpy().astype("datetime64[us]")
        empty = np.isnat(raw)
        return np.where(empty, 0, raw.view(np.int64)), empty
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        num = col.to_numpy(dtype="float64", na_value=np.nan)
        empty = np.isnan(num)
        return np.where(empty, 0, num.view(np.int64)), empty
    arr = pa.array(col.astype("str").array) if col.dtype != "str" else pa.array(col.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    encoded = pc.dictionary_encode(arr)
    idx = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    blank = np.flatnonzero(
        pc.equal(pc.utf8_trim_whitespace(encoded.dictionary), "").to_numpy(zero_copy_only=False)
    )
    empty = idx < 0
    if len(blank):
        empty |= np.isin(idx, blank)
    return np.where(empty, -1, idx) + 1, empty


class RecordTable:
    """One table (main or a repeat) of a RawData, seen through the instrument."""

    def __init__(
        self,
        records: Records,
        name: str,
        frame: pd.DataFrame,
        columns: Mapping[str, str],
        choice_columns: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.records = records
        self.name = name
        self.frame = frame
        #: question name -> column of its answers
        self.columns = dict(columns)
        #: select_multiple question -> {choice code: 0/1 column}
        self.choice_columns = {q: dict(c) for q, c in choice_columns.items()}
        self._numbers: dict[str, np.ndarray] = {}
        self._texts: dict[str, pd.Series] = {}
        self._answered: dict[tuple[str, ...], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.frame)

    # ------------------------------------------------------------------ questions
    @property
    def instrument(self) -> Instrument:
        return self.records.instrument

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """Data questions of this table, in form order."""
        scope = None if self.name == MAIN else self.name
        return tuple(q for q in self.instrument.questions if q.is_data and q.repeat == scope)

    def column(self, question: str) -> pd.Series | None:
        """The answers to ``question`` (``None`` when the data has no column for it)."""
        name = self.columns.get(question)
        return None if name is None else self.frame[name]

    def numbers(self, question: str) -> np.ndarray:
        """Answers as float64 (NaN where empty or not a number)."""
        if question not in self._numbers:
            col = self.column(question)
            if col is None:
                out = np.full(len(self), np.nan)
            elif pd.api.types.is_bool_dtype(col.dtype):
                out = col.astype("float64").to_numpy(na_value=np.nan)
            elif pd.api.types.is_numeric_dtype(col.dtype):
                out = col.to_numpy(dtype="float64", na_value=np.nan)
            else:
                # the readers' grammar: full-width digits, 1,234 and 1.0E7 are numbers
                out = to_decimal(col.astype("str")).values.to_numpy(
                    dtype="float64", na_value=np.nan
                )
            self._numbers[question] = out
        return self._numbers[question]

    def texts(self, question: str) -> pd.Series:
        """Answers as display text ('' when empty), see :func:`as_text`."""
        if question not in self._texts:
            col = self.column(question)
            if col is None:
                self._texts[question] = pd.Series([""] * len(self), dtype="str")
            else:
                self._texts[question] = as_text(col).reset_index(drop=True)
        return self._texts[question]

    def texts_at(self, question: str, positions: np.ndarray) -> pd.Series:
        """Answers at ``positions`` as display text (only those rows are converted)."""
        if question in self._texts:
            return self._texts[question].iloc[positions].reset_index(drop=True)
        col = self.column(question)
        if col is None:
            return pd.Series([""] * len(positions), dtype="str")
        return as_text(col.iloc[positions]).reset_index(drop=True)

    def empty(self, question: str) -> np.ndarray:
        """True where the question has no answer (NA or blank text)."""
        col = self.column(question)
        if col is None:
            return np.ones(len(self), dtype=bool)
        if col.dtype == "str":
            return (col.isna() | (col.str.strip() == "")).to_numpy(dtype=bool)
        if col.dtype == object:
            return col.map(
                lambda v: (
                    v is None
                    or v is pd.NA
                    or (isinstance(v, float) and np.isnan(v))
                    or (isinstance(v, str) and not v.strip())
                )
            ).to_numpy(dtype=bool)
        return col.isna().to_numpy(dtype=bool)

    def answered(self, names: list[str] | tuple[str, ...]) -> np.ndarray:
        """How many of the questions ``names`` each row answers."""
        key = tuple(names)
        if key not in self._answered:
            count = np.zeros(len(self), dtype=np.int32)
            for q in names:
                if q in self.columns:
                    count += ~value_codes(self.column(q))[1]
            self._answered[key] = count
        return self._answered[key]

    def forget_answers(self) -> None:
        """Drop the answers converted so far (numbers, texts, counts): memory back."""
        self._numbers.clear()
        self._texts.clear()
        self._answered.clear()

    def remember_answered(self, names: list[str] | tuple[str, ...], counts: np.ndarray) -> None:
        """Keep answered counts computed elsewhere (e.g. while fingerprinting records)."""
        self._answered[tuple(names)] = counts

    # ------------------------------------------------------------------ identity
    @cached_property
    def record(self) -> pd.Series:
        """The reader key ``_key`` of every row (text)."""
        if KEY in self.frame.columns:
            return as_text(self.frame[KEY]).reset_index(drop=True)
        return pd.Series([f"{self.name}#row{i + 2}" for i in range(len(self))], dtype="str")

    @cached_property
    def source_row(self) -> np.ndarray:
        """The source row of every row (int64; header = row 1)."""
        if ROW in self.frame.columns:
            rows = pd.to_numeric(self.frame[ROW], errors="coerce")
            return rows.fillna(-1).to_numpy(dtype=np.int64)
        return np.arange(2, len(self) + 2, dtype=np.int64)

    @cached_property
    def parent_position(self) -> np.ndarray:
        """Repeat rows: the position of the parent row in the parent table (-1: orphan)."""
        if self.name == MAIN:
            return np.full(len(self), -1, dtype=np.int64)
        parent = self.records.table(self.records.parent_table(self.name))
        if PARENT_KEY not in self.frame.columns:
            return np.full(len(self), -1, dtype=np.int64)
        # the first of duplicated keys takes the children
        return positions_in(as_text(self.frame[PARENT_KEY]), parent.record)

    @cached_property
    def main_position(self) -> np.ndarray:
        """The position of each row's main record (itself for the main table; -1: orphan)."""
        if self.name == MAIN:
            return np.arange(len(self), dtype=np.int64)
        parent_name = self.records.parent_table(self.name)
        pos = self.parent_position
        if parent_name == MAIN:
            return pos
        up = self.records.table(parent_name).main_position
        return np.where(pos >= 0, up[np.maximum(pos, 0)] if len(up) else -1, -1)

    def _from_main(self, values: pd.Series, rows: np.ndarray | None = None) -> pd.Series:
        """A main-table column on this table's rows (``rows`` of them; default all)."""
        if self.name == MAIN:
            return values if rows is None else values.take(rows).reset_index(drop=True)
        pos = self.main_position if rows is None else self.main_position[rows]
        if not len(values):
            return pd.Series([""] * len(pos), dtype="str")
        out = values.take(np.maximum(pos, 0)).reset_index(drop=True)
        return out.where(pos >= 0, "")

    def key_at(self, positions: np.ndarray) -> pd.Series:
        """The study key of the rows at ``positions`` (without building the whole column)."""
        if "key" in self.__dict__:
            return self.key.take(positions).reset_index(drop=True)
        return self._from_main(self.records.main.key, positions)

    @cached_property
    def key(self) -> pd.Series:
        """The study key of every row as text (repeat rows: their main record's)."""
        if self.name != MAIN:
            return self._from_main(self.records.main.key)
        column = self.records.key_column
        if column is None:
            return self.record
        return as_text(self.frame[column]).str.strip().reset_index(drop=True)

    @cached_property
    def enumerator(self) -> pd.Series:
        """The enumerator of every row as text ('' when unknown), a category."""
        if self.name != MAIN:
            main = self.records.main.enumerator
            pos = self.main_position
            codes = np.where(
                pos >= 0, main.cat.codes.to_numpy()[np.maximum(pos, 0)] if len(main) else -1, -1
            )
            return pd.Series(pd.Categorical.from_codes(codes, categories=main.cat.categories))
        column = self.records.enumerator_column
        if column is None:
            text = pd.Series([""] * len(self), dtype="str")
        else:
            text = as_text(self.frame[column]).str.strip().reset_index(drop=True)
        return text.astype("category")


class Records:
    """Every table of one instrument's RawData, seen through the instrument (module doc)."""

    def __init__(
        self,
        data: RawData,
        instrument: Instrument,
        name: str,
        *,
        key: str | None = None,
        enumerator: str | None = None,
        day: str | None = None,
    ) -> None:
        self.data = data
        self.instrument = instrument
        self.name = name
        self._key_setting = key
        self._enumerator_setting = enumerator
        self._day_setting = day
        self._tables: dict[str, RecordTable] = {}
        meta = data.metadata
        for table, frame in data.tables.items():
            columns, choices = self._map_columns(table, frame, meta.column_info(table))
            self._tables[table] = RecordTable(self, table, frame, columns, choices)
        for g in instrument.repeats:  # a repeat the data does not hold: an empty table
            if g.name not in self._tables:
                frame = pd.DataFrame(
                    {KEY: pd.Series(dtype="str"), PARENT_KEY: pd.Series(dtype="str")}
                )
                self._tables[g.name] = RecordTable(self, g.name, frame, {}, {})

    @classmethod
    def of_frame(
        cls,
        frame: pd.DataFrame,
        questions: Sequence[Question],
        choice_lists: Mapping[str, ChoiceList] | None = None,
        *,
        name: str = "f",
    ) -> Records:
        """The records of one data frame, as a CSV reader gives it, for a form of ``questions``.

        A shortcut for examples and tests: the form ``name`` has one language, no
        groups, and the ``choice_lists`` given.

        >>> recs = Records.of_frame(pd.DataFrame({"_key": ["a"], "n": ["3"]}), [Question("n", "integer")])
        >>> recs.name, recs.main.numbers("n").tolist()
        ('f', [3.0])
        """
        form = Instrument(
            None,
            name,
            name.upper(),
            None,
            None,
            ("default",),
            tuple(questions),
            (),
            dict(choice_lists or {}),
        )
        return cls(RawData(frame, {}, RawMetadata(format="csv")), form, name)

    # ------------------------------------------------------------------ columns
    def _map_columns(
        self, table: str, frame: pd.DataFrame, info: Mapping[str, Any]
    ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        scope = None if table == MAIN else table
        wanted = {q.name for q in self.instrument.questions if q.is_data and q.repeat == scope}
        columns: dict[str, str] = {}
        choices: dict[str, dict[str, str]] = {}
        claimed: set[str] = set()
        for col, ci in info.items():
            if col not in frame.columns:
                continue
            if ci.kind == "question" and ci.question in wanted and ci.question not in columns:
                columns[ci.question] = col
                claimed.add(col)
            elif ci.kind == "choice" and ci.question:
                choices.setdefault(ci.question, {})[str(ci.choice)] = col
                claimed.add(col)
            elif ci.kind in ("geopoint_part", "platform", "unknown", "extra"):
                claimed.add(col)
        for q in wanted - set(columns):
            if q in frame.columns and q not in claimed:
                columns[q] = q
        return columns, choices

    # ------------------------------------------------------------------ tables
    @property
    def main(self) -> RecordTable:
        """The main table."""
        return self._tables[MAIN]

    @property
    def tables(self) -> dict[str, RecordTable]:
        """``{table name: RecordTable}``, main first."""
        return self._tables

    def table(self, name: str) -> RecordTable:
        """One table."""
        return self._tables[name]

    def parent_table(self, repeat: str) -> str:
        """The table a repeat's rows belong to (``main`` or the enclosing repeat)."""
        parent = self.data.metadata.repeat_parents.get(repeat)
        if parent:
            return parent
        try:
            group = self.instrument.group(repeat)
        except KeyError:
            return MAIN
        return group.repeat or MAIN

    def table_of(self, question: str) -> RecordTable | None:
        """The table holding a question's answers."""
        if question not in self.instrument:
            return None
        q = self.instrument[question]
        return self._tables.get(q.repeat or MAIN)

    # ------------------------------------------------------------------ roles
    def _resolve(self, setting: str | None, candidates: list[str]) -> str | None:
        main = self.main
        names = [setting] if setting else candidates
        for name in names:
            if not name:
                continue
            if name in main.columns:
                return main.columns[name]
            if name in main.frame.columns:
                return name
        return None

    @cached_property
    def key_column(self) -> str | None:
        """The column of the study key (study.toml ``key``, else the question with role id)."""
        ids = [q.name for q in self.instrument.with_role("id") if q.repeat is None]
        return self._resolve(self._key_setting, ids)

    @cached_property
    def key_question(self) -> str:
        """The name the study key goes by (``_key`` when there is no study key column)."""
        column = self.key_column
        if column is None:
            return KEY
        for q, c in self.main.columns.items():
            if c == column:
                return q
        return column

    @cached_property
    def enumerator_column(self) -> str | None:
        """The column naming the enumerator."""
        by_role = [q.name for q in self.instrument.with_role("enumerator") if q.repeat is None]
        typed = [
            q.name for q in self.instrument.questions if q.type == "username" and q.repeat is None
        ]
        return self._resolve(
            self._enumerator_setting, [*by_role, "enumerator", *typed, "_submitted_by", "deviceid"]
        )

    @cached_property
    def day(self) -> pd.Series:
        """The day of each interview (datetime64 at midnight; NaT when unknown)."""
        candidates = [
            q.name for q in self.instrument.questions if q.type == "start" and q.repeat is None
        ]
        candidates += [
            q.name for q in self.instrument.questions if q.type == "today" and q.repeat is None
        ]
        column = self._resolve(self._day_setting, [*candidates, "_submission_time"])
        if column is None:
            return pd.Series(pd.NaT, index=range(len(self.main)), dtype="datetime64[us]")
        values = self.main.frame[column]
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            values = pd.to_datetime(values.astype("str"), errors="coerce", format="mixed")
        if getattr(values.dtype, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        return values.dt.normalize().reset_index(drop=True)

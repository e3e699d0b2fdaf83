"""Applying a cleaning log to one instrument's RawData, in file order, never in place.

* ``replace`` sets a value (a select_multiple's 0/1 columns follow its answer, a
  geopoint's parts follow the point); a 0/1 column that was empty and is filled from
  the answer gets a log row of its own (action ``fill``);
* ``drop`` moves a record, with its repeat rows, to the quarantine;
* ``confirm`` changes nothing but vouches for the value (validation then shows its
  issues as confirmed, severity info).

The ``key`` of a row is the record's study key (``hh_id``; study.toml ``key``), or its
reader key ``_key`` (``uuid:...``). Repeat rows are named by their ``_key``, or by
``<main key>/<repeat>[i]`` (``22020811/members[1]``). When a key names several records
(a duplicate submission), the old value of the variable picks the one meant (ODK's
``instanceID`` tells two submissions apart).

A correction whose old value is no longer what the data holds fails with ``COR020``
(file row, key, variable, expected and found value): a re-export cannot skip it
silently. Every applied row goes to the log; every raw record ends up either in the
cleaned data or in the quarantine (:meth:`CorrectionResult.counts`).

Examples
--------
>>> from analysis.readers import RawData, RawMetadata
>>> from analysis.instrument.model import Instrument, Question
>>> form = Instrument(None, "hh", "HH", None, None, ("default",), (
...     Question("hh_id", "text", role="id"), Question("age", "integer")), (), {})
>>> raw = RawData(pd.DataFrame({"_key": ["u1", "u2"], "_source_row": [2, 3], "hh_id": ["A", "B"],
...               "age": pd.array([156, 40], dtype="Int64")}), {}, RawMetadata(format="csv"))
>>> log = pd.DataFrame([
...     {"csv_row": 2, "instrument": "hh", "key": "A", "variable": "age", "old_value": "156",
...      "new_value": "56", "action": "replace", "reason": "typo", "who": "王敏", "date": "2024-09-03"},
...     {"csv_row": 3, "instrument": "hh", "key": "B", "variable": "", "old_value": "",
...      "new_value": "", "action": "drop", "reason": "refused", "who": "王敏", "date": "2024-09-03"}])
>>> result = apply_corrections(raw, log, instrument=form, name="hh")
>>> result.data.data["age"].tolist(), raw.data["age"].tolist()
([56], [156, 40])
>>> result.counts()[["table", "raw", "cleaned", "quarantined", "balanced"]].values.tolist()
[['main', 2, 1, 1, True]]
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CorrectionError
from ..instrument.model import Instrument
from ..readers.rawdata import MAIN, RESERVED_COLUMNS, RawData
from ..readers.records import Records, question_type
from ..study import instrument_name
from .cleaning_log import CORRECTIONS_COLUMNS, CleaningLog
from .values import BadValue, display, same_value, typed_value

__all__ = [
    "CONFIRMATION_COLUMNS",
    "LOG_COLUMNS",
    "QUARANTINE_COLUMNS",
    "CorrectionResult",
    "apply_corrections",
]

LOG_COLUMNS = (
    "csv_row",
    "instrument",
    "table",
    "key",
    "record",
    "source_row",
    "variable",
    "action",
    "old_value",
    "new_value",
    "affected",
    "reason",
    "who",
    "date",
)
#: Columns added to quarantined records.
QUARANTINE_COLUMNS = ("_quarantine_reason", "_correction_row", "_who", "_date")
CONFIRMATION_COLUMNS = (
    "instrument",
    "table",
    "key",
    "record",
    "variable",
    "value",
    "reason",
    "who",
    "date",
    "csv_row",
)
_RECORD = ("", "_record")
#: Variables validation derives per record; a confirm row may vouch for them.
_DERIVED = ("duration",)
_REPEAT_KEY = re.compile(
    r"^(?P<parent>.+?)(?:/[^\[\]]*)?(?:/(?P<repeat>[^/\[\]]+))?\[(?P<i>\d+)\]$"
)


@dataclass(frozen=True)
class CorrectionResult:
    """What :func:`apply_corrections` made.

    Attributes
    ----------
    data : RawData
        The cleaned data (a new object; the input is untouched).
    log : DataFrame
        One row per applied correction (:data:`LOG_COLUMNS`); ``affected`` counts the
        rows it touched (a drop counts the record and its repeat rows).
    quarantine : Mapping[str, DataFrame]
        Per table, the dropped rows as they were when dropped, plus
        :data:`QUARANTINE_COLUMNS` (reason, csv row, who, date).
    confirmed : DataFrame
        The ``confirm`` rows (:data:`CONFIRMATION_COLUMNS`), for :func:`analysis.validate.validate`.
    raw_counts : Mapping[str, int]
        Records per table before the corrections.
    """

    data: RawData
    log: pd.DataFrame
    quarantine: Mapping[str, pd.DataFrame]
    confirmed: pd.DataFrame
    raw_counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quarantine", MappingProxyType(dict(self.quarantine)))
        object.__setattr__(self, "raw_counts", MappingProxyType(dict(self.raw_counts)))

    def counts(self) -> pd.DataFrame:
        """Per table: raw, cleaned and quarantined records, and whether they add up."""
        cleaned = self.data.counts()
        rows = []
        for table, raw in self.raw_counts.items():
            q = len(self.quarantine.get(table, ()))
            c = cleaned.get(table, 0)
            rows.append(
                {
                    "table": table,
                    "raw": raw,
                    "cleaned": c,
                    "quarantined": q,
                    "balanced": raw == c + q,
                }
            )
        return pd.DataFrame(rows, columns=["table", "raw", "cleaned", "quarantined", "balanced"])

    @property
    def balanced(self) -> bool:
        """True when raw = cleaned + quarantined in every table."""
        return bool(self.counts()["balanced"].all())


@dataclass
class _Target:
    table: str
    column: str | None
    question: Any
    qtype: str | None


class _Work:
    """The corrections applied so far: changed columns, dropped rows, log, confirmations."""

    def __init__(
        self, data: RawData, instrument: Instrument, name: str, key: str | None, path: str | None
    ) -> None:
        self.data = data
        self.instrument = instrument
        self.name = name
        self.path = path
        self.records = Records(data, instrument, name, key=key)
        self.changed: dict[tuple[str, str], pd.Series] = {}
        self.dropped = {t: np.zeros(len(f), dtype=bool) for t, f in data.tables.items()}
        self.dropped_by: dict[tuple[str, int], int] = {}
        self.quarantine: dict[str, list[tuple[int, str, int, str, str]]] = {
            t: [] for t in data.tables
        }
        self.log: list[dict[str, Any]] = []
        self.confirmed: list[dict[str, Any]] = []
        self._index: dict[tuple[str, str], pd.Index] = {}
        self._near: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------------ errors
    def error(self, code: str, message: str, row: Any, **kw: Any) -> CorrectionError:
        return CorrectionError(
            code,
            message,
            file=self.path,
            row=int(row.csv_row),
            record=row.key or None,
            column=row.variable or None,
            **kw,
        )

    # ------------------------------------------------------------------ values
    def series(self, table: str, column: str) -> pd.Series:
        return self.changed.get((table, column), self.data.table(table)[column])

    def current(self, table: str, column: str, pos: int) -> Any:
        return self.series(table, column).iloc[pos]

    def set(self, table: str, column: str, pos: int, value: Any) -> None:
        if (table, column) not in self.changed:
            self.changed[(table, column)] = self.data.table(table)[column].copy()
        col = self.changed[(table, column)]
        if value is None:
            col.iloc[pos] = pd.NA if col.dtype != "float64" else np.nan
        else:
            if pd.api.types.is_datetime64_any_dtype(col.dtype) and isinstance(value, pd.Timestamp):
                value = value.as_unit("us") if hasattr(value, "as_unit") else value
            col.iloc[pos] = value

    # ------------------------------------------------------------------ targets
    def target(self, row: Any) -> _Target:
        variable = row.variable
        if variable in _RECORD:
            return _Target(MAIN, None, None, None)
        if variable in _DERIVED:
            if row.action != "confirm":
                raise self.error(
                    "COR041",
                    f"'{variable}' is computed by validation; it can only be confirmed",
                    row,
                    hint="Use action confirm (with old_value empty) or correct start/end themselves.",
                )
            return _Target(MAIN, None, None, None)
        repeat = None
        if "/" in variable:
            repeat, variable = variable.rsplit("/", 1)
            repeat = repeat.split("/")[-1]
        if variable in RESERVED_COLUMNS:
            raise self.error(
                "COR041",
                f"'{variable}' is made by the reader and cannot be corrected",
                row,
                hint="Correct a question of the form; to remove a record use action drop.",
            )
        if variable in self.instrument:
            q = self.instrument[variable]
            table_name = q.repeat or MAIN
            if repeat is not None and repeat != table_name:
                raise self.error(
                    "COR012",
                    f"question '{variable}' is not in repeat '{repeat}'",
                    row,
                    expected=f"{table_name}/{variable}" if table_name != MAIN else variable,
                    found=row.variable,
                    hint="Write the variable as <repeat>/<question> or just <question>.",
                )
            table = self.records.table(table_name)
            column = table.columns.get(variable)
            if column is None:
                raise self.error(
                    "COR012",
                    f"question '{variable}' has no column in the data",
                    row,
                    hint="Check that the export includes this question.",
                )
            return _Target(table_name, column, q, question_type(q))
        info = self.data.metadata.column_info(MAIN).get(variable)
        if info is not None and info.kind in ("choice", "geopoint_part"):
            raise self.error(
                "COR041",
                f"'{variable}' is derived from question '{info.question}'",
                row,
                hint=f"Correct '{info.question}' itself; its derived columns follow.",
            )
        if variable in self.data.data.columns:
            return _Target(MAIN, variable, None, None)
        known = [
            *self.instrument.names,
            *[c for c in self.data.data.columns if not c.startswith("_")],
        ]
        close = difflib.get_close_matches(variable, known, n=1)
        raise self.error(
            "COR012",
            f"unknown variable '{variable}' for instrument {self.name}",
            row,
            found=variable,
            hint=f"Did you mean '{close[0]}'?" if close else "Use a question name of the form.",
        )

    def _lookup(self, table: str, values: np.ndarray, name: str, key: str) -> np.ndarray:
        if (table, name) not in self._index:
            self._index[(table, name)] = pd.Index(values)
        index = self._index[(table, name)]
        if key not in index:
            return np.zeros(0, dtype=np.int64)
        loc = index.get_loc(key)
        if isinstance(loc, slice):
            return np.arange(len(index))[loc]
        if isinstance(loc, np.ndarray):
            return np.flatnonzero(loc)
        return np.array([loc], dtype=np.int64)

    def positions(self, table: str, key: str) -> np.ndarray:
        """Rows of ``table`` the key names (dropped rows included)."""
        t = self.records.table(table)
        if table == MAIN:
            found = self._lookup(MAIN, t.key, "key", key)
            if not len(found):
                found = self._lookup(MAIN, t.record, "record", key)
            return found
        found = self._lookup(table, t.record, "record", key)
        if len(found):
            return found
        m = _REPEAT_KEY.match(key)
        if m and (m["repeat"] in (None, table)):
            parents = self.positions(MAIN, m["parent"])
            i = int(m["i"])
            out = []
            for p in parents:
                children = np.flatnonzero(t.main_position == p)
                children = children[np.argsort(t.source_row[children], kind="stable")]
                if 1 <= i <= len(children):
                    out.append(children[i - 1])
            return np.asarray(out, dtype=np.int64)
        parents = self.positions(MAIN, key)
        return (
            np.flatnonzero(np.isin(t.main_position, parents))
            if len(parents)
            else np.zeros(0, dtype=np.int64)
        )

    def near_key(self, table: str, key: str) -> str | None:
        """The first key of ``table`` equal to ``key`` but for leading zeros (``None``: none).

        The keys without their leading zeros are listed once per table: a block of a wave
        processed in blocks looks up every row of the log that is about another block.
        """
        if table not in self._near:
            t = self.records.table(table)
            keys = t.key if table == MAIN else t.record
            stripped: dict[str, str] = {}
            for k in pd.unique(keys[:2_000_000]):
                if isinstance(k, str):
                    stripped.setdefault(k.lstrip("0"), k)
            self._near[table] = stripped
        return self._near[table].get(key.lstrip("0"))

    def unknown_key(self, row: Any, table: str) -> CorrectionError:
        found = self.near_key(table, row.key)
        near = [] if found is None else [found]
        if near:
            hint = (
                f"The data has key '{near[0]}': Excel dropped the leading zero. Format the key column "
                "as text in Excel and type the key again."
            )
        else:
            hint = "Check the key against the data (study key such as hh_id, or the record's _key)."
        if row.action == "drop":
            return self.error(
                "COR014",
                f"drop of a record that is not in the data: key '{row.key}'",
                row,
                found=row.key,
                hint=hint,
            )
        return self.error(
            "COR013", f"no {self.name} record has key '{row.key}'", row, found=row.key, hint=hint
        )

    def pick(self, row: Any, target: _Target) -> tuple[str, int]:
        """The one row a correction is about (checks the old value)."""
        table = target.table
        found = self.positions(table, row.key)
        if not len(found) and target.column is None:
            for repeat in self.data.repeats:
                found = self.positions(repeat, row.key)
                if len(found):
                    table = repeat
                    break
        if not len(found):
            raise self.unknown_key(row, table)
        alive = found[~self.dropped[table][found]]
        if not len(alive):
            by = self.dropped_by.get((table, int(found[0])))
            raise self.error(
                "COR014",
                f"the record with key '{row.key}' was already dropped by row {by}",
                row,
                hint="Delete this row, or move it before the drop.",
            )
        if target.column is None:
            if len(alive) > 1:
                raise self.error(
                    "COR015",
                    f"key '{row.key}' names {len(alive)} records",
                    row,
                    found=", ".join(
                        f"row {r}" for r in self.records.table(table).source_row[alive][:5]
                    ),
                    hint="Name a variable and its old value that tell them apart (e.g. instanceID), "
                    "or use the record's _key.",
                )
            if row.old_value:
                raise self.error(
                    "COR016",
                    "a record-level correction has an old value but no variable",
                    row,
                    hint="Name the variable the old value belongs to, or leave old_value empty.",
                )
            return table, int(alive[0])
        matching = [int(p) for p in alive if self.holds(table, target, int(p), row.old_value)]
        if len(matching) == 1:
            return table, matching[0]
        if not matching:
            found_values = sorted(
                {display(self.current(table, target.column, int(p))) for p in alive}
            )
            shown = " | ".join(f"'{v}'" for v in found_values[:5])
            raise self.error(
                "COR020",
                f"the old value no longer matches the data: {target.column} of '{row.key}' is {shown}, "
                f"not '{row.old_value}'",
                row,
                expected=row.old_value or "(empty)",
                found=shown,
                hint="The export changed since this correction was written: check the record, then update "
                "old_value (or delete the row if the problem is gone).",
            )
        raise self.error(
            "COR015",
            f"key '{row.key}' names {len(matching)} records with {target.column} = "
            f"'{row.old_value}'",
            row,
            hint="Drop the duplicate first (an earlier row), or use the record's _key.",
        )

    def holds(self, table: str, target: _Target, pos: int, old: str) -> bool:
        """True when the row's value of the target is ``old`` (see :func:`same_value`).

        The submission id (``instanceID``) also matches the record's ``_key`` or ``_uuid``,
        with or without its ``uuid:`` prefix: KoboToolbox exports it as ``_uuid``.
        """
        current = self.current(table, target.column, pos)
        if same_value(current, old, target.qtype):
            return True
        if target.column == "instanceID" and old:
            want = old.removeprefix("uuid:")
            frame = self.data.table(table)
            ids = [self.records.table(table).record.iloc[pos]]
            if "_uuid" in frame.columns:
                ids.append(frame["_uuid"].iloc[pos])
            return any(isinstance(i, str) and i.removeprefix("uuid:") == want for i in ids)
        return False

    # ------------------------------------------------------------------ actions
    def replace(self, row: Any) -> None:
        target = self.target(row)
        if target.column is None:
            raise self.error(
                "COR016", "a replace row needs a variable", row, hint="Name the question to change."
            )
        table, pos = self.pick(row, target)
        q = target.question
        codes = None
        if q is not None and q.is_select and self.instrument.choices(q) is not None:
            codes = tuple(self.instrument.choices(q).codes)
            if q.or_other and "other" not in codes:
                codes = (*codes, "other")
        try:
            value = typed_value(row.new_value, target.qtype, codes)
        except BadValue as bad:
            raise self.error(
                "COR021",
                f"new value '{row.new_value}' does not fit {target.column}",
                row,
                expected=bad.expected,
                found=row.new_value,
                hint="Write the new value as the question stores it (the choice code, not its label).",
            ) from None
        old = display(self.current(table, target.column, pos))
        self.set(table, target.column, pos, value)
        if q is not None:
            self._derived(table, q, pos, value, row)
        self._log(row, table, pos, target.column, old, display(value), 1)

    def _derived(self, table: str, q: Any, pos: int, value: Any, row: Any = None) -> None:
        t = self.records.table(table)
        for code, column in t.choice_columns.get(q.name, {}).items():
            before = display(self.current(table, column, pos))
            new = None if value is None else int(code in str(value).split())
            self.set(table, column, pos, new)
            if row is not None and before == "" and new is not None:
                # an empty 0/1 column filled from the answer: logged, not silent
                self._log(row, table, pos, column, "", str(new), 1, action="fill")
        parts = {
            info.choice: name
            for name, info in self.data.metadata.column_info(table).items()
            if info.kind == "geopoint_part" and info.question == q.name
        }
        if parts:
            pieces = [] if value is None else str(value).split()
            for i, part in enumerate(("latitude", "longitude", "altitude", "accuracy")):
                if part in parts:
                    number = (
                        pd.to_numeric(pieces[i], errors="coerce") if i < len(pieces) else np.nan
                    )
                    self.set(table, parts[part], pos, None if pd.isna(number) else float(number))

    def drop(self, row: Any) -> None:
        target = self.target(row)
        table, pos = self.pick(row, target)
        rows = self._with_descendants(table, pos)
        affected = 0
        for t, positions in rows.items():
            for p in positions:
                if self.dropped[t][p]:
                    continue
                self.dropped[t][p] = True
                self.dropped_by[(t, int(p))] = int(row.csv_row)
                reason = (
                    row.reason
                    if (t, p) == (table, pos)
                    else f"上级记录被删除 parent record dropped: {row.reason}"
                )
                self.quarantine[t].append((int(p), reason, int(row.csv_row), row.who, row.date))
                affected += 1
        old = display(self.current(table, target.column, pos)) if target.column else ""
        self._log(row, table, pos, target.column or "", old, "", affected)

    def _with_descendants(self, table: str, pos: int) -> dict[str, np.ndarray]:
        out = {table: np.array([pos], dtype=np.int64)}
        frontier = [(table, np.array([pos], dtype=np.int64))]
        while frontier:
            parent, positions = frontier.pop()
            for repeat in self.data.repeats:
                if self.records.parent_table(repeat) != parent:
                    continue
                children = np.flatnonzero(
                    np.isin(self.records.table(repeat).parent_position, positions)
                )
                if len(children):
                    out[repeat] = np.concatenate([out.get(repeat, np.zeros(0, np.int64)), children])
                    frontier.append((repeat, children))
        return out

    def confirm(self, row: Any) -> None:
        target = self.target(row)
        table, pos = self.pick(row, target)
        value = display(self.current(table, target.column, pos)) if target.column else ""
        t = self.records.table(table)
        self.confirmed.append(
            {
                "instrument": self.name,
                "table": table,
                "key": str(t.key.iloc[pos]),
                "record": str(t.record.iloc[pos]),
                "variable": row.variable.rsplit("/", 1)[-1] if row.variable else "_record",
                "value": value,
                "reason": row.reason,
                "who": row.who,
                "date": row.date,
                "csv_row": int(row.csv_row),
            }
        )
        self._log(row, table, pos, target.column or "", value, value, 1)

    def _log(
        self,
        row: Any,
        table: str,
        pos: int,
        column: str,
        old: str,
        new: str,
        affected: int,
        action: str | None = None,
    ) -> None:
        t = self.records.table(table)
        self.log.append(
            {
                "csv_row": int(row.csv_row),
                "instrument": self.name,
                "table": table,
                "key": str(t.key.iloc[pos]),
                "record": str(t.record.iloc[pos]),
                "source_row": int(t.source_row[pos]),
                "variable": column,
                "action": action or row.action,
                "old_value": old,
                "new_value": new,
                "affected": affected,
                "reason": row.reason,
                "who": row.who,
                "date": row.date,
            }
        )

    # ------------------------------------------------------------------ result
    def result(self) -> CorrectionResult:
        frames: dict[str, pd.DataFrame] = {}
        quarantine: dict[str, pd.DataFrame] = {}
        for table, frame in self.data.tables.items():
            replaced = {c: s for (t, c), s in self.changed.items() if t == table}
            new = frame.assign(**replaced) if replaced else frame.copy(deep=False)
            keep = ~self.dropped[table]
            frames[table] = new.iloc[np.flatnonzero(keep)].reset_index(drop=True)
            entries = sorted(self.quarantine[table])
            if entries:
                pos = np.array([e[0] for e in entries], dtype=np.int64)
                q = new.iloc[pos].reset_index(drop=True)
                q["_quarantine_reason"] = pd.array([e[1] for e in entries], dtype="str")
                q["_correction_row"] = np.array([e[2] for e in entries], dtype=np.int64)
                q["_who"] = pd.array([e[3] for e in entries], dtype="str")
                q["_date"] = pd.array([e[4] for e in entries], dtype="str")
                quarantine[table] = q
        data = RawData(
            frames[MAIN], {t: f for t, f in frames.items() if t != MAIN}, self.data.metadata
        )
        log = pd.DataFrame(self.log, columns=list(LOG_COLUMNS))
        confirmed = pd.DataFrame(self.confirmed, columns=list(CONFIRMATION_COLUMNS))
        return CorrectionResult(data, log, quarantine, confirmed, self.data.counts())


def _log_rows(log: CleaningLog | pd.DataFrame) -> pd.DataFrame:
    if isinstance(log, CleaningLog):
        return log.rows
    if not isinstance(log, pd.DataFrame):
        raise CorrectionError(
            "COR040",
            "the cleaning log must be read_corrections(...)'s result or a DataFrame",
            found=type(log).__name__,
            hint="Read corrections.csv with analysis.corrections.read_corrections(path).",
        )
    missing = [c for c in CORRECTIONS_COLUMNS if c not in log.columns]
    if missing:
        raise CorrectionError(
            "COR003",
            f"the cleaning log lacks column(s) {', '.join(missing)}",
            expected=",".join(CORRECTIONS_COLUMNS),
            found=",".join(map(str, log.columns)),
            hint="Give every column of corrections.csv.",
        )
    rows = log.copy()
    if "csv_row" not in rows.columns:
        rows.insert(0, "csv_row", np.arange(2, len(rows) + 2))
    return rows


def apply_corrections(
    data: RawData,
    log: CleaningLog | pd.DataFrame,
    *,
    instrument: Instrument,
    name: str | None = None,
    study: Any = None,
) -> CorrectionResult:
    """Apply the cleaning log's rows of one instrument to its data (module doc).

    Parameters
    ----------
    data : RawData
        The instrument's data as read (never modified).
    log : CleaningLog or DataFrame
        :func:`read_corrections`'s result (or a frame with ``csv_row`` and the
        corrections columns).
    instrument : Instrument
        The form (question types, choice lists, repeats).
    name : str, optional
        The instrument's study name (default: found from ``study`` or the form).
    study : Study, optional
        Gives the study key of the instrument (``key`` in study.toml).

    Raises
    ------
    CorrectionError
        ``COR012`` unknown variable, ``COR013`` unknown key, ``COR014`` drop of a record
        not in the data, ``COR015`` a key naming several records, ``COR016`` an
        incomplete row, ``COR020`` old value no longer matching, ``COR021`` a new value
        that does not fit the question, ``COR041`` a column that cannot be corrected;
        ``COR040`` when the arguments are not data and a log.
    """
    if not isinstance(data, RawData) or not isinstance(instrument, Instrument):
        raise CorrectionError(
            "COR040",
            "apply_corrections needs the RawData of one instrument, its Instrument and a cleaning log",
            found=f"{type(data).__name__}, {type(instrument).__name__}",
            hint="Pass read_raw(...)'s result, load_instrument(...)'s result and read_corrections(...)'s result.",
        )
    path = log.path if isinstance(log, CleaningLog) else None
    rows = _log_rows(log)
    name = instrument_name(instrument, study, name)
    key = (
        study.instrument(name).key if study is not None and name in study.instrument_names else None
    )
    work = _Work(data, instrument, name, key, path)
    mine = rows[rows["instrument"].astype(str) == name].astype({"csv_row": "int64"})
    mine = mine.astype({c: "str" for c in CORRECTIONS_COLUMNS}).fillna("")
    for row in mine.itertuples(index=False):
        action = str(row.action)
        if action == "replace":
            work.replace(row)
        elif action == "drop":
            work.drop(row)
        elif action == "confirm":
            work.confirm(row)
        else:
            raise work.error(
                "COR010",
                f"unknown action '{action}'",
                row,
                expected="replace, drop or confirm",
                found=action,
                hint="replace changes a value, drop removes a record, confirm vouches for it.",
            )
    return work.result()

"""Applying a cleaning log to an instrument read in blocks (:func:`analysis.readers.blocks.read_blocks`).

Each block holds complete records (a main record with its repeat rows), so a row of
the log is about records of one block: it is applied in the block where its key is
found (and, for a value, where the old value matches). What the whole data would
refuse is refused once every block has been seen, with the error
:func:`~analysis.corrections.apply_corrections` gives: a key found in no block
(``COR013``, ``COR014``), an old value found nowhere (``COR020``), a key naming
records of several blocks (``COR015``). The log, the quarantine and the
confirmations are those of the whole data (the log in the order of the file's rows).

Examples
--------
>>> from analysis.readers import RawData, RawMetadata
>>> from analysis.instrument.model import Instrument, Question
>>> form = Instrument(None, "hh", "HH", None, None, ("default",), (
...     Question("hh_id", "text", role="id"), Question("age", "integer")), (), {})
>>> def block(keys, ages):
...     frame = pd.DataFrame({"_key": keys, "_source_row": range(2, 2 + len(keys)),
...                           "hh_id": keys, "age": pd.array(ages, dtype="Int64")})
...     return RawData(frame, {}, RawMetadata(format="csv"))
>>> log = pd.DataFrame([
...     {"csv_row": 2, "instrument": "hh", "key": "B", "variable": "age", "old_value": "156",
...      "new_value": "56", "action": "replace", "reason": "typo", "who": "王敏", "date": "2024-09-03"}])
>>> cleaned = []
>>> done = correct_blocks([block(["A"], [40]), block(["B"], [156])], log, instrument=form,
...                       name="hh", keep=lambda i, data: cleaned.append(data))
>>> [d.data["age"].tolist() for d in cleaned], done.log["key"].tolist()
([[40], [56]], ['B'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import CorrectionError
from ..instrument.model import Instrument
from ..readers.rawdata import RawData
from ..study import instrument_name
from .apply import CONFIRMATION_COLUMNS, LOG_COLUMNS, _log_rows, _Work
from .cleaning_log import CORRECTIONS_COLUMNS, CleaningLog

__all__ = ["BlockCorrections", "correct_blocks"]

#: Errors a block gives for a row about records of another block.
_ELSEWHERE = ("COR013", "COR014", "COR020")


@dataclass(frozen=True)
class BlockCorrections:
    """What :func:`correct_blocks` made besides the cleaned blocks (the whole data's)."""

    log: pd.DataFrame
    quarantine: Mapping[str, pd.DataFrame]
    confirmed: pd.DataFrame
    raw_counts: Mapping[str, int] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)


def _elsewhere(err: CorrectionError) -> bool:
    """True when the error only says the row is not about this block's records."""
    if err.code not in _ELSEWHERE:
        return False
    return err.code != "COR014" or "already dropped" not in err.message


def correct_blocks(
    blocks: Iterable[RawData],
    log: CleaningLog | pd.DataFrame,
    *,
    instrument: Instrument,
    keep: Callable[[int, RawData], Any],
    name: str | None = None,
    study: Any = None,
) -> BlockCorrections:
    """Apply the log's rows of one instrument to each block; ``keep(i, cleaned)`` stores them.

    Raises
    ------
    CorrectionError
        The errors of :func:`~analysis.corrections.apply_corrections` (module doc).
    """
    path = log.path if isinstance(log, CleaningLog) else None
    rows = _log_rows(log)
    name = instrument_name(instrument, study, name)
    key = (
        study.instrument(name).key if study is not None and name in study.instrument_names else None
    )
    mine = rows[rows["instrument"].astype(str) == name].astype({"csv_row": "int64"})
    mine = mine.astype({c: "str" for c in CORRECTIONS_COLUMNS}).fillna("")
    applied: dict[int, int] = {}
    missed: dict[int, CorrectionError] = {}
    logs: list[pd.DataFrame] = []
    confirmed: list[pd.DataFrame] = []
    quarantine: dict[str, list[pd.DataFrame]] = {}
    raw_counts: dict[str, int] = {}
    counts: dict[str, int] = {}
    # no block left in a name while the next is read: one block in memory at a time
    i = -1
    for block in blocks:  # enumerate()'s reused tuple would hold the previous block
        i += 1
        work = _Work(block, instrument, name, key, path)
        del block
        for row in mine.itertuples(index=False):
            action = str(row.action)
            act = {"replace": work.replace, "drop": work.drop, "confirm": work.confirm}.get(action)
            if act is None:
                raise work.error(
                    "COR010",
                    f"unknown action '{action}'",
                    row,
                    expected="replace, drop or confirm",
                    found=action,
                    hint="replace changes a value, drop removes a record, confirm vouches for it.",
                )
            try:
                act(row)
            except CorrectionError as err:
                if not _elsewhere(err):
                    raise
                held = missed.get(row.csv_row)
                if held is None or (err.code == "COR020" and held.code != "COR020"):
                    missed[row.csv_row] = err
                continue
            applied[row.csv_row] = applied.get(row.csv_row, 0) + 1
        result = work.result()
        keep(i, result.data)
        logs.append(result.log)
        confirmed.append(result.confirmed)
        for table, frame in result.quarantine.items():
            quarantine.setdefault(table, []).append(frame)
        for table, n in result.raw_counts.items():
            raw_counts[table] = raw_counts.get(table, 0) + n
        for table, n in result.data.counts().items():
            counts[table] = counts.get(table, 0) + n
        del work, result
    for row in mine.itertuples(index=False):
        times = applied.get(row.csv_row, 0)
        if times == 0 and row.csv_row in missed:
            raise missed[row.csv_row]
        if times > 1:
            raise CorrectionError(
                "COR015",
                f"key '{row.key}' names {times} records",
                file=path,
                row=int(row.csv_row),
                record=row.key or None,
                column=row.variable or None,
                hint="Name a variable and its old value that tell them apart (e.g. instanceID), "
                "or use the record's _key.",
            )
    return BlockCorrections(
        log=_in_file_order(logs, LOG_COLUMNS),
        quarantine={t: pd.concat(f, ignore_index=True) for t, f in quarantine.items()},
        confirmed=_in_file_order(confirmed, CONFIRMATION_COLUMNS),
        raw_counts=raw_counts,
        counts=counts,
    )


def _in_file_order(parts: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    """The blocks' rows in the order of the log's rows (the order of the whole data)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=list(columns))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values("csv_row", kind="stable").reset_index(drop=True)

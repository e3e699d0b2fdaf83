"""A RawData cut into blocks of complete records (each main record with its repeat rows).

What block-by-block work (validation in blocks, the pipeline's block mode) reads: every
block is a :class:`RawData` of its own, whose tables are the rows of its main records
and of their repeat rows, in the data's order. Repeat rows without a parent record go
with the record of the row before them (the first block when none). Each block's
``metadata.issues`` holds the reader issues about its own rows; the issues about no
row (a whole column, a whole file) are in the first block.

Examples
--------
>>> frame = pd.DataFrame({"_key": ["a", "b", "c"], "_source_row": [2, 3, 4]})
>>> kids = pd.DataFrame({"_key": ["a/k[1]", "c/k[1]", "c/k[2]"], "_parent_key": ["a", "c", "c"]})
>>> raw = RawData(frame, {"kids": kids}, RawMetadata(format="csv", repeat_parents={"kids": "main"}))
>>> [block.counts() for block in split_records(raw, 2)]
[{'main': 2, 'kids': 1}, {'main': 1, 'kids': 2}]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import ValidationError
from .rawdata import KEY, MAIN, PARENT_KEY, ROW, RawData, RawMetadata
from .records import as_text, positions_in

__all__ = ["split_records"]


def _owners(data: RawData) -> dict[str, np.ndarray]:
    """The main record (position) of every row of every table; -1 for none."""
    owners = {MAIN: np.arange(len(data.data), dtype=np.int64)}
    keys = {MAIN: data.data[KEY] if KEY in data.data.columns else None}
    todo = dict(data.repeats)
    while todo:  # a repeat after the table it is nested in
        for name in list(todo):
            parent = data.metadata.repeat_parents.get(name) or MAIN
            if parent not in owners and parent in todo:
                continue
            frame = todo.pop(name)
            keys[name] = frame[KEY] if KEY in frame.columns else None
            up, parent_keys = owners.get(parent), keys.get(parent)
            if up is None or parent_keys is None or PARENT_KEY not in frame.columns:
                owners[name] = np.full(len(frame), -1, dtype=np.int64)
                continue
            pos = positions_in(as_text(frame[PARENT_KEY]), as_text(parent_keys))
            owners[name] = np.where(pos >= 0, up[np.maximum(pos, 0)] if len(up) else -1, -1)
    return owners


def _issues_of(metadata: RawMetadata, blocks_of: dict[str, pd.Series], n: int) -> list:
    """The reader issues of each block (those about no row of the data: the first)."""
    issues = metadata.issues
    at = np.zeros(len(issues), dtype=np.int64)
    if len(issues):
        tables = issues["table"].fillna(MAIN).astype(str).to_numpy(dtype=object)
        rows = pd.to_numeric(issues["row"], errors="coerce").to_numpy(dtype=float)
        for i, (table, row) in enumerate(zip(tables, rows, strict=True)):
            where = blocks_of.get(table)
            if where is not None and np.isfinite(row) and int(row) in where.index:
                at[i] = where.loc[int(row)]
    return [issues[at == b].reset_index(drop=True) for b in range(n)]


def split_records(data: RawData, block_records: int) -> list[RawData]:
    """``data`` as blocks of ``block_records`` main records with their repeat rows.

    Raises
    ------
    ValidationError
        ``VAL330`` when ``block_records`` is not a positive number.
    """
    if int(block_records) < 1:
        raise ValidationError(
            "VAL330",
            "records per block must be a positive number",
            found=str(block_records),
            hint="Pass block_records >= 1.",
        )
    size = int(block_records)
    n_main = len(data.data)
    n = max(1, -(-n_main // size))
    owners = _owners(data)
    block_rows: dict[str, list[np.ndarray]] = {}
    blocks_of: dict[str, pd.Series] = {}
    for name, frame in data.tables.items():
        owner = pd.Series(owners[name], dtype="float64").where(lambda s: s >= 0)
        filled = owner.ffill().fillna(0).to_numpy(dtype=np.int64)
        block = filled // size
        block_rows[name] = [np.flatnonzero(block == b) for b in range(n)]
        if ROW in frame.columns:
            rows = pd.to_numeric(frame[ROW], errors="coerce")
            first = pd.Series(block, index=rows.to_numpy())
            first = first[first.index.notna()]
            first.index = first.index.astype(np.int64)
            blocks_of[name] = first[~first.index.duplicated()]
    issues = _issues_of(data.metadata, blocks_of, n)
    out = []
    for b in range(n):
        tables = {
            name: frame.take(block_rows[name][b]).reset_index(drop=True)
            for name, frame in data.tables.items()
        }
        metadata = replace(
            data.metadata,
            issues=issues[b],
            source_rows={name: len(frame) for name, frame in tables.items()},
        )
        main = tables.pop(MAIN)
        out.append(RawData(main, tables, metadata))
    return out

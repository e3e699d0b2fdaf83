"""Block mode of the wave pipeline: an instrument too large for memory, in blocks of records.

An instrument of a wave is processed in blocks when study.toml says so or when its
export is large (``[pipeline]``)::

    [pipeline]
    block_mode = "auto"      # "auto" (by the export's size), "always" or "never"
    block_records = 50000   # main records per block
    block_above_mb = 1024    # "auto": exports larger than this (MiB) are read in blocks

In block mode the read step splits the export into blocks of complete records
(:func:`analysis.readers.blocks.read_blocks`, kept in ``.work/raw-<instrument>.blocks/``),
the correct step applies the cleaning log block by block
(:func:`analysis.corrections.blocks.correct_blocks`, ``.work/clean-<instrument>.blocks/``),
the validate step validates the blocks (:func:`analysis.validate.validate_blocks`), and the write step
writes Parquet with one row group per block (:func:`analysis.writers.blocks.write_blocks`):
SPSS .sav and Stata .dta files are not written (the step says so; a study that lists
them in ``[outputs] formats`` gets ``PIP050``). The estimate step reads the columns
its tables need from the blocks. Only an export format that can be split is read in
blocks (CSV, ODK Central CSV zip); others are read whole (the read step says so).

Examples
--------
>>> from pathlib import Path
>>> from analysis.study import Study
>>> study = Study(Path("/s"), {"pipeline": {"block_mode": "always", "block_records": 5000}})
>>> block_settings(study)
BlockSettings(mode='always', records=5000, above_mb=1024.0)
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import BaicunError, StudyError
from ..readers.rawdata import MAIN, RESERVED_COLUMNS, RawData

__all__ = [
    "BlockSettings",
    "CleanBlocks",
    "block_settings",
    "concat_blocks",
    "read_columns",
]

MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class BlockSettings:
    """``[pipeline]`` block settings of a study."""

    mode: str = "auto"
    records: int = 50_000
    above_mb: float = 1024.0

    def wants(self, path: Path) -> bool:
        """True when the export at ``path`` is to be read in blocks (its format aside)."""
        if self.mode == "never":
            return False
        if self.mode == "always":
            return True
        return path.stat().st_size > self.above_mb * (1 << 20)


def block_settings(study: Any) -> BlockSettings:
    """The study's block settings (defaults: auto, 50000 records, 1024 MiB).

    Raises
    ------
    StudyError
        ``STU060`` a block setting out of range.
    """
    mode = study.setting("pipeline", "block_mode", default="auto") or "auto"
    records = study.setting("pipeline", "block_records", default=50_000)
    above = study.setting("pipeline", "block_above_mb", default=1024)
    if mode not in MODES:
        raise StudyError(
            "STU060",
            f"[pipeline] block_mode must be one of {', '.join(MODES)}, not {mode!r}",
            expected=" or ".join(MODES),
            found=str(mode),
            hint='Write block_mode = "auto" (by size), "always" or "never".',
        )
    if not isinstance(records, int) or isinstance(records, bool) or records < 1:
        raise StudyError(
            "STU061",
            f"[pipeline] block_records must be a whole number of 1 or more, not {records!r}",
            expected="e.g. 50000",
            found=str(records),
            hint="Give the number of main records per block; 100000-500000 suits 4-8 GiB.",
        )
    if isinstance(above, bool) or not isinstance(above, (int, float)) or above < 0:
        raise StudyError(
            "STU062",
            f"[pipeline] block_above_mb must be a size in MiB (0 or more), not {above!r}",
            expected="e.g. 1024",
            found=str(above),
            hint="Exports larger than this many MiB are read in blocks when block_mode is auto.",
        )
    return BlockSettings(str(mode), int(records), float(above))


def concat_blocks(blocks: Iterator[RawData]) -> RawData:
    """The blocks as one RawData (every table's rows, every note) - the whole data's.

    Examples
    --------
    >>> from analysis.readers import RawMetadata
    >>> one = RawData(pd.DataFrame({"_key": ["a"]}), {}, RawMetadata(format="csv"))
    >>> two = RawData(pd.DataFrame({"_key": ["b"]}), {}, RawMetadata(format="csv"))
    >>> concat_blocks(iter([one, two])).data["_key"].tolist()
    ['a', 'b']
    """
    parts = list(blocks)
    first = parts[0]
    tables = {
        t: pd.concat([p.table(t) for p in parts], ignore_index=True) if len(parts) > 1 else f
        for t, f in first.tables.items()
    }
    notes = [p.issues for p in parts if len(p.issues)]
    issues = pd.concat(notes, ignore_index=True) if notes else first.issues
    sources = []
    for source in first.metadata.sources:
        rows = sum(
            s.rows
            for p in parts
            for s in p.metadata.sources
            if (s.table, s.member) == (source.table, source.member)
        )
        sources.append(replace(source, rows=rows))
    metadata = replace(
        first.metadata,
        sources=tuple(sources),
        source_rows={t: len(f) for t, f in tables.items()},
        issues=issues,
    )
    return RawData(tables[MAIN], {t: f for t, f in tables.items() if t != MAIN}, metadata)


@dataclass
class CleanBlocks:
    """The cleaned blocks of one instrument (``.work/clean-<instrument>.blocks/``)."""

    folder: Path
    count: int = 0
    log: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    quarantine: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    confirmed: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    raw_counts: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    INDEX = "index.pkl"

    def path(self, i: int) -> Path:
        return self.folder / f"block-{i:05d}.pkl"

    def keep(self, i: int, data: RawData) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.path(i).open("wb") as handle:  # no bytes copy of the block
            pickle.dump(data, handle, protocol=5)
        self.count = max(self.count, i + 1)

    def save(self) -> Path:
        index = self.folder / self.INDEX
        index.write_bytes(pickle.dumps(replace(self, folder=Path(".")), protocol=5))
        return index

    @classmethod
    def load(cls, folder: Path) -> CleanBlocks:
        try:
            saved = pickle.loads((Path(folder) / cls.INDEX).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise BaicunError(
                "PIP051",
                f"the cleaned blocks cannot be read ({exc})",
                file=folder,
                hint="Re-run the wave with --force.",
            ) from None
        return replace(saved, folder=Path(folder))

    def block(self, i: int) -> RawData:
        with self.path(i).open("rb") as handle:  # no bytes copy of the block
            return pickle.load(handle)

    def blocks(self) -> Iterator[RawData]:
        for i in range(self.count):
            yield self.block(i)


def read_columns(blocks: CleanBlocks, wanted: set[str]) -> RawData:
    """The cleaned data with only the columns in ``wanted`` (or of questions in it).

    A column is kept when its name or its question is wanted; the reserved columns
    (``_key``, ``_parent_key``, ``_source_row``) always are.
    """

    def keep(data: RawData) -> RawData:
        tables = {}
        for table, frame in data.tables.items():
            infos = data.metadata.column_info(table)
            names = [
                c
                for c in frame.columns
                if c in RESERVED_COLUMNS
                or c in wanted
                or (c in infos and infos[c].question in wanted)
            ]
            tables[table] = frame[names]
        return RawData(tables[MAIN], {t: f for t, f in tables.items() if t != MAIN}, data.metadata)

    return concat_blocks(keep(b) for b in blocks.blocks())


def spec_names(spec: Any) -> set[str]:
    """Every name an estimate table's declaration mentions (variables, by, expressions).

    >>> from types import SimpleNamespace as NS
    >>> sorted(spec_names(NS(variables=("a",), by=("b",), where="${c} = 1")))
    ['a', 'b', 'c']
    """
    out: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.update(re.findall(r"[A-Za-z_][\w/]*", value))
        elif isinstance(value, (list, tuple, set)):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(dict(vars(spec)) if hasattr(spec, "__dict__") else spec)
    return out

"""An instrument's tables written block by block: Parquet with one row group per block.

``write_blocks(blocks, folder, "household")`` writes what :func:`write_tables` writes
in Parquet (``household.parquet``, ``household-<repeat>.parquet``, labels in the
metadata, PII handled first) from blocks of records that are never all in memory.
Each block's tables are converted once and kept as parts beside the target; the
parts' schemas are then made one (a column empty in one block takes the type it has
in the others) and the parts copied into the file, one row group each.
SPSS .sav and Stata .dta files cannot be appended to: they are not written from blocks.

Examples
--------
>>> import tempfile, pathlib, pandas as pd, pyarrow.parquet as pq
>>> from analysis.readers import RawData, RawMetadata
>>> def block(names):
...     return RawData(pd.DataFrame({"_key": names, "name": names}), {}, RawMetadata(format="csv"))
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> receipt = write_blocks(lambda: iter([block(["a", "b"]), block([None])]), folder, "hh")
>>> file = pq.ParquetFile(folder / "hh.parquet")
>>> file.metadata.num_row_groups, file.read().column("name").to_pylist()
(2, ['a', 'b', None])
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import WriteError
from ..instrument.model import Instrument
from ..readers.rawdata import RawData
from .outputs import atomic_write, sha256_of
from .parquet import arrow_table
from .pii import pii_columns, protect_pii
from .receipt import Notes, WriteReceipt, WrittenFile
from .tables import table_file

__all__ = ["write_blocks"]


def write_blocks(
    blocks: Callable[[], Iterator[RawData]],
    folder: Path | str,
    name: str,
    *,
    instrument: Instrument | None = None,
    lang: str = "zh",
    pii: str = "drop",
    salt: str | None = None,
) -> WriteReceipt:
    """Write every table of the blocks as Parquet, one row group per block.

    ``blocks`` returns a fresh iterator of the blocks (it is called once).

    Raises
    ------
    WriteError
        ``WRT001`` folder not writable, ``WRT008`` pyarrow refused the data or the
        blocks' types cannot be made one.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = Path(tempfile.mkdtemp(prefix=f".{name}-parts.", dir=folder))
    notes = Notes()
    written: dict[str, list[Path]] = {}
    rows: dict[str, int] = {}
    columns: dict[str, int] = {}
    try:
        i = -1
        for data in blocks():  # enumerate()'s reused tuple would hold the previous block
            i += 1
            for table, frame in data.tables.items():
                if instrument is not None and pii != "keep":
                    hidden = pii_columns(instrument, data.metadata, table)
                    frame, found = protect_pii(frame, hidden, action=pii, salt=salt, table=table)
                    if i == 0:
                        notes.extend(found)
                path = table_file(folder, name, table, "parquet")
                arrow = arrow_table(
                    frame, path, metadata=data.metadata, table=table, lang=lang, notes=notes
                )
                part = parts / f"{table}-{i:05d}.parquet"
                pq.write_table(arrow, part, compression="zstd")
                written.setdefault(table, []).append(part)
                rows[table] = rows.get(table, 0) + len(frame)
                columns[table] = len(frame.columns)
            data = frame = arrow = None  # one block in memory at a time
        files = []
        for table, paths in written.items():
            target = table_file(folder, name, table, "parquet")
            schema = _one_schema([pq.read_schema(p) for p in paths], target)

            def write(tmp: Path, paths: list[Path] = paths, schema: pa.Schema = schema) -> None:
                with pq.ParquetWriter(tmp, schema, compression="zstd") as out:
                    for part in paths:
                        out.write_table(pq.read_table(part).cast(schema), row_group_size=1 << 62)
                        part.unlink()

            atomic_write(target, write)
            files.append(
                WrittenFile(
                    path=target,
                    format="parquet",
                    table=table,
                    rows=rows[table],
                    columns=columns[table],
                    sha256=sha256_of(target),
                )
            )
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    frame = notes.frame()
    return WriteReceipt(files=tuple(files), notes=frame.drop_duplicates(ignore_index=True))


def _one_schema(schemas: list, target: Path):
    """The schema of every block: the first block's, with null columns typed by the others."""
    import pyarrow as pa

    first = schemas[0]
    fields = []
    for position, field in enumerate(first):
        typed = field
        if pa.types.is_null(field.type):
            for other in schemas[1:]:
                candidate = other.field(position)
                if not pa.types.is_null(candidate.type):
                    typed = field.with_type(candidate.type)
                    break
        fields.append(typed)
    schema = pa.schema(fields, metadata=first.metadata)
    for other in schemas[1:]:
        if other.names != schema.names:
            raise WriteError(
                "WRT008",
                "the blocks do not have the same columns",
                file=target,
                found=", ".join(sorted(set(other.names) ^ set(schema.names))[:5]),
                hint="This is a bug in the toolkit: please report it with the export.",
            )
    return schema

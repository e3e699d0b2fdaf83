"""Parquet files with the labels in their metadata.

Column names and types are kept as they are (Parquet has no naming limits). The
schema metadata key ``baicun`` holds JSON with, per column, its kind, question,
type, choice, source header, variable labels and value labels in every language,
user-missing values and time zone, plus the table, the language chosen and the
instrument; each field also carries its label in ``lang`` under the field metadata
key ``label``. Written with pyarrow, which records no time of writing: two runs on
the same data give byte-identical files.

Examples
--------
>>> import json, tempfile, pathlib, pyarrow.parquet as pq
>>> from analysis.readers import read_raw
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "hh.csv").write_text("村,人口\\n红星,4\\n", encoding="utf-8")
>>> raw = read_raw(folder / "hh.csv")
>>> _ = write_parquet(raw.data, folder / "hh.parquet", metadata=raw.metadata)
>>> meta = json.loads(pq.read_schema(folder / "hh.parquet").metadata[b"baicun"])
>>> meta["table"], sorted(meta["columns"])[:2]
('main', ['_key', '_source_row'])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WriteError
from ..readers.rawdata import MAIN, ColumnInfo, RawMetadata
from .labels import column_infos
from .outputs import atomic_write, sha256_of
from .receipt import Notes, WriteReceipt, WrittenFile

__all__ = ["METADATA_KEY", "arrow_table", "column_metadata", "write_parquet"]

#: Schema metadata key of the labels JSON.
METADATA_KEY = b"baicun"


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def column_metadata(info: ColumnInfo) -> dict[str, Any]:
    """A JSON-ready dict of one column's metadata."""
    return {
        "kind": info.kind,
        "question": info.question,
        "type": info.type,
        "choice": info.choice,
        "original": info.original,
        "labels": dict(info.labels),
        "value_labels": {str(k): dict(v) for k, v in info.value_labels.items()},
        "user_missing": [_plain(v) for v in info.user_missing],
        "timezone": info.timezone,
    }


def arrow_table(
    frame: pd.DataFrame,
    path: Path | str,
    *,
    metadata: RawMetadata | None = None,
    table: str = MAIN,
    lang: str = "zh",
    notes: Notes | None = None,
) -> Any:
    """The pyarrow Table :func:`write_parquet` writes (labels in the field and schema metadata).

    Raises
    ------
    WriteError
        ``WRT008`` pyarrow refused the data.
    """
    import pyarrow as pa

    notes = notes if notes is not None else Notes()
    infos = column_infos(metadata, table)
    data = frame.copy()
    for column in data.columns:
        if data[column].dtype == object:
            sample = data[column].dropna()
            kinds = {type(v) for v in sample}
            if len(kinds) > 1:
                data[column] = (
                    data[column]
                    .map(
                        lambda v: (
                            None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                        )
                    )
                    .astype("str")
                )
                notes.add(
                    "WRT107",
                    "values of mixed types written as text",
                    file=str(path),
                    table=table,
                    column=column,
                )
    try:
        arrow = pa.Table.from_pandas(data, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise WriteError(
            "WRT008",
            f"the table cannot be converted for Parquet: {exc}",
            file=path,
            hint="Convert the column named in the message to text or numbers before writing.",
        ) from None
    fields = []
    for field in arrow.schema:
        info = infos.get(field.name)
        label = info.label(lang) if info is not None else None
        fields.append(field.with_metadata({b"label": label.encode("utf-8")}) if label else field)
    document = {
        "table": table,
        "lang": lang,
        "instrument": metadata.instrument if metadata is not None else None,
        "instrument_version": metadata.instrument_version if metadata is not None else None,
        "languages": list(metadata.languages) if metadata is not None else [],
        "columns": {c: column_metadata(infos[c]) for c in frame.columns if c in infos},
    }
    schema_meta = dict(arrow.schema.metadata or {})
    schema_meta[METADATA_KEY] = json.dumps(
        document, ensure_ascii=False, sort_keys=True, default=str
    ).encode("utf-8")
    arrow = arrow.cast(pa.schema(fields, metadata=schema_meta))

    return arrow


def write_parquet(
    frame: pd.DataFrame,
    path: Path | str,
    *,
    metadata: RawMetadata | None = None,
    table: str = MAIN,
    lang: str = "zh",
) -> WriteReceipt:
    """Write one table as Parquet with its labels in the file's metadata.

    Raises
    ------
    WriteError
        ``WRT001`` folder not writable, ``WRT008`` pyarrow refused the data.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    notes = Notes()
    arrow = arrow_table(frame, path, metadata=metadata, table=table, lang=lang, notes=notes)

    def write(tmp: Path) -> None:
        try:
            pq.write_table(arrow, tmp, compression="zstd")
        except (pa.ArrowException, OSError) as exc:
            raise WriteError("WRT008", f"pyarrow could not write the Parquet file: {exc}", file=path,
                             hint="Check the disk space and the column types.") from None  # fmt: skip

    atomic_write(path, write)
    written = WrittenFile(
        path=path,
        format="parquet",
        table=table,
        rows=len(frame),
        columns=len(frame.columns),
        sha256=sha256_of(path),
    )
    return WriteReceipt(files=(written,), notes=notes.frame())

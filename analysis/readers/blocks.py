"""Reading an export too large for memory in blocks of complete records.

:func:`read_blocks` splits a text export (any CSV, KoboToolbox/Ona CSV, ODK Central CSV
or CSV zip) into chunk files of at most ``block_records`` main records, in one
streaming pass, and reads each chunk with :func:`~analysis.readers.read_raw`: every
block is a :class:`~analysis.readers.RawData` of the same layout as the whole file's.

* Main records stay in file order, one run of them per block. The rows of a repeat
  table go to the block of their main record (found by ``PARENT_KEY``'s root, the
  main record's ``KEY``), in the order of the repeat's file; a row whose parent is not
  found stays with the rows around it (it is an orphan, logged ``RD133``).
* ``_source_row`` and the rows of the reader's notes are those of the whole file;
  keys made from row numbers (``main#row12``) too.
* Notes about the file or a column as a whole (an unknown column, a guessed encoding)
  are said once, in the first block; counted notes (``RD145`` blank rows, ``RD136``
  unpacked records, "n cell(s); first at row r" summaries) add their counts up;
  duplicate keys (``RD130``) are found across blocks.

SPSS .sav/.zsav and Stata .dta files are read ``block_records`` cases at a time
(pyreadstat's ``row_offset``/``row_limit``).

Limits: a CSV splits at line ends outside quotes (``\\n`` or ``\\r\\n`` line endings;
a file with bare ``\\r`` line endings is read whole); the place of an undecodable
byte (``RD156``) and the line-ending counts (``RD144``) are those of the chunk; a
zip holding two copies of a table is read whole.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "hh.csv").write_bytes("户主,人口\\n张三,4\\n李四,5\\n王五,3\\n".encode("gbk"))
>>> blocks = read_blocks(folder / "hh.csv", block_records=2, folder=folder / "parts")
>>> [b.data["_source_row"].tolist() for b in blocks]
[[2, 3], [4]]
>>> blocks.block(1).data["户主"].tolist(), blocks.block(1).metadata.encoding
(['王五'], 'gbk')
"""

from __future__ import annotations

import ctypes
import gc
import pickle
import platform
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ReadError
from ..instrument.model import Instrument
from .chunks import split_export
from .detect import detect_format
from .issues import ISSUE_COLUMNS, empty_issues
from .rawdata import KEY, MAIN, PARENT_KEY, ROW, RawData
from .read import _digest, _instrument, read_raw

__all__ = ["BlockSet", "block_support", "read_blocks", "release_memory"]

_BLOCK_FORMATS = ("csv", "kobo_csv", "odk_central", "spss", "stata")
_SUMMARY = re.compile(r"^(?P<head>.*) \((?P<n>\d+) cell\(s\); first at row (?P<row>\d+)\)$")
_COUNTED = ("RD136", "RD145")
_LEADING = re.compile(r"^(\d+)")
_ROW_KEY = re.compile(r"(?P<table>[^/#]+)#row(?P<row>\d+)")
_COPY = re.compile(r" \((\d+)\)(?=\.csv$)", re.IGNORECASE)
_DUPLICATE_MESSAGE = "record key shared with another record; all records kept"


def block_support(path: str | Path) -> str | None:
    """Why ``path`` cannot be read in blocks (``None`` when it can).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n", encoding="utf-8")
    >>> block_support(path) is None
    True
    """
    path = Path(path)
    try:
        fmt = detect_format(path)
    except ReadError as err:
        return err.message
    if fmt not in _BLOCK_FORMATS or path.suffix.lower() == ".por":
        return f"{fmt} files are read whole (block mode reads CSV, ODK Central zips, .sav, .dta)"
    if fmt in ("spss", "stata"):
        return None
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [m.filename for m in archive.infolist() if not m.is_dir()]
        if any(_COPY.search(n) for n in names):
            return "the zip holds two copies of a table"
        return None
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if b"\r" in head.replace(b"\r\n", b""):
        return "the file has bare \\r line endings"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        return "UTF-16 text is read whole"
    return None


# ------------------------------------------------------------------ reading the chunks
def _table_rows(raw: RawData, rows: dict[str | None, np.ndarray]) -> dict[str, np.ndarray]:
    """``{table: file rows of the chunk's records}`` (unpacked repeats: their main's)."""
    of_member = {}
    for source in raw.metadata.sources:
        if source.unpacked_from is None:
            of_member.setdefault(source.table, source.member)
    out = {t: rows[m] for t, m in of_member.items() if m in rows}
    for source in raw.metadata.sources:
        if source.unpacked_from is not None and source.unpacked_from in out:
            out.setdefault(source.table, out[source.unpacked_from])
    return out


def _mapper(mapping: np.ndarray, first: int) -> Any:
    """Chunk row -> file row (rows before the first record, the header's, unchanged)."""

    def remap(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.int64)
        at = values - first
        ok = (at >= 0) & (at < len(mapping))
        out = values.copy()
        out[ok] = mapping[at[ok]]
        return out

    return remap


def _row_keys(values: pd.Series, mappers: dict[str, Any]) -> pd.Series:
    def fix(text: Any) -> Any:
        if not isinstance(text, str) or "#row" not in text:
            return text

        def sub(m: re.Match) -> str:
            remap = mappers.get(m["table"])
            if remap is None:
                return m.group(0)
            return f"{m['table']}#row{int(remap(np.array([int(m['row'])]))[0])}"

        return _ROW_KEY.sub(sub, text)

    if not values.astype("str").str.contains("#row", regex=False).fillna(False).any():
        return values
    return values.map(fix).astype(values.dtype)


def _fix_chunk(
    raw: RawData, rows: dict[str | None, np.ndarray], path: Path, digest: str, size: int
) -> RawData:
    """The chunk's rows, row keys and sources as the whole file's."""
    table_rows = _table_rows(raw, rows)
    mappers = {t: _mapper(m, 1) for t, m in table_rows.items()}
    frames = {}
    for table, frame in raw.tables.items():
        remap = mappers.get(table)
        if remap is not None and len(frame):
            frame = frame.assign(**{ROW: remap(frame[ROW].to_numpy())})
            for column in (KEY, PARENT_KEY):
                if column in frame.columns:
                    frame[column] = _row_keys(frame[column], mappers)
        frames[table] = frame
    issues = raw.issues.copy()
    if len(issues):
        rows_out = issues["row"].astype("Int64").to_numpy(dtype=np.int64, na_value=-1)
        for table, remap in mappers.items():
            sel = (issues["table"].astype(str) == table).to_numpy() & (rows_out >= 0)
            if sel.any():
                rows_out[sel] = remap(rows_out[sel])
        issues["row"] = pd.array(np.where(rows_out >= 0, rows_out, 0), dtype="Int64")
        issues.loc[rows_out < 0, "row"] = pd.NA
        issues["record"] = _row_keys(issues["record"], mappers)
    sources = tuple(
        replace(s, path=str(path), sha256=digest, size=size) for s in raw.metadata.sources
    )
    metadata = replace(raw.metadata, sources=sources, issues=issues)
    return RawData(frames[MAIN], {t: f for t, f in frames.items() if t != MAIN}, metadata)


def _split_issues(issues: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(issues of the block's records, issues said once for the file)``."""
    if issues.empty:
        return issues, issues
    code = issues["code"].astype(str)
    message = issues["message"].astype(str)
    once = issues["row"].isna().to_numpy() | message.str.match(_SUMMARY).to_numpy()
    once |= (code == "RD130").to_numpy()  # found again across blocks
    return issues[~once].reset_index(drop=True), issues[once].reset_index(drop=True)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _merge_file_issues(parts: list[pd.DataFrame], blocks: int) -> pd.DataFrame:
    """Notes said once per file: deduplicated, counts added up, RD130 left out."""
    rows: dict[tuple, dict[str, Any]] = {}
    seen_in: dict[tuple, int] = {}
    for part in parts:
        for record in part.to_dict("records"):
            code = str(record["code"])
            if code == "RD130":
                continue
            message = str(record["message"])
            summary = _SUMMARY.match(message)
            if summary is not None:
                key = (code, record["table"], record["column"], summary["head"])
                if key in rows:
                    old = _SUMMARY.match(rows[key]["message"])
                    n = int(old["n"]) + int(summary["n"])
                    rows[key]["message"] = f"{old['head']} ({n} cell(s); first at row {old['row']})"
                else:
                    rows[key] = dict(record)
                continue
            if code in _COUNTED:
                head = _LEADING.sub("", message)
                key = (code, record["table"], record["column"], head)
                if key in rows:
                    n = int(_LEADING.match(rows[key]["message"])[1]) + int(
                        _LEADING.match(message)[1]
                    )
                    rows[key]["message"] = f"{n}{head}"
                else:
                    rows[key] = dict(record)
                continue
            key = tuple("" if _missing(record[c]) else str(record[c]) for c in ISSUE_COLUMNS)
            seen_in[key] = seen_in.get(key, 0) + 1
            rows.setdefault(key, dict(record))
    out = [r for k, r in rows.items() if r["code"] != "RD146" or seen_in.get(k, 0) == blocks]
    if not out:
        return empty_issues()
    frame = pd.DataFrame(out, columns=list(ISSUE_COLUMNS)).astype("object")
    frame["row"] = pd.array([None if pd.isna(r) else int(r) for r in frame["row"]], dtype="Int64")
    return frame


def _key_hashes(raw: RawData) -> dict[str, np.ndarray]:
    return {t: pd.util.hash_array(f[KEY].to_numpy(dtype=object)) for t, f in raw.tables.items()}


@dataclass
class BlockSet:
    """The blocks of one export, kept as pickles in ``folder``.

    Iterating gives each block as a :class:`RawData` (file-level notes in the first
    block, duplicate keys across blocks as ``RD130`` in every block concerned).
    """

    folder: Path
    count: int
    file_issues: pd.DataFrame = field(default_factory=empty_issues, repr=False)
    duplicates: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    counts: dict[str, int] = field(default_factory=dict)
    #: Reader notes of every block, as many as the whole file's.
    notes: int = 0
    #: Per table, every block's columns in order, their dtypes and ColumnInfo: a block
    #: without a column some other block has (``_extra``: a row with too many fields)
    #: gets it empty, so that every block has the columns of the whole file.
    columns: dict[str, list[str]] = field(default_factory=dict, repr=False)
    dtypes: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    infos: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    INDEX = "index.pkl"

    def path(self, i: int) -> Path:
        return self.folder / f"block-{i:05d}.pkl"

    def save(self) -> Path:
        index = self.folder / self.INDEX
        index.write_bytes(pickle.dumps(replace(self, folder=Path(".")), protocol=5))
        return index

    @classmethod
    def load(cls, folder: Path) -> BlockSet:
        saved = pickle.loads((Path(folder) / cls.INDEX).read_bytes())
        return replace(saved, folder=Path(folder))

    def _conform(self, raw: RawData) -> RawData:
        """The block with every column of the whole file (module doc)."""
        if all(
            list(f.columns) == self.columns.get(t, list(f.columns)) for t, f in raw.tables.items()
        ):
            return raw
        tables = {}
        for table, frame in raw.tables.items():
            wanted = self.columns.get(table, list(frame.columns))
            missing = {
                c: pd.Series(pd.NA, index=frame.index, dtype=self.dtypes[table][c]).astype(self.dtypes[table][c])
                for c in wanted if c not in frame.columns
            }  # fmt: skip
            tables[table] = frame.assign(**missing)[wanted] if missing else frame[wanted]
        columns = {
            t: {c: self.infos[t][c] for c in self.columns[t] if c in self.infos.get(t, {})}
            for t in self.columns
        }
        metadata = replace(raw.metadata, columns={**dict(raw.metadata.columns), **columns})
        return RawData(tables[MAIN], {t: f for t, f in tables.items() if t != MAIN}, metadata)

    def block(self, i: int) -> RawData:
        """Block ``i`` with the notes that concern it."""
        with self.path(i).open("rb") as handle:  # no bytes copy of the block
            raw: RawData = self._conform(pickle.load(handle))
        extra = []
        for table, frame in raw.tables.items():
            dup = self.duplicates.get(table)
            if dup is None or not len(dup) or not len(frame):
                continue
            hit = np.isin(pd.util.hash_array(frame[KEY].to_numpy(dtype=object)), dup)
            if hit.any():
                keys = frame[KEY].to_numpy(dtype=object)[hit]
                extra.append(
                    pd.DataFrame(
                        {"code": "RD130", "severity": "error", "table": table,
                         "row": frame[ROW].to_numpy(dtype=np.int64)[hit], "record": keys,
                         "column": KEY, "value": keys, "message": _DUPLICATE_MESSAGE}
                    ).astype("object")
                )  # fmt: skip
        parts = [self.file_issues] if i == 0 and len(self.file_issues) else []
        parts += [raw.issues, *extra]
        parts = [p for p in parts if len(p)]
        if not parts:
            return raw
        issues = pd.concat([p.astype("object") for p in parts], ignore_index=True)
        issues["row"] = pd.array(
            [None if pd.isna(r) else int(r) for r in issues["row"]], dtype="Int64"
        )
        return replace(raw, metadata=replace(raw.metadata, issues=issues))

    def __iter__(self) -> Iterator[RawData]:
        for i in range(self.count):
            yield self.block(i)

    def __len__(self) -> int:
        return self.count


def _union_columns(blocks: BlockSet, raw: RawData) -> None:
    """Add the block's columns (in order), dtypes and ColumnInfo to the set's."""
    for table, frame in raw.tables.items():
        known = blocks.columns.setdefault(table, [])
        dtypes = blocks.dtypes.setdefault(table, {})
        infos = blocks.infos.setdefault(table, {})
        at = 0
        for column in frame.columns:
            if column in known:
                at = known.index(column) + 1
            else:
                known.insert(at, column)
                at += 1
            if column not in dtypes or (len(frame) and dtypes[column] == np.dtype(object)):
                dtypes[column] = frame[column].dtype
            info = raw.metadata.column_info(table).get(column)
            if info is not None:
                infos.setdefault(column, info)


def read_blocks(
    path: str | Path,
    instrument: Instrument | str | Path | None = None,
    *,
    block_records: int = 200_000,
    folder: str | Path,
) -> BlockSet:
    """Read ``path`` in blocks of at most ``block_records`` main records (module doc).

    Parameters
    ----------
    path : str or Path
        A CSV, KoboToolbox/Ona CSV, ODK Central CSV or CSV zip.
    instrument : Instrument, str or Path, optional
        The form, as for :func:`~analysis.readers.read_raw`.
    block_records : int
        Main records per block.
    folder : str or Path
        Where the blocks are kept (emptied first).

    Returns
    -------
    BlockSet
        The blocks, read back one at a time.

    Raises
    ------
    ReadError
        ``RD060`` when the file cannot be split (:func:`block_support` says why);
        the errors of :func:`~analysis.readers.read_raw` on a chunk.
    """
    path, folder = Path(path), Path(folder)
    why = block_support(path)
    if why is not None:
        raise ReadError("RD060", f"the file cannot be read in blocks: {why}", file=path,
                        hint="Set [pipeline] block_mode = \"never\" to read it whole.")  # fmt: skip
    if block_records < 1:
        raise ReadError("RD061", f"block_records must be 1 or more, not {block_records}", file=path,
                        hint="Give the number of main records per block, e.g. 200000.")  # fmt: skip
    form = _instrument(instrument)
    if folder.exists():
        shutil.rmtree(folder)
    chunks_dir = folder / "chunks"
    digest, size = _digest(path)
    if detect_format(path) in ("spss", "stata"):
        return _finish(folder, _stat_chunks(path, form, block_records, digest, size))
    paths, rows, _ = split_export(path, chunks_dir, block_records)

    def chunks() -> Iterator[RawData]:
        for i, chunk in enumerate(paths):
            # the generator holds no block while the next one is read
            yield _fix_chunk(read_raw(chunk, form), rows[i], path, digest, size)
            rows[i] = {}
            chunk.unlink()
        shutil.rmtree(chunks_dir, ignore_errors=True)

    return _finish(folder, chunks())


def _stat_chunks(
    path: Path, form: Instrument | None, block_records: int, digest: str, size: int
) -> Iterator[RawData]:
    """The blocks of a .sav/.dta: its cases ``block_records`` at a time (pyreadstat)."""
    import pyreadstat

    from .issues import IssueLog
    from .read import _assemble
    from .spss_stata import read_stat_file

    fmt = detect_format(path)
    reader = pyreadstat.read_dta if fmt == "stata" else pyreadstat.read_sav
    _, meta = reader(str(path), metadataonly=True)
    total = getattr(meta, "number_rows", None)
    total = int(total) if total is not None and total >= 0 else None  # -1: not declared
    offset = 0
    while True:
        log = IssueLog()
        table = read_stat_file(path, log=log, row_offset=offset, row_limit=block_records)
        short = len(table) < block_records
        raw = _assemble(path, fmt, [table], form, log, digest, size)
        del table  # the generator holds no block while the next one is read
        yield raw
        del raw
        offset += block_records
        if short or (total is not None and offset >= total):
            break


def release_memory() -> None:
    """Give memory freed by pyarrow and by the C allocator back to the system.

    Both keep freed memory for later use; between blocks (or pieces of work unlike the
    next) that memory only grows the next one's peak (fragments it cannot reuse whole).
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _give_back() -> None:
    """Give the memory of a block kept on disk back to the system."""
    gc.collect()  # pandas frames hold reference cycles: free the block's arrays now
    release_memory()


def _libc() -> Any:
    """glibc, for ``malloc_trim`` (None elsewhere)."""
    if platform.system() != "Linux":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 -- musl has no malloc_trim
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def _finish(folder: Path, chunks: Iterator[RawData]) -> BlockSet:
    """Keep each block of ``chunks``; the notes said once, duplicate keys, columns."""
    folder.mkdir(parents=True, exist_ok=True)
    file_parts: list[pd.DataFrame] = []
    notes = 0
    hashes: dict[str, list[np.ndarray]] = {}
    counts: dict[str, int] = {}
    blocks = BlockSet(folder, 0)
    # not enumerate(): its reused result tuple would hold a block while the next is read
    for raw in chunks:
        i = blocks.count
        kept, once = _split_issues(raw.issues)
        file_parts.append(once)
        notes += len(kept)
        for table, h in _key_hashes(raw).items():
            hashes.setdefault(table, []).append(h)
        for table, n in raw.counts().items():
            counts[table] = counts.get(table, 0) + n
        _union_columns(blocks, raw)
        raw = replace(raw, metadata=replace(raw.metadata, issues=kept))
        with blocks.path(i).open("wb") as handle:  # no bytes copy of the block
            pickle.dump(raw, handle, protocol=5)
        blocks.count = i + 1
        del raw, kept, once
        _give_back()
    blocks.file_issues = _merge_file_issues(file_parts, blocks.count)
    for table, parts in hashes.items():
        every = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
        values, n = np.unique(every, return_counts=True)
        blocks.duplicates[table] = values[n > 1]
        notes += int(n[n > 1].sum())
    blocks.counts = counts
    blocks.notes = notes + len(blocks.file_issues)
    blocks.save()
    return blocks

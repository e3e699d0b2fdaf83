"""Splitting a text export into chunk files of complete records, in one streaming pass.

Used by :func:`analysis.readers.blocks.read_blocks`: a CSV (or every CSV of an ODK
Central zip) is cut at record ends (outside quotes) into chunks of ``block_records`` main
records, each chunk with the file's header; the rows of a repeat file go to the chunk of
their main record (``PARENT_KEY``'s root is the main record's ``KEY``). For each chunk
and file, the file rows of the chunk's records are kept, so that rows read from a chunk
can be given back their place in the whole file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..errors import ReadError
from .csv import DELIMITERS, sniff_delimiter

__all__ = ["records", "split_export"]


def _state(text: str, state: str) -> str:
    """The CSV parser's quote state after ``text`` (see :func:`..csv.ends_open_quote`)."""
    for ch in text:
        ends = ch in ",;\t|\r\n"
        if state == "quoted":
            if ch == '"':
                state = "quote"
        elif state == "quote":
            state = "quoted" if ch == '"' else ("start" if ends else "plain")
        elif state == "start":
            state = "quoted" if ch == '"' else ("start" if ends else "plain")
        elif ends:
            state = "start"
    return state


def records(stream: IO[bytes]) -> Iterator[bytes]:
    """Logical CSV records of a byte stream, each with its line end (quote-aware).

    >>> list(records(io.BytesIO(b'a,b\\n1,"x\\ny"\\n2,z')))
    [b'a,b\\n', b'1,"x\\ny"\\n', b'2,z']
    """
    pending: list[bytes] = []
    state = "start"
    for line in stream:
        if not pending and b'"' not in line:
            yield line
            continue
        if not pending and line.count(b'"') % 2 == 0:
            yield line
            continue
        state = _state(line.decode("latin-1"), state)
        pending.append(line)
        if state != "quoted":
            yield b"".join(pending)
            pending, state = [], "start"
    if pending:
        yield b"".join(pending)


def _fields(record: bytes, delimiter: str) -> list[str]:
    """The fields of one record (text as latin-1: delimiters and quotes are ASCII)."""
    if b'"' not in record:  # no quoting: a plain split
        return record.rstrip(b"\r\n").decode("latin-1").split(delimiter)
    return next(
        csv.reader(io.StringIO(record.decode("latin-1"), newline=""), delimiter=delimiter), []
    )


def _blank(record: bytes) -> bool:
    return not record.strip(b" \t\r\n\xef\xbb\xbf" + "".join(DELIMITERS).encode())


class _Sink:
    """The chunk files: one .csv per chunk, or one stored zip per chunk."""

    def __init__(self, folder: Path, suffix: str, zipped: bool) -> None:
        self.folder, self.suffix, self.zipped = folder, suffix, zipped
        self.paths: list[Path] = []
        self.zips: list[zipfile.ZipFile] = []
        self.handles: list[IO[bytes]] = []
        self.rows: list[dict[str | None, list[np.ndarray]]] = []

    def add(self) -> None:
        path = self.folder / f"chunk-{len(self.paths):05d}{self.suffix}"
        self.paths.append(path)
        self.rows.append({})
        if self.zipped:
            self.zips.append(zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED))
        self.handles.append(None)  # type: ignore[arg-type]

    def open(self, k: int, member: str | None, prefix: bytes, header_row: int) -> None:
        if self.zipped:
            handle = self.zips[k].open(member or "", "w", force_zip64=True)
        else:
            handle = self.paths[k].open("wb")
        handle.write(prefix)
        self.handles[k] = handle
        # the rows of the chunk's header (and blank lines before it) are the file's
        self.rows[k].setdefault(member, [np.arange(1, header_row + 1, dtype=np.int64)])

    def close_all(self) -> None:
        for k, handle in enumerate(self.handles):
            if handle is not None:
                handle.close()
                self.handles[k] = None  # type: ignore[call-overload]

    def finish(self) -> None:
        self.close_all()
        for z in self.zips:
            z.close()


def _prefix(lines: Iterator[bytes]) -> tuple[bytes, int]:
    """The leading blank lines and the header record; the header's row."""
    parts: list[bytes] = []
    for record in lines:
        parts.append(record)
        if not _blank(record):
            break
    return b"".join(parts), len(parts)


def _split_main(
    stream: IO[bytes], sink: _Sink, member: str | None, block_records: int, key_column: str | None
) -> tuple[list[np.ndarray], int]:
    """Main records in runs of ``block_records``; the hashes of each chunk's keys."""
    lines = records(stream)
    prefix, header_row = _prefix(lines)
    delimiter = sniff_delimiter(prefix.decode("latin-1"))
    headers = [
        h.strip().strip('"').replace("\ufeff", "")
        for h in _fields(prefix.lstrip(b"\r\n"), delimiter)
    ]
    where = headers.index(key_column) if key_column in headers else None
    hashes: list[np.ndarray] = []
    keys: list[str] = []
    chunk_rows: list[int] = []
    k, count, row = 0, 0, header_row

    def close_chunk() -> None:
        sink.rows[k][member].append(np.asarray(chunk_rows, dtype=np.int64))
        hashes.append(
            pd.util.hash_array(np.asarray(keys, dtype=object))
            if where is not None
            else np.zeros(0, np.uint64)
        )

    sink.add()
    sink.open(0, member, prefix, header_row)
    for record in lines:
        row += 1
        if count == block_records:
            close_chunk()
            k, count, keys, chunk_rows = k + 1, 0, [], []
            sink.add()
            sink.open(k, member, prefix, header_row)
        sink.handles[k].write(record)
        chunk_rows.append(row)
        count += 1
        if where is not None and not _blank(record):
            values = _fields(record, delimiter)
            keys.append(values[where].strip() if where < len(values) else "")
    close_chunk()
    sink.close_all()
    return hashes, header_row


def _split_repeat(
    stream: IO[bytes], sink: _Sink, member: str, lookup: tuple[np.ndarray, np.ndarray]
) -> None:
    """A repeat's records to the chunks of their main records (``PARENT_KEY``'s root)."""
    lines = records(stream)
    prefix, header_row = _prefix(lines)
    delimiter = sniff_delimiter(prefix.decode("latin-1"))
    headers = [
        h.strip().strip('"').replace("\ufeff", "")
        for h in _fields(prefix.lstrip(b"\r\n"), delimiter)
    ]
    where = headers.index("PARENT_KEY") if "PARENT_KEY" in headers else None
    for k in range(len(sink.paths)):
        sink.open(k, member, prefix, header_row)
    sorted_hashes, chunk_of = lookup
    rows: list[list[int]] = [[] for _ in sink.paths]
    last = 0
    row = header_row
    batch: list[tuple[int, bytes, str]] = []

    def flush() -> None:
        nonlocal last
        if not batch:
            return
        roots = np.asarray([b[2] for b in batch], dtype=object)
        h = pd.util.hash_array(roots)
        at = np.searchsorted(sorted_hashes, h)
        at = np.minimum(at, max(len(sorted_hashes) - 1, 0))
        found = (sorted_hashes[at] == h) if len(sorted_hashes) else np.zeros(len(h), bool)
        for (r, record, root), hit, pos in zip(batch, found, at, strict=True):
            k = int(chunk_of[pos]) if hit and root else last
            last = k
            sink.handles[k].write(record)
            rows[k].append(r)
        batch.clear()

    for record in lines:
        row += 1
        root = ""
        if where is not None and not _blank(record):
            values = _fields(record, delimiter)
            root = values[where].strip().split("/", 1)[0] if where < len(values) else ""
        batch.append((row, record, root))
        if len(batch) >= 50_000:
            flush()
    flush()
    for k in range(len(sink.paths)):
        sink.rows[k][member].append(np.asarray(rows[k], dtype=np.int64))
    sink.close_all()


def split_export(
    path: Path, folder: Path, block_records: int
) -> tuple[list[Path], list[dict[str | None, np.ndarray]], int]:
    """Chunk files of ``path`` and, per chunk and member, the file rows of its records."""
    folder.mkdir(parents=True, exist_ok=True)
    if not zipfile.is_zipfile(path):
        sink = _Sink(folder, path.suffix or ".csv", zipped=False)
        with path.open("rb") as stream:
            _split_main(stream, sink, None, block_records, None)
        sink.finish()
        return sink.paths, [{m: np.concatenate(v) for m, v in r.items()} for r in sink.rows], 0
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        tables = [
            m.filename for m in members
            if m.filename.lower().endswith(".csv") and not m.filename.startswith("media/")
            and not (m.filename.startswith("__MACOSX/") or m.filename.rsplit("/", 1)[-1].startswith("._"))
        ]  # fmt: skip
        headers = {}
        for name in tables:
            with archive.open(name) as stream:
                headers[name] = stream.read(65536).split(b"\n", 1)[0]
        mains = [n for n in tables if b"PARENT_KEY" not in headers[n]]
        main = min(mains, key=lambda n: (len(n), n)) if mains else None
        repeats = [n for n in sorted(tables) if n != main]
        if main is None or any(b"PARENT_KEY" not in headers[n] for n in repeats):
            raise ReadError(
                "RD060",
                "the zip cannot be read in blocks: it has no main CSV, or a second table "
                "without PARENT_KEY",
                file=path,
                hint='Set [pipeline] block_mode = "never" to read it whole.',
            )
        sink = _Sink(folder, ".zip", zipped=True)
        with archive.open(main) as stream:
            hashes, _ = _split_main(stream, sink, main, block_records, "KEY" if repeats else None)
        others = [m.filename for m in members if m.filename not in tables]
        for name in others:  # placeholders: the first chunk says what the zip held
            sink.zips[0].writestr(name, b"")
        chunk_of = np.concatenate(
            [np.full(len(h), k, dtype=np.int64) for k, h in enumerate(hashes)]
        )
        every = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
        order = np.argsort(every, kind="stable")
        lookup = (every[order], chunk_of[order])
        del hashes, every, chunk_of
        for name in repeats:
            with archive.open(name) as stream:
                _split_repeat(stream, sink, name, lookup)
        sink.finish()
    return (
        sink.paths,
        [{m: np.concatenate(v) for m, v in r.items()} for r in sink.rows],
        len(repeats),
    )

"""CSV exports: encoding, delimiter, line endings, ragged and truncated rows.

The encoding is detected (UTF-8, UTF-8 with BOM, GBK, GB18030, ...; see
:mod:`analysis.readers.encoding`) unless given. The delimiter is sniffed among
``,`` ``;`` tab and ``|`` from the header line (outside quotes). Records are parsed
with Python's :mod:`csv` module (quotes, embedded newlines, ``\\r\\n``, ``\\n`` and
``\\r`` line endings, mixed). Nothing is dropped: fields beyond the header go to an
``_extra`` column, short rows are padded, blank rows are skipped and counted, and
each of these is logged.

Examples
--------
>>> import tempfile, pathlib
>>> from analysis.readers.issues import IssueLog
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hh.csv"
>>> _ = path.write_bytes("户主;人口\\r\\n张三;4\\r\\n".encode("gbk"))
>>> table = read_csv_table(path, log=IssueLog())
>>> table.headers, table.encoding, table.delimiter, table.rows.tolist()
(['户主', '人口'], 'gbk', ';', [2])
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ReadError
from .encoding import decode_marked, looks_utf16
from .faults import drop_repeated_headers, locate_undecodable
from .issues import IssueLog
from .table import SourceTable, columns_frame

__all__ = ["DELIMITERS", "EXTRA_COLUMN", "parse_csv_text", "read_csv_table", "sniff_delimiter"]

DELIMITERS = (",", ";", "\t", "|")
#: Column receiving the fields of a row beyond the header (joined by the delimiter).
EXTRA_COLUMN = "_extra"

_QUOTED = re.compile(r'"[^"]*"')


def _outside_quotes(text: str) -> str:
    return _QUOTED.sub("", text)


def _first_record(text: str) -> str:
    """The header record (up to the first line end outside quotes)."""
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif ch in "\r\n" and not in_quote:
            return text[:i]
    return text


def ends_open_quote(text: str) -> bool:
    r"""True when a quoted field is still open at the end of the text.

    Examples
    --------
    >>> ends_open_quote('a,b\n1,"x\n2,y\n'), ends_open_quote('a,b\n5\'10",x\n'), ends_open_quote('a\n"say ""hi"", ok"\n')
    (True, False, False)
    """
    state = "start"
    for ch in text:
        ends = ch in ",;\t|\r\n"
        if state == "quoted":
            if ch == '"':
                state = "quote"
        elif state == "quote":  # a quote inside a quoted field: doubled, or the closing one
            state = "quoted" if ch == '"' else ("start" if ends else "plain")
        elif state == "start":
            state = "quoted" if ch == '"' else ("start" if ends else "plain")
        elif ends:
            state = "start"
    return state == "quoted"


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text, from its header line.

    Examples
    --------
    >>> sniff_delimiter('"a;b";"c"\\n1;2')
    ';'
    >>> sniff_delimiter("name,age\\n")
    ','
    """
    header = _outside_quotes(_first_record(text))
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best if counts[best] > 0 else ","


def _line_endings(text: str) -> dict[str, int]:
    crlf = text.count("\r\n")
    counts = {"\\r\\n": crlf, "\\n": text.count("\n") - crlf, "\\r": text.count("\r") - crlf}
    if sum(1 for v in counts.values() if v) < 2:
        return counts  # one kind only: no need to look inside quotes
    bare = _outside_quotes(text)
    crlf = bare.count("\r\n")
    return {"\\r\\n": crlf, "\\n": bare.count("\n") - crlf, "\\r": bare.count("\r") - crlf}


def fast_parse(text: str, delimiter: str) -> tuple[list[str], pd.DataFrame, np.ndarray] | None:
    """Parse a well-formed CSV with pyarrow; ``None`` when anything is unusual.

    Unusual (then :func:`parse_csv_text` parses it and reports what it finds): an odd
    number of double quotes, no line break at the end, blank lines, a row whose field count differs from the
    header's, a single-column file, anything pyarrow rejects.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if text.count('"') % 2 or not text.strip() or not text.endswith(("\n", "\r")):
        return None
    header = next(csv.reader(io.StringIO(_first_record(text), newline=""), delimiter=delimiter), [])
    width = len(header)
    if width < 2:
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    if table.num_columns != width or table.num_rows == 0:
        return None
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)
    frame.columns = range(width)
    if [str(v) for v in frame.iloc[0]] != header:
        return None
    body = frame.iloc[1:].reset_index(drop=True)
    if len(body) and (body == "").all(axis=1).any():
        return None  # blank lines: let the careful parser count them
    return header, body, np.arange(2, len(body) + 2, dtype="int64")


def parse_csv_text(
    text: str,
    delimiter: str,
    *,
    log: IssueLog,
    label: str,
    file: str,
) -> tuple[list[str], list[list[str]], list[int]]:
    """Parse CSV text into (headers, records, source rows), logging row problems."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        records = list(reader)
    except csv.Error as exc:  # e.g. NUL inside a field
        raise ReadError(
            "RD019",
            f"the file cannot be parsed as CSV ({exc})",
            file=file,
            row=reader.line_num or None,
            hint="Check that this is a text export (not a binary file renamed .csv).",
        ) from None
    leading = 0
    while leading < len(records) and not any(records[leading]):
        leading += 1  # blank lines before the header
    records = records[leading:]
    if not records:
        raise ReadError(
            "RD004",
            "the file is empty (no header row)",
            file=file,
            expected="a header row with the column names, then one row per record",
            found="nothing but blank lines",
            hint="Export the data again; check the download finished.",
        )
    header_row = leading + 1
    headers = records[0]
    width = len(headers)
    body: list[list[str]] = []
    rows: list[int] = []
    blank = 0
    long_rows: list[tuple[int, list[str]]] = []
    short_rows: list[tuple[int, int]] = []
    for index, record in enumerate(records[1:], start=header_row + 1):
        if not record or all(not cell.strip() for cell in record):
            # an empty line, or a row of empty cells (Excel saves ",,,," rows): no data
            blank += 1
            continue
        if len(record) > width:
            long_rows.append((index, record[width:]))
        elif len(record) < width:
            short_rows.append((index, len(record)))
            record = record + [""] * (width - len(record))
        body.append(record)
        rows.append(index)
    if blank:
        log.add("RD145", f"{blank} blank row(s) (no value in any cell) skipped", table=label)
    extra_values: dict[int, str] = {}
    if long_rows:
        for index, extra in long_rows:
            extra_values[index] = delimiter.join(extra)
            log.add(
                "RD140",
                f"row has {width + len(extra)} fields, the header {width}; the extra fields are kept in column '{EXTRA_COLUMN}'",
                table=label,
                row=index,
                column=EXTRA_COLUMN,
                value=delimiter.join(extra),
            )
    ends_open = not text.endswith(("\n", "\r"))
    if short_rows:
        last_row = rows[-1] if rows else None
        for index, n in short_rows:
            if index == last_row and ends_open:
                log.add(
                    "RD142",
                    f"the file ends in the middle of the last record ({n} of {width} fields): the export may be truncated",
                    table=label,
                    row=index,
                )
            else:
                log.add(
                    "RD141",
                    f"row has {n} fields, the header {width}; the missing fields are left empty",
                    table=label,
                    row=index,
                )
    if ends_open and rows and not (short_rows and short_rows[-1][0] == rows[-1]):
        # Excel, ODK and Kobo end a file with a line break: one that stops without it may
        # have been cut inside its last record's last value (a truncated download or copy)
        log.add(
            "RD149",
            "the file does not end with a line break: its last record may be cut off "
            "(check that the download or copy finished)",
            table=label,
            row=rows[-1],
        )
    if text.count('"') % 2 == 1:
        # An unclosed quote swallows the rest of the file into one field: find it.
        for index, record in zip(rows[::-1], body[::-1], strict=True):
            hit = [v for v in record if "\n" in v or "\r" in v]
            if hit and ends_open_quote(text):
                log.add(
                    "RD143",
                    "a quote opened in this row is never closed: the rest of the file was read as one value",
                    table=label,
                    row=index,
                    value=hit[0][:200],
                )
                break
    doubtful = sum(1 for _, n in short_rows if n == 1)
    if width == 1 and body:
        others = [d for d in DELIMITERS if d != delimiter and any(d in r[0] for r in body[:50])]
        if others:
            log.add(
                "RD147",
                f"the header has one column, but the rows contain {others[0]!r}: is it the delimiter?",
                table=label,
                row=header_row,
            )
    elif body and doubtful > len(body) / 2:
        log.add(
            "RD147",
            f"most rows have one field while the header, split on {delimiter!r}, has {width}: the rows may use another delimiter",
            table=label,
        )
    if extra_values:
        headers = [*headers, EXTRA_COLUMN]
        body = [[*r[:width], extra_values.get(i, "")] for r, i in zip(body, rows, strict=True)]
    return headers, body, rows


def read_csv_table(
    path: Path | str,
    *,
    log: IssueLog,
    encoding: str | None = None,
    table: str | None = None,
    raw: bytes | None = None,
    member: str | None = None,
    label: str = "main",
) -> SourceTable:
    """Read one CSV file (or zip member given as ``raw`` bytes) into a SourceTable."""
    path = Path(path)
    file = f"{path}!{member}" if member else str(path)
    if raw is None:
        raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ReadError(
            "RD004",
            "the file is empty",
            file=file,
            expected="a header row, then one row per record",
            found=f"{len(raw)} byte(s), none of them data",
            hint="Export the data again; check the download or copy finished.",
        )
    if b"\x00" in raw[:4096] and not looks_utf16(raw):
        raise ReadError(
            "RD019",
            "the file is binary, not CSV text",
            file=file,
            found=f"first bytes {raw[:8]!r}",
            hint="Check the file type: an Excel, SPSS or zip file renamed .csv is read by its own extension.",
        )
    decoded = decode_marked(raw, encoding, file=file)
    text, used = decoded.text, decoded.encoding
    for code, message in decoded.notes:
        log.add(code, message, table=label)
    delimiter = sniff_delimiter(text)
    endings = {k: v for k, v in _line_endings(text).items() if v}
    if len(endings) > 1:
        log.add(
            "RD144",
            "mixed line endings: " + ", ".join(f"{v} x {k}" for k, v in endings.items()),
            table=label,
        )
    fast = fast_parse(text, delimiter)
    if fast is not None:
        headers, frame, rows_array = fast
    else:
        headers, body, rows = parse_csv_text(text, delimiter, log=log, label=label, file=file)
        frame, rows_array = columns_frame(body, len(headers)), np.asarray(rows, dtype="int64")
    frame, rows_array = drop_repeated_headers(headers, frame, rows_array, log=log, label=label)
    locate_undecodable(headers, frame, rows_array, decoded.bad, used, text, log=log, label=label)
    if not len(frame):
        log.add("RD146", "the file has a header but no records", table=label)
    return SourceTable(
        headers=[h.strip() for h in headers],
        frame=frame,
        rows=rows_array,
        path=str(path),
        table=table,
        member=member,
        encoding=used,
        delimiter=delimiter,
        label=label,
    )

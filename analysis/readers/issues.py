"""Reader-level issues: problems found in a file that do not stop the reading.

A reader raises a coded :class:`~analysis.errors.ReadError` (``RD0xx``) only when it
cannot produce a table at all. Everything else (an unknown column, a value that is
not a number, a repeat row without its parent, a guessed encoding) is *logged* with
an ``RD1xx`` code in one tidy table, :attr:`RawData.issues`, and the data is kept.

The table has one row per issue and the columns of :data:`ISSUE_COLUMNS`:

``code``      the RD1xx code (see ``docs/errors/readers.md``)
``severity``  ``error`` (a record needs attention), ``warning`` or ``info``
``table``     ``main`` or the repeat name
``row``       the row of the source (spreadsheet row, header = 1; case number for .sav/.dta)
``record``    the record key (``_key``) when known
``column``    the canonical column (or the source header for unknown columns)
``value``     the offending value, as text, exactly as in the source
``message``   what was found and what was done

Examples
--------
>>> log = IssueLog()
>>> log.add("RD101", "column 'x' is not a question of the form; kept", table="main", column="x")
>>> log.frame()[["code", "severity", "column"]].to_dict("records")
[{'code': 'RD101', 'severity': 'warning', 'column': 'x'}]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ISSUE_CODES", "ISSUE_COLUMNS", "IssueLog", "empty_issues"]

ISSUE_COLUMNS = ("code", "severity", "table", "row", "record", "column", "value", "message")

#: Every RD1xx issue code: (default severity, short title).
ISSUE_CODES: dict[str, tuple[str, str]] = {
    "RD101": ("warning", "column not in the instrument (kept under its source name)"),
    "RD102": ("warning", "question of the instrument absent from the file (empty column added)"),
    "RD103": ("warning", "duplicate or empty column header (renamed)"),
    "RD104": ("warning", "second source column for the same question (kept under its source name)"),
    "RD110": ("error", "value is not an integer (typed value empty; source text in 'value')"),
    "RD111": ("error", "value is not a number (typed value empty; source text in 'value')"),
    "RD112": ("error", "value is not a date (typed value empty; source text in 'value')"),
    "RD113": ("error", "value is not a date-time (typed value empty; source text in 'value')"),
    "RD114": ("info", "Excel date serial number converted to a date"),
    "RD115": ("warning", "dates written day or month first, no date order declared (refused)"),
    "RD116": ("error", "geopoint is not 'latitude longitude [altitude accuracy]'"),
    "RD117": ("info", "date-times with different UTC offsets converted to UTC"),
    "RD118": ("error", "select_multiple 0/1 column holds something else than 0/1"),
    "RD119": ("info", "number written with thousands separators or full-width digits"),
    "RD120": ("warning", "choice value not in the question's choice list (kept)"),
    "RD121": ("info", "choice labels mapped back to choice codes"),
    "RD122": ("warning", "select_multiple answer and its 0/1 column disagree (answer kept)"),
    "RD130": ("error", "duplicate record key (all records kept)"),
    "RD131": ("warning", "no record key column (keys made from row numbers)"),
    "RD132": ("error", "empty record key (key made from the row number)"),
    "RD133": ("error", "repeat record whose parent is not in the parent table (kept)"),
    "RD134": ("error", "repeat table without a parent-key column (records cannot be linked)"),
    "RD135": ("warning", "table does not match any repeat of the instrument (kept)"),
    "RD136": ("info", "repeat answers flattened into the main table unpacked into a repeat table"),
    "RD140": ("error", "row has more fields than the header (extra fields kept in '_extra')"),
    "RD141": ("error", "row has fewer fields than the header (missing fields left empty)"),
    "RD142": ("error", "file ends in the middle of a record (truncated file?)"),
    "RD143": ("error", "quote opened and never closed: the rest of the file is one value"),
    "RD144": ("info", "mixed line endings"),
    "RD145": ("info", "blank rows skipped"),
    "RD146": ("warning", "file has a header but no records"),
    "RD147": ("warning", "delimiter doubtful: one column only, or rows split differently"),
    "RD148": ("warning", "header line repeated inside the file (dropped, not read as a record)"),
    "RD149": ("warning", "file does not end with a line break: the last record may be cut off"),
    "RD150": ("warning", "encoding guessed (not UTF-8, not GBK/GB18030)"),
    "RD151": ("warning", "UTF-8 byte-order mark on a file that is not UTF-8"),
    "RD152": ("warning", "lines in different encodings (each line decoded on its own)"),
    "RD153": ("info", "'n/a' placeholders read as empty"),
    "RD154": ("warning", "declared encoding differs from what the bytes look like"),
    "RD155": ("warning", "another plausible encoding reads the bytes as other text"),
    "RD156": ("error", "bytes that are not text in the file's encoding (replaced by U+FFFD)"),
    "RD160": ("info", "file extension does not match the content (read by content)"),
    "RD161": ("error", "ODK Central submission without data (encrypted or missing)"),
    "RD162": ("info", "files of the zip that are not data tables (ignored)"),
    "RD163": ("info", "file holds a repeat table only; its parent table is elsewhere"),
    "RD164": ("info", "user-missing values kept as values"),
    "RD165": ("info", "zip member downloaded twice ('x (1).csv'), identical copies: read once"),
    "RD166": ("info", "macOS metadata members of the zip (__MACOSX/, ._*) ignored"),
    "RD167": ("warning", "repeat of the form without its CSV in the zip (table left empty)"),
}


def empty_issues() -> pd.DataFrame:
    """An issues table with no rows and the standard columns."""
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS})
    frame["row"] = frame["row"].astype("Int64")
    return frame


class IssueLog:
    """Collects issues while a file is read (vectorised for per-cell issues)."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self._frames: list[pd.DataFrame] = []

    def add(
        self,
        code: str,
        message: str,
        *,
        severity: str | None = None,
        table: str | None = None,
        row: int | None = None,
        record: Any = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        """Log one issue (``severity`` defaults to the code's)."""
        self._rows.append(
            {
                "code": code,
                "severity": severity or ISSUE_CODES[code][0],
                "table": table,
                "row": None if row is None else int(row),
                "record": record,
                "column": column,
                "value": None if value is None else str(value),
                "message": message,
            }
        )

    def add_cells(
        self,
        code: str,
        message: str,
        *,
        table: str,
        column: str,
        rows: Any,
        values: Any,
        severity: str | None = None,
    ) -> None:
        """Log one issue per cell (``rows`` and ``values`` aligned)."""
        rows = np.asarray(rows)
        if len(rows) == 0:
            return
        values = [
            "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values
        ]
        self._frames.append(
            pd.DataFrame(
                {
                    "code": code,
                    "severity": severity or ISSUE_CODES[code][0],
                    "table": table,
                    "row": rows.astype("int64"),
                    "record": None,
                    "column": column,
                    "value": values,
                    "message": message,
                }
            )
        )

    def retable(self, mapping: dict[str, str]) -> None:
        """Rename tables in the issues logged so far (source labels -> canonical tables)."""
        for row in self._rows:
            row["table"] = mapping.get(row["table"], row["table"])
        for frame in self._frames:
            frame["table"] = frame["table"].map(lambda t: mapping.get(t, t))

    def fill_records(self, keys: dict[str, dict[int, str]]) -> None:
        """Fill the ``record`` of issues that have a table and row, from ``{table: {row: key}}``."""
        for row in self._rows:
            if row["record"] is None and row["row"] is not None:
                row["record"] = keys.get(row["table"], {}).get(row["row"])
        for frame in self._frames:
            table = frame["table"].iloc[0] if len(frame) else None
            lookup = keys.get(table, {})
            if lookup:
                frame["record"] = frame["row"].map(lookup)

    def __len__(self) -> int:
        return len(self._rows) + sum(len(f) for f in self._frames)

    def frame(self) -> pd.DataFrame:
        """All issues so far, in the standard columns (object dtype)."""
        parts = [f.astype("object") for f in self._frames]
        if self._rows:
            parts.insert(0, pd.DataFrame(self._rows, columns=list(ISSUE_COLUMNS)).astype("object"))
        if not parts:
            return empty_issues()
        out = pd.concat(parts, ignore_index=True)[list(ISSUE_COLUMNS)]
        out["row"] = pd.array([None if pd.isna(r) else int(r) for r in out["row"]], dtype="Int64")
        return out

"""WriteReceipt: what a writer wrote, and every change it had to make on the way.

A receipt lists the files written (path, SHA-256, rows, columns) and a tidy
``notes`` table (``code, severity, file, table, column, message, original,
written``) of each rename, cut label, dropped value label, dropped or pseudonymised
PII column. Notes use ``WRT1xx`` codes (see ``docs/errors/writers.md``); errors that
stop a writer are raised as :class:`~analysis.errors.WriteError` (``WRT0xx``).

Examples
--------
>>> notes = Notes()
>>> notes.add("WRT101", "renamed to a valid SPSS/Stata name", column="meta-instanceID",
...           original="meta-instanceID", written="meta_instanceID")
>>> notes.frame()[["code", "written"]].to_dict("records")
[{'code': 'WRT101', 'written': 'meta_instanceID'}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["NOTE_CODES", "NOTE_COLUMNS", "Notes", "WriteReceipt", "WrittenFile"]

NOTE_COLUMNS = ("code", "severity", "file", "table", "column", "message", "original", "written")

#: Every WRT1xx note: (severity, title).
NOTE_CODES = {
    "WRT101": ("info", "column renamed to a valid SPSS/Stata variable name"),
    "WRT102": ("warning", "variable label cut to the format's limit"),
    "WRT103": ("warning", "value label cut to the format's limit"),
    "WRT104": ("warning", "value labels not written (Stata: text or non-integer values)"),
    "WRT105": ("warning", "user-missing values not written as missing (kept as labelled values)"),
    "WRT106": ("info", "select_one codes written as numbers (all codes are integers)"),
    "WRT107": ("warning", "column of mixed values written as text"),
    "WRT108": ("info", "PII column dropped"),
    "WRT109": ("info", "PII column pseudonymised with a salted hash"),
    "WRT110": ("warning", "file label cut to the format's limit"),
}


class Notes:
    """Collects notes while writing."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []

    def add(
        self,
        code: str,
        message: str,
        *,
        file: str | None = None,
        table: str | None = None,
        column: str | None = None,
        original: Any = None,
        written: Any = None,
    ) -> None:
        """Record one note."""
        self._rows.append(
            {
                "code": code,
                "severity": NOTE_CODES[code][0],
                "file": file,
                "table": table,
                "column": column,
                "message": message,
                "original": None if original is None else str(original),
                "written": None if written is None else str(written),
            }
        )

    def extend(self, other: Notes | pd.DataFrame) -> None:
        """Add the notes of another collection (or notes table)."""
        rows = other._rows if isinstance(other, Notes) else other.to_dict("records")
        self._rows.extend(dict(r) for r in rows)

    def frame(self) -> pd.DataFrame:
        """The notes as a table with :data:`NOTE_COLUMNS`."""
        return pd.DataFrame(self._rows, columns=list(NOTE_COLUMNS)).astype("object")


@dataclass(frozen=True)
class WrittenFile:
    """One file written."""

    path: Path
    format: str
    table: str
    rows: int
    columns: int
    sha256: str


@dataclass(frozen=True)
class WriteReceipt:
    """Files written and the notes of what had to change (see module doc)."""

    files: tuple[WrittenFile, ...] = ()
    notes: pd.DataFrame = field(default_factory=lambda: Notes().frame(), compare=False)
    #: ``{table: {canonical column: written name}}`` for SPSS/Stata files.
    names: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    def __add__(self, other: WriteReceipt) -> WriteReceipt:
        names = {**self.names}
        for table, mapping in other.names.items():
            names.setdefault(table, {}).update(mapping)
        return WriteReceipt(
            files=self.files + other.files,
            notes=pd.concat([self.notes, other.notes], ignore_index=True)
            if len(other.notes)
            else self.notes,
            names=names,
        )

    def paths(self) -> list[Path]:
        """Paths of the files written."""
        return [f.path for f in self.files]

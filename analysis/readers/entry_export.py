"""The data-entry app's own export: undo its formula guards, for an exact round trip.

The entry export (an ODK Central-shaped zip) puts one apostrophe in front of every cell
that would start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return after any
leading apostrophes and is not a plain number, so that Excel shows it as text. It marks
its files by ``DeviceID`` ``baicun-entry`` on every row of the main CSV. For such a file
(and only then) the reader removes exactly that one apostrophe from every cell of every
table, giving back the typed text exactly (no issue is logged: the file says what it did,
and the reading undoes it); a file with any other ``DeviceID`` is read as it stands.

Examples
--------
>>> unguard(["'=HYPERLINK(1)", "''=x", "'-x", "-5", "'普通", "普通"])
['=HYPERLINK(1)', "'=x", '-x', '-5', "'普通", '普通']
"""

from __future__ import annotations

import re

import pandas as pd

from .table import SourceTable

__all__ = ["ENTRY_DEVICE_ID", "restore_entry_export", "unguard"]

#: The ``DeviceID`` the entry export writes on every row of the main CSV.
ENTRY_DEVICE_ID = "baicun-entry"

_GUARD = re.compile(r"^'(?='*[=+\-@\t\r])")


def unguard(values: list[str]) -> list[str]:
    """The cells without the entry export's guarding apostrophe."""
    return [_GUARD.sub("", v, count=1) for v in values]


def _written_by_entry(table: SourceTable) -> bool:
    if "DeviceID" not in table.headers or not len(table):
        return False
    column = table.frame.iloc[:, table.headers.index("DeviceID")]
    return bool((column.astype("object") == ENTRY_DEVICE_ID).all())


def restore_entry_export(tables: list[SourceTable]) -> None:
    """Remove the guards of an entry export in place (all tables; the main one first)."""
    main = next((t for t in tables if t.table == "main"), None)
    if main is None or not _written_by_entry(main):
        return
    for table in tables:
        for j in range(table.frame.shape[1]):
            column = table.frame.iloc[:, j]
            text = column.astype("object")
            guarded = text.map(lambda v: isinstance(v, str) and v.startswith("'")).to_numpy()
            if guarded.any():
                fixed = text.where(~guarded, text.str.replace(_GUARD, "", n=1, regex=True))
                table.frame[table.frame.columns[j]] = pd.Series(fixed, dtype=column.dtype)

"""SourceTable: one table as it stands in the source, before the canonical layout.

Every format reader produces SourceTables; :mod:`analysis.readers.canonical` turns
them into the canonical frames of :class:`~analysis.readers.rawdata.RawData`.
Values are text exactly as in the file (``""`` for an empty cell), except for
.sav/.dta files whose values keep the type the file gives them (``native=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SourceTable", "columns_frame"]


@dataclass
class SourceTable:
    """One table of a source file.

    Attributes
    ----------
    headers : list of str
        Column headers as in the file (may repeat; may be empty strings).
    frame : DataFrame
        Values, columns positional (``0 .. len(headers) - 1``).
    rows : ndarray of int
        Source row of each record (spreadsheet row, header = 1; case number for .sav/.dta).
    path : str
        The file read.
    table : str or None
        The target table when the format says it (``main``, a repeat name), else
        ``None`` (inferred from the columns).
    member, sheet : str or None
        Zip member or worksheet the table comes from.
    native : bool
        Values keep the source's types (.sav/.dta) instead of text.
    column_meta : list of dict
        Per column (aligned with ``headers``): ``label``, ``value_labels``,
        ``user_missing`` read from the file (.sav/.dta).
    parent_table : str or None
        Parent table named by the file itself (Kobo ``_parent_table_name``).
    label : str
        How issues logged while reading name this table until it is known which
        canonical table it is (``file:<name>``, ``sheet:<name>``).
    link : dict or None
        For repeat records unpacked from flattened columns: ``parent_pos`` (row
        positions in the parent source), ``instance`` (key suffixes, or ``None`` to
        number them within their parent) and ``path`` (group path of the repeat).
    """

    headers: list[str]
    frame: pd.DataFrame
    rows: np.ndarray
    path: str
    table: str | None = None
    member: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    native: bool = False
    column_meta: list[dict[str, Any]] = field(default_factory=list)
    parent_table: str | None = None
    label: str = "main"
    link: dict[str, Any] | None = None
    file_label: str | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, index: int) -> pd.Series:
        """The values of column ``index``."""
        return self.frame.iloc[:, index]


def columns_frame(records: list[list[Any]], width: int) -> pd.DataFrame:
    """A positional frame of ``width`` text columns from rows of equal length.

    Examples
    --------
    >>> columns_frame([["1", "a"], ["2", "b"]], 2)[1].tolist()
    ['a', 'b']
    """
    if not records:
        return pd.DataFrame({i: pd.Series(dtype="str") for i in range(width)})
    columns = list(zip(*records, strict=True))
    return pd.DataFrame({i: pd.Series(col, dtype="str") for i, col in enumerate(columns)})

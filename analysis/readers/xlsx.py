"""Excel workbooks (.xlsx/.xlsm): every non-empty sheet as a table.

Cells are turned into the text an export would hold: numbers without a spurious
``.0`` (``12.0`` -> ``12``), dates and times in ISO 8601, booleans as ``TRUE``/
``FALSE``, formulas as their cached value. The first non-empty row of a sheet is
its header; rows keep their sheet row number; blank rows are skipped and counted.

Examples
--------
>>> import tempfile, pathlib, datetime
>>> from openpyxl import Workbook
>>> from analysis.readers.issues import IssueLog
>>> book = Workbook(); sheet = book.active; sheet.title = "data"
>>> sheet.append(["name", "age", "visit"]); sheet.append(["张三", 41.0, datetime.date(2024, 5, 1)])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hh.xlsx"; book.save(path)
>>> table = read_workbook(path, log=IssueLog())[0]
>>> table.frame.iloc[0].tolist(), table.rows.tolist(), table.sheet
(['张三', '41', '2024-05-01T00:00:00'], [2], 'data')
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ReadError
from .csv import EXTRA_COLUMN
from .issues import IssueLog
from .table import SourceTable, columns_frame

__all__ = ["cell_text", "read_workbook"]


def cell_text(value: Any) -> str:
    """The text of one Excel cell value.

    Examples
    --------
    >>> cell_text(3.0), cell_text(2.5), cell_text(None), cell_text(True)
    ('3', '2.5', '', 'TRUE')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def read_workbook(path: Path | str, *, log: IssueLog) -> list[SourceTable]:
    """Every non-empty sheet of a workbook, in sheet order."""
    from openpyxl import load_workbook

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ReadError(
            "RD010",
            f"the workbook cannot be opened ({type(exc).__name__}: {exc})",
            file=path,
            hint="Open and re-save it in Excel or LibreOffice as .xlsx; check it is not password-protected or truncated.",
        ) from None
    tables: list[SourceTable] = []
    try:
        names = book.sheetnames
        if {"survey", "choices"} <= {n.lower() for n in names}:
            raise ReadError(
                "RD012",
                "this workbook is an XLSForm (sheets 'survey' and 'choices'), not data",
                file=path,
                expected="an export of submitted records",
                found="sheets " + ", ".join(names),
                hint="Pass the form as instrument= and the data export as the path.",
            )
        for sheet in book.worksheets:
            table = _read_sheet(sheet, path, log)
            if table is not None:
                tables.append(table)
    finally:
        book.close()
    if not tables:
        raise ReadError(
            "RD011",
            "the workbook has no data: every sheet is empty",
            file=path,
            hint="Export the data again; check you saved the right workbook.",
        )
    return tables


def _read_sheet(sheet: Any, path: Path, log: IssueLog) -> SourceTable | None:
    header: list[str] | None = None
    body: list[list[str]] = []
    rows: list[int] = []
    blank = 0
    pending = 0  # blank rows not yet followed by data (trailing blanks are not reported)
    extras: dict[int, str] = {}
    for index, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [cell_text(v) for v in values]
        while cells and cells[-1] == "":
            cells.pop()
        if header is None:
            if cells:
                header = cells
            continue
        if not cells:
            pending += 1
            continue
        blank, pending = blank + pending, 0
        width = len(header)
        if len(cells) > width:
            extras[index] = "\t".join(cells[width:])
            log.add(
                "RD140",
                f"row has values beyond the last header column; kept in column '{EXTRA_COLUMN}'",
                table=f"sheet:{sheet.title}", row=index, column=EXTRA_COLUMN, value=extras[index],
            )  # fmt: skip
            cells = cells[:width]
        body.append(cells + [""] * (width - len(cells)))
        rows.append(index)
    if header is None:
        return None
    if blank:
        log.add(
            "RD145",
            f"{blank} blank row(s) skipped in sheet {sheet.title!r}",
            table=f"sheet:{sheet.title}",
        )
    if not body:
        log.add(
            "RD146",
            f"sheet {sheet.title!r} has a header but no records",
            table=f"sheet:{sheet.title}",
        )
    headers = list(header)
    if extras:
        headers.append(EXTRA_COLUMN)
        body = [[*r, extras.get(i, "")] for r, i in zip(body, rows, strict=True)]
    return SourceTable(
        headers=[h.strip() for h in headers],
        frame=columns_frame(body, len(headers)),
        rows=np.asarray(rows, dtype="int64"),
        path=str(path),
        sheet=sheet.title,
        label=f"sheet:{sheet.title}",
    )

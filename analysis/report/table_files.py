"""Each report table as its own files, for copying: CSV (Excel-readable UTF-8) and XLSX.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from analysis.report.tables import report_table
>>> t = report_table(pd.DataFrame({"county": ["甲县"], "estimate": [0.5], "n": [30]}))
>>> paths = write_table_files(t, pathlib.Path(tempfile.mkdtemp()) / "表1_示例", title="表1 示例")
>>> [p.suffix for p in paths]
['.csv', '.xlsx']
>>> paths[0].read_text(encoding="utf-8-sig").splitlines()[0]
'县,比例,样本量'
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from ..errors import ReportError
from ..office.package import workbook_bytes
from ..office.widths import text_width
from .tables import ReportTable

__all__ = ["write_table_files"]


def _xlsx(table: ReportTable, title: str | None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "table"
    frame = table.frame
    row0 = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True)
        row0 = 3
    thin, thick = Side(style="thin"), Side(style="medium")
    for j, col in enumerate(frame.columns, start=1):
        c = ws.cell(row=row0, column=j, value=str(col))
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
        c.border = Border(top=thick, bottom=thin)
    last = row0 + len(frame)
    for i, values in enumerate(frame.itertuples(index=False), start=row0 + 1):
        for j, v in enumerate(values, start=1):
            c = ws.cell(row=i, column=j, value=str(v))
            c.alignment = Alignment(horizontal="left" if j <= table.label_columns else "center")
            if i == last:
                c.border = Border(bottom=thick)
    for j, col in enumerate(frame.columns, start=1):
        cells = [str(col), *map(str, frame[col])]
        width = max(text_width(s) for s in cells)
        ws.column_dimensions[ws.cell(row=row0, column=j).column_letter].width = width + 3
    if table.note:
        ws.cell(row=last + 1, column=1, value=table.note)
    return workbook_bytes(wb)


def write_table_files(
    table: ReportTable, path_stem: str | Path, *, title: str | None = None
) -> list[Path]:
    """Write ``<stem>.csv`` (UTF-8 with BOM, so Excel shows Chinese) and ``<stem>.xlsx``."""
    stem = Path(path_stem)
    csv = stem.with_name(stem.name + ".csv")
    xlsx = stem.with_name(stem.name + ".xlsx")
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        csv.write_bytes(table.frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
        xlsx.write_bytes(_xlsx(table, title))
    except OSError as exc:
        raise ReportError(
            "REP015",
            f"cannot write the table files: {exc.strerror}",
            file=stem.parent,
            hint="Close the files in Excel and check that the folder is writable.",
        ) from None
    return [csv, xlsx]

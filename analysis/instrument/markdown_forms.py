"""Markdown-table XLSForms as the reviewable source of a study's ``.xlsx`` instruments.

An instrument is edited as a markdown-table XLSForm (``surveys/household.md``), the
format pyxform reads natively: one table per sheet, the sheet name in the first
column. The ``.xlsx`` beside it, which ODK Central, KoboToolbox and the toolkit read, is
generated from it and never edited by hand. The direction is one way: markdown -> xlsx.

Only pyxform reads the markdown (:func:`pyxform.xls2json_backends.md_table_to_workbook`);
this module styles and saves the workbook so that the same markdown always gives the
same bytes (fixed document dates and zip timestamps), which keeps the committed
``.xlsx`` free of spurious diffs. :func:`source_drift` compares the two files the way
pyxform reads them, cell by cell.

Rebuild from the command line (no ``baicun`` command needed)::

    python -m analysis.instrument.markdown_forms surveys/*.md          # write the .xlsx beside each
    python -m analysis.instrument.markdown_forms --check surveys/*.md  # exit 1 when one is stale

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> md = folder / "mini.md"
>>> _ = md.write_text('''
... | survey | type    | name | label::中文 (zh) | label::English (en) |
... |--------|---------|------|-----------------|---------------------|
... |        | integer | age  | 年龄             | Age                 |
... ''', encoding="utf-8")
>>> markdown_to_xlsx(md, folder / "mini.xlsx").name
'mini.xlsx'
>>> len(source_drift(md, folder / "mini.xlsx"))
0
>>> _ = md.write_text(md.read_text(encoding="utf-8").replace("Age ", "Age in years"), encoding="utf-8")
>>> source_drift(md, folder / "mini.xlsx")[["sheet", "row", "column", "markdown", "xlsx"]].to_dict("records")
[{'sheet': 'survey', 'row': 2, 'column': 'label::English (en)', 'markdown': 'Age in years', 'xlsx': 'Age'}]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import md_table_to_workbook, md_to_dict, xlsx_to_dict

from ..errors import BaicunError, InstrumentError
from ..office.package import workbook_bytes

__all__ = ["DRIFT_COLUMNS", "main", "markdown_to_xlsx", "source_drift"]

#: Columns of the table returned by :func:`source_drift`.
DRIFT_COLUMNS = ("sheet", "row", "column", "markdown", "xlsx")

#: Document dates written into every generated workbook (keeps the bytes reproducible).
_FIXED_DATE = dt.datetime(2024, 1, 1)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
_MIN_WIDTH, _MAX_WIDTH = 6, 60


def markdown_to_xlsx(md_path: str | Path, xlsx_path: str | Path | None = None) -> Path:
    """Write the ``.xlsx`` XLSForm of a markdown-table XLSForm and return its path.

    The markdown is read by pyxform's own reader; every cell is written as text, so
    codes such as ``01`` or versions such as ``2024.10`` survive unchanged. The header
    row is bold and frozen and the columns are sized to their content. The same
    markdown always produces the same bytes.

    Parameters
    ----------
    md_path : str or Path
        The markdown-table XLSForm (UTF-8).
    xlsx_path : str or Path, optional
        Where to write; default: beside ``md_path`` with the suffix ``.xlsx``.

    Returns
    -------
    Path
        The written workbook.

    Raises
    ------
    InstrumentError
        ``INS901`` when the markdown cannot be read, ``INS902`` when pyxform finds no
        XLSForm tables in it, ``INS903`` when the workbook cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> md = pathlib.Path(tempfile.mkdtemp()) / "form.md"
    >>> _ = md.write_text("| survey | type | name |\\n|  | text | village_name |\\n", encoding="utf-8")
    >>> out = markdown_to_xlsx(md)
    >>> out.suffix, out.read_bytes() == markdown_to_xlsx(md).read_bytes()
    ('.xlsx', True)
    """
    md_path = Path(md_path)
    xlsx_path = md_path.with_suffix(".xlsx") if xlsx_path is None else Path(xlsx_path)
    if xlsx_path.suffix.lower() != ".xlsx":
        raise InstrumentError(
            "INS903",
            "the generated workbook must be an .xlsx file",
            file=xlsx_path,
            expected="a path ending in .xlsx",
            found=xlsx_path.suffix or "no suffix",
            hint="Give the output a .xlsx name, or leave it out to write beside the markdown.",
        )
    workbook = _styled(_pyxform_workbook(md_path))
    data = workbook_bytes(workbook, document_date=None)  # keeps _FIXED_DATE
    tmp = xlsx_path.with_name(f".{xlsx_path.name}.tmp")
    try:
        xlsx_path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(xlsx_path)
    except OSError as err:
        raise InstrumentError(
            "INS903",
            "cannot write the generated workbook",
            file=xlsx_path,
            found=f"{type(err).__name__}: {err.strerror or err}",
            hint="Check that the folder exists and is writable and that the file is not open in Excel.",
        ) from err
    return xlsx_path


def source_drift(md_path: str | Path, xlsx_path: str | Path) -> pd.DataFrame:
    """Every cell where a markdown XLSForm and its ``.xlsx`` differ, as pyxform reads them.

    Parameters
    ----------
    md_path, xlsx_path : str or Path
        The markdown source and the workbook generated from it.

    Returns
    -------
    DataFrame
        One row per difference with columns ``sheet``, ``row`` (the spreadsheet row,
        header = 1; 1 also for differences in the header or the list of sheets),
        ``column``, ``markdown`` and ``xlsx`` (``None`` where the cell is empty or the
        sheet is absent). Empty when the two files give the same form.

    Raises
    ------
    InstrumentError
        ``INS901``/``INS902`` when the markdown cannot be read, ``INS904`` when the
        workbook cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> md = pathlib.Path(tempfile.mkdtemp()) / "f.md"
    >>> _ = md.write_text("| survey | type | name |\\n|  | text | a |\\n", encoding="utf-8")
    >>> list(source_drift(md, markdown_to_xlsx(md)).columns)
    ['sheet', 'row', 'column', 'markdown', 'xlsx']
    """
    md = _read_form(md_path, md_to_dict, "INS902")
    xl = _read_form(xlsx_path, xlsx_to_dict, "INS904")
    rows: list[dict[str, Any]] = []
    md_names, xl_names = list(md.get("sheet_names", [])), list(xl.get("sheet_names", []))
    if md_names != xl_names:
        rows.append(_diff("(workbook)", 1, "sheet names", md_names, xl_names))
    for sheet in sorted({k for k in (*md, *xl) if _is_sheet(k)}):
        if sheet not in md or sheet not in xl:
            rows.append(
                _diff(
                    sheet,
                    1,
                    "(sheet)",
                    sheet if sheet in md else None,
                    sheet if sheet in xl else None,
                )
            )
            continue
        md_head, xl_head = _header(md, sheet), _header(xl, sheet)
        if md_head != xl_head:
            rows.append(_diff(sheet, 1, "(header)", md_head, xl_head))
        md_rows, xl_rows = md[sheet], xl[sheet]
        for i in range(max(len(md_rows), len(xl_rows))):
            left = md_rows[i] if i < len(md_rows) else {}
            right = xl_rows[i] if i < len(xl_rows) else {}
            for column in [*left, *(c for c in right if c not in left)]:
                if left.get(column) != right.get(column):
                    rows.append(_diff(sheet, i + 2, column, left.get(column), right.get(column)))
    return pd.DataFrame(rows, columns=list(DRIFT_COLUMNS))


def main(argv: Sequence[str] | None = None) -> int:
    """Rebuild (or with ``--check`` compare) the ``.xlsx`` beside each markdown XLSForm.

    Returns 0 when all is well, 1 when ``--check`` finds a missing or stale workbook,
    2 on an error (printed without a traceback).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> md = pathlib.Path(tempfile.mkdtemp()) / "f.md"
    >>> _ = md.write_text("| survey | type | name |\\n|  | text | a |\\n", encoding="utf-8")
    >>> main(["--check", str(md)])  # doctest: +ELLIPSIS
    missing: ...f.xlsx (run without --check to build it)
    1
    >>> main([str(md)])  # doctest: +ELLIPSIS
    wrote ...f.xlsx
    0
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis.instrument.markdown_forms",
        description="Build the .xlsx XLSForm beside each markdown-table XLSForm (markdown is the source).",
    )
    parser.add_argument(
        "markdown", nargs="+", type=Path, help="markdown-table XLSForms, e.g. surveys/*.md"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a workbook is missing or differs",
    )
    args = parser.parse_args(argv)
    status = 0
    try:
        for md in args.markdown:
            xlsx = md.with_suffix(".xlsx")
            if not args.check:
                print(f"wrote {markdown_to_xlsx(md, xlsx)}")
            elif not xlsx.exists():
                print(f"missing: {xlsx} (run without --check to build it)")
                status = 1
            else:
                drift = source_drift(md, xlsx)
                if len(drift):
                    print(f"stale: {xlsx} differs from {md} in {len(drift)} cells, first:")
                    print(drift.head(5).to_string(index=False))
                    status = 1
                else:
                    print(f"ok: {xlsx}")
    except BaicunError as err:
        print(f"error\n{err}", file=sys.stderr)
        return 2
    return status


# --- reading ---------------------------------------------------------------------------------


def _read_markdown(md_path: Path) -> str:
    try:
        return md_path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InstrumentError(
            "INS901",
            "markdown XLSForm not found",
            file=md_path,
            hint="Check the path; instruments live in the study's surveys/ folder.",
        ) from err
    except UnicodeDecodeError as err:
        raise InstrumentError(
            "INS901",
            "the markdown XLSForm is not UTF-8 text",
            file=md_path,
            expected="UTF-8",
            found=f"undecodable byte at position {err.start}",
            hint="Save the file as UTF-8 (editors call it 'UTF-8' or 'Unicode (UTF-8)').",
        ) from err
    except OSError as err:
        raise InstrumentError(
            "INS901",
            "cannot read the markdown XLSForm",
            file=md_path,
            found=f"{type(err).__name__}: {err.strerror or err}",
            hint="Check that the path is a readable file.",
        ) from err


def _pyxform_workbook(md_path: Path) -> Workbook:
    """The workbook pyxform builds from the markdown, reloaded so that it can be styled."""
    text = _read_markdown(md_path)
    try:
        raw = md_table_to_workbook(text)
        buffer = io.BytesIO()
        raw.save(buffer)
    except (PyXFormError, ValueError, TypeError) as err:
        raise _no_tables(md_path, f"pyxform could not read the tables: {err}") from err
    if not any(name.lower() == "survey" for name in raw.sheetnames):
        raise _no_tables(md_path, f"sheets found: {', '.join(raw.sheetnames) or 'none'}")
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def _no_tables(md_path: Path, found: str) -> InstrumentError:
    return InstrumentError(
        "INS902",
        "no XLSForm survey table in the markdown",
        file=md_path,
        sheet="survey",
        expected="a table whose first cell is 'survey', e.g. '| survey | type | name |'",
        found=found,
        hint="Start each sheet with a row whose first cell is the sheet name (survey, choices, settings); "
        "lines that do not start with '|' are ignored.",
    )


def _read_form(path: str | Path, reader, code: str) -> dict[str, Any]:
    path = Path(path)
    if code == "INS902":
        _read_markdown(path)  # coded errors for missing / non-UTF-8 files
    elif not path.is_file():
        raise InstrumentError(
            code,
            "XLSForm workbook not found",
            file=path,
            hint="Build it with: python -m analysis.instrument.markdown_forms <form>.md",
        )
    try:
        return dict(reader(str(path)))
    except PyXFormError as err:
        raise InstrumentError(
            code,
            f"pyxform cannot read {path.suffix or 'the file'}",
            file=path,
            found=str(err),
            hint="Rebuild the workbook from its markdown source, or fix the markdown tables.",
        ) from err


def _is_sheet(key: str) -> bool:
    return key != "sheet_names" and not key.endswith("_header") and key != "fallback_form_name"


def _header(form: dict[str, Any], sheet: str) -> list[str]:
    header = form.get(f"{sheet}_header") or [{}]
    return list(header[0])


def _diff(sheet: str, row: int, column: str, markdown: Any, xlsx: Any) -> dict[str, Any]:
    return {"sheet": sheet, "row": row, "column": column, "markdown": markdown, "xlsx": xlsx}


# --- writing ---------------------------------------------------------------------------------


def _styled(workbook: Workbook) -> Workbook:
    """Bold, frozen header row; every cell text; columns sized to their content."""
    for sheet in workbook.worksheets:
        widths: dict[int, int] = {}
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                if cell.data_type == "f":  # a text cell starting with "=" is not a formula
                    cell.data_type = "s"
                widths[cell.column] = max(
                    widths.get(cell.column, 0), _display_width(str(cell.value))
                )
        for cell in sheet[1]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(vertical="top")
        for column, width in widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = min(
                max(width + 2, _MIN_WIDTH), _MAX_WIDTH
            )
        sheet.freeze_panes = "A2"
    workbook.properties.creator = "baicun (python -m analysis.instrument.markdown_forms)"
    workbook.properties.created = _FIXED_DATE
    workbook.properties.modified = _FIXED_DATE
    return workbook


def _display_width(text: str) -> int:
    """Width in Latin characters: East Asian wide and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

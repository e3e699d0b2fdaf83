"""KoboToolbox (and Ona) exports: CSV and XLSX, XML values or labels.

Layout (formpack, KoboToolbox's exporter; Ona's is close):

* CSV: ``;`` by default (or ``,``), every field quoted; headers are question names
  (XML values) or labels in one language, with group paths joined by ``/`` when
  "include groups in headers" is on; a select_multiple ``q`` is its answer
  (``a b``) and/or one 0/1 column per choice ``q/a`` (Ona writes ``True``/``False``);
  a geopoint ``gps`` is its answer then ``_gps_latitude``, ``_gps_longitude``,
  ``_gps_altitude``, ``_gps_precision``; then ``_id``, ``_uuid``,
  ``_submission_time``, ``_validation_status``, ``_notes``, ``_status``,
  ``_submitted_by``, ``__version__``, ``_tags``, ``_index``.
* XLSX: the main sheet (named after the form), then one sheet per repeat (named after
  the repeat, cut to 31 characters) with ``_index``, ``_parent_table_name``,
  ``_parent_index`` (the parent row's ``_index``) and ``_submission__uuid`` etc.
* Ona CSV may flatten repeats into the main table (``children[1]/name``); its
  separate repeat CSVs carry ``_parent_table_name``/``_parent_index`` too.

Examples
--------
>>> import tempfile, pathlib
>>> from analysis.readers.issues import IssueLog
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hh.csv"
>>> _ = path.write_text('"name";"_uuid";"_index"\\n"A";"u1";"1"\\n', encoding="utf-8")
>>> table = read_kobo_csv(path, log=IssueLog())[0]
>>> table.delimiter, table.headers
(';', ['name', '_uuid', '_index'])
"""

from __future__ import annotations

from pathlib import Path

from ..instrument.model import Instrument
from .csv import read_csv_table
from .issues import IssueLog
from .rawdata import MAIN
from .table import SourceTable
from .values import text_values
from .xlsx import read_workbook

__all__ = ["parent_table_name", "read_kobo_csv", "read_kobo_xlsx"]


def parent_table_name(table: SourceTable, instrument: Instrument | None) -> str | None:
    """The parent table a Kobo/Ona repeat table names in ``_parent_table_name``.

    ``None`` when the column is absent or empty (a main table); ``main`` when the
    name is not a repeat of the instrument (Kobo writes the form title there).
    """
    for i, header in enumerate(table.headers):
        if header.lstrip("@").replace("X_", "_", 1) in ("_parent_table_name",):
            values = text_values(table.column(i)).dropna().unique()
            if len(values) == 0:
                return None
            last = str(values[0]).split("/")[-1]
            repeats = {g.name for g in instrument.repeats} if instrument is not None else set()
            if instrument is None:
                return last
            return last if last in repeats else MAIN
    return None


def _has_parent_index(table: SourceTable) -> bool:
    for i, header in enumerate(table.headers):
        if header.lstrip("@") == "_parent_index":
            values = text_values(table.column(i)).dropna()
            return bool(len(values)) and not (values.str.strip() == "-1").all()
    return False


def read_kobo_csv(
    path: Path | str,
    *,
    log: IssueLog,
    encoding: str | None = None,
    instrument: Instrument | None = None,
) -> list[SourceTable]:
    """One Kobo/Ona CSV (the main table, or one repeat table)."""
    path = Path(path)
    table = read_csv_table(path, log=log, encoding=encoding, label=f"file:{path.name}")
    parent = parent_table_name(table, instrument)
    if parent is not None and _has_parent_index(table):
        table.parent_table = parent
    return [table]


def read_kobo_xlsx(
    path: Path | str, *, log: IssueLog, instrument: Instrument | None = None
) -> list[SourceTable]:
    """Every sheet of a Kobo/Ona XLSX export: the main sheet first, then repeats."""
    tables = read_workbook(path, log=log)
    main_found = False
    repeats = [g.name for g in instrument.repeats] if instrument is not None else []
    for table in tables:
        parent = parent_table_name(table, instrument)
        if parent is not None and _has_parent_index(table):
            table.parent_table = parent
            table.table = _sheet_repeat(table.sheet or "", repeats)
        elif not main_found:
            table.table = MAIN
            main_found = True
        else:
            table.table = _sheet_repeat(table.sheet or "", repeats)
    return tables


def _sheet_repeat(sheet: str, repeats: list[str]) -> str | None:
    """The repeat a sheet holds, from its (possibly cut) name; ``None`` to infer it."""
    if sheet in repeats:
        return sheet
    stem = sheet.rstrip(".").split("...")[0].rstrip()
    matches = [r for r in repeats if stem and r.startswith(stem)]
    if len(matches) == 1:
        return matches[0]
    return None if repeats else sheet

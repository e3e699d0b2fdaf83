"""The source files of an XLSForm, handed to pyxform's readers.

pyxform reads every sheet (``.xlsx``, ``.xlsm``, ``.xls``, ``.md`` and its own one-file
``.csv`` layout). This module only chooses how to hand the file over and turns every
reading failure into a coded :class:`~analysis.errors.InstrumentError`:

* a CSV saved by Excel on a Chinese Windows machine (GBK/GB18030) is re-encoded as UTF-8;
* a form split into plain tables, ``<x>_survey.csv`` beside ``<x>_choices.csv`` (and
  optionally ``<x>_settings.csv``), as KoboToolbox/REACH tools are often shared, is framed
  into pyxform's one-file CSV layout (first column = sheet name) and read by pyxform;
* an ``.xlsx`` saved with an ``.xls`` name (or the reverse) is read by the right reader;
* a corrupt workbook, a document that is not an XLSForm, or an XForm XML file get a
  clear error instead of a reader's traceback.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "tool_survey.csv").write_text(
...     "type,name,label\\nselect_one yn,tv,Has a TV?\\n", encoding="utf-8")
>>> _ = (folder / "tool_choices.csv").write_text(
...     "list_name,name,label\\nyn,1,Yes\\nyn,2,No\\n", encoding="utf-8")
>>> book = read_workbook(folder / "tool_survey.csv")
>>> [row["name"] for row in book.survey], book.fallback_form_name
(['tv'], 'tool')
>>> split_form_files(folder / "tool_survey.csv")["choices"].name
'tool_choices.csv'
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

from pyxform import constants
from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import DefinitionData, get_xlsform

from ..errors import InstrumentError
from .form_errors import from_pyxform

__all__ = [
    "SUPPORTED_SUFFIXES",
    "RowMap",
    "decode_text",
    "file_row",
    "read_form",
    "read_workbook",
    "remap_error",
    "remap_warning",
    "split_form_files",
]

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".md")

#: Per sheet, the file row of each row pyxform counts (CSV forms only).
RowMap = Mapping[str, tuple[int, ...]]

#: Sheets of a split form, as suffixes of the file stem: ``<x>_choices.csv``.
_SPLIT_SHEETS = ("survey", "choices", "settings", "external_choices", "entities")
_SPLIT_STEM = re.compile(
    r"^(?P<base>.*?)(?P<sep>[_\-. ]?)(?P<sheet>" + "|".join(_SPLIT_SHEETS) + r")$", re.I
)


def decode_text(data: bytes) -> str:
    """Decode a text form: UTF-8 (with or without BOM), else GB18030 (GBK's superset).

    Examples
    --------
    >>> decode_text("类型".encode("gbk")), decode_text("\\ufeff类型".encode("utf-8"))
    ('类型', '类型')
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def split_form_files(path: Path) -> dict[str, Path]:
    """The files of a form split into one CSV per sheet (``<x>_survey.csv`` + siblings).

    Returns an empty dict when ``path`` is not named like a split sheet.
    """
    match = _SPLIT_STEM.match(Path(path).stem)
    if not match:
        return {}
    base, sep = match.group("base"), match.group("sep")
    files = {}
    for sheet in _SPLIT_SHEETS:
        candidate = Path(path).with_name(f"{base}{sep}{sheet}{Path(path).suffix}")
        if candidate.is_file():
            files[sheet] = candidate
    return files


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        text = decode_text(path.read_bytes())
    except UnicodeDecodeError:
        raise InstrumentError(
            "INS003",
            "the CSV form is neither UTF-8 nor GBK/GB18030 text",
            file=path,
            hint="Save the CSV as 'CSV UTF-8' in Excel or LibreOffice.",
        ) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InstrumentError(
            "INS003",
            f"the CSV form cannot be read: {exc}",
            file=path,
            hint="Check the quoting of cells that contain commas or line breaks.",
        ) from None


def _first_row(rows: list[list[str]]) -> list[str]:
    for row in rows:
        if any(cell.strip() for cell in row):
            return [cell.strip() for cell in row]
    return []


def _csv_bytes(path: Path) -> tuple[bytes, str, dict[str, tuple[int, ...]]]:
    """The CSV in pyxform's one-file layout, the form's fallback name, and the row map.

    pyxform's CSV reader drops blank rows, so its row numbers drift from the rows a
    person sees in the file; the row map gives, per sheet, the file row (1-based) of
    each row pyxform counts (header first).
    """
    rows = _csv_rows(path)
    header = _first_row(rows)
    if not header:
        raise _not_a_form(path, "the file is empty")
    first = header[0].lower()
    if first in constants.SUPPORTED_SHEET_NAMES or first == "":
        # Already pyxform's layout: sheet names in the first column.
        rowmap: dict[str, list[int]] = {}
        sheet = None
        for number, row in enumerate(rows, start=1):
            name = row[0].strip().lower() if row else ""
            if name:
                sheet = name
            if sheet and any(c.strip() for c in row[1:]):
                rowmap.setdefault(sheet, []).append(number)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode("utf-8"), path.stem, {k: tuple(v) for k, v in rowmap.items()}
    lowered = {h.lower().replace(" ", "_") for h in header}
    files = split_form_files(path)
    if "type" not in lowered and "list_name" in lowered:
        survey = files.get("survey")
        raise InstrumentError(
            "INS006",
            "this CSV is the choices sheet of a form split into one file per sheet",
            file=path,
            sheet="choices",
            row=1,
            column="list_name",
            expected="the survey file of the form (columns type, name, label, ...)",
            found=", ".join(header[:6]),
            hint=(
                f"Load the survey file instead: {survey.name}."
                if survey
                else "Load the form's <name>_survey.csv (it finds <name>_choices.csv beside it)."
            ),
        )
    if not {"type", "name"} <= lowered:
        raise _not_a_form(path, f"its first row is not an XLSForm header: {', '.join(header[:8])}")
    match = _SPLIT_STEM.match(path.stem)
    base = match.group("base") if match else path.stem
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    sheets = {"survey": path, **{k: v for k, v in files.items() if k != "survey"}}
    split_map: dict[str, tuple[int, ...]] = {}
    for sheet, sheet_path in sheets.items():
        writer.writerow([sheet])
        sheet_rows = rows if sheet_path == path else _csv_rows(sheet_path)
        kept = []
        for number, row in enumerate(sheet_rows, start=1):
            writer.writerow(["", *row] if row else ["", ""])  # pyxform skips blank rows
            if any(c.strip() for c in row):
                kept.append(number)
        split_map[sheet] = tuple(kept)
    return out.getvalue().encode("utf-8"), base or path.stem, split_map


def _not_a_form(path: Path, found: str) -> InstrumentError:
    return InstrumentError(
        "INS005",
        "the file is not an XLSForm",
        file=path,
        sheet="survey",
        row=1,
        column="type",
        expected="a 'survey' sheet whose first row holds the column names type, name, label",
        found=found,
        hint="Check that this is the questionnaire (XLSForm), not a data export or another document.",
    )


def _duplicate_header_location(path: Path, header: str) -> str | None:
    """The sheet whose first row repeats ``header`` (only to locate pyxform's error)."""
    try:
        if _spreadsheet_kind(path) == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path), on_demand=True)
            sheets = [
                (s.name, [str(c.value).strip() for c in s.row(0)]) for s in book.sheets() if s.nrows
            ]
        else:
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True)
            sheets = [
                (
                    ws.title,
                    [
                        str(c.value).strip()
                        for c in next(ws.iter_rows(max_row=1), ())
                        if c.value is not None
                    ],
                )
                for ws in book.worksheets
            ]
    except Exception:  # locating is best effort; the error is raised either way
        return None
    for name, cells in sheets:
        if cells.count(header) > 1:
            return name
    return None


def _spreadsheet_kind(path: Path) -> str:
    """The reader a workbook needs, from its first bytes (an .xlsx renamed .xls still reads)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        return ".xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ".xls"
    return path.suffix.lower()


def read_workbook(path: Path) -> DefinitionData:
    """pyxform's workbook dict of the form at ``path`` (sheets as lists of row dicts)."""
    return read_form(path)[0]


def read_form(path: Path) -> tuple[DefinitionData, RowMap]:
    """pyxform's workbook dict of the form at ``path``, and its row map.

    The row map gives, per sheet, the file row of each row pyxform counts (only for
    CSV forms, whose blank rows pyxform drops; empty for other files). Use
    :func:`file_row` to translate a pyxform row.

    Raises
    ------
    InstrumentError
        ``INS001`` missing file, ``INS002`` unsupported type, ``INS003`` unreadable file,
        ``INS005`` not an XLSForm, ``INS006`` a choices CSV given alone, ``INS022``
        repeated column header, or the code of the pyxform error.
    """
    path = Path(path)
    if not path.is_file():
        raise InstrumentError(
            "INS001",
            "XLSForm file not found",
            file=path,
            hint="Check the path; instruments live in the study's surveys/ folder.",
        )
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        xml = suffix in (".xml", ".xform")
        raise InstrumentError(
            "INS002",
            f"unsupported XLSForm file type '{path.suffix}'",
            file=path,
            expected=", ".join(SUPPORTED_SUFFIXES),
            found=path.suffix or "(no extension)",
            hint=(
                "This is an XForm (XML), the output of a conversion; use the XLSForm it was made from."
                if xml
                else "Save the form as .xlsx (Excel) or write it as a markdown table (.md)."
            ),
        )
    rowmap: RowMap = {}
    try:
        if suffix == ".csv":
            data, fallback, rowmap = _csv_bytes(path)
            book = get_xlsform(io.BytesIO(data), file_type=".csv")
            book.fallback_form_name = fallback
        elif suffix == ".md":
            text = decode_text(path.read_bytes())
            if not re.search(r"^\s*\|", text, re.M):
                raise _not_a_form(path, "no markdown table (lines starting with '|')")
            book = get_xlsform(io.BytesIO(text.encode("utf-8")), file_type=".md")
            book.fallback_form_name = path.stem
        else:
            book = get_xlsform(str(path), file_type=_spreadsheet_kind(path))
            book.fallback_form_name = path.stem
    except InstrumentError:
        raise
    except PyXFormError as exc:
        message = str(exc)
        dup = re.match(r"Duplicate column header: (.+)", message)
        if dup:
            header = dup.group(1).strip()
            raise InstrumentError(
                "INS022",
                f"the column header '{header}' appears twice",
                file=path,
                sheet=_duplicate_header_location(path, header),
                row=1,
                column=header,
                found=message,
                hint="Delete or rename one of the two columns; for a second language write label::English (en).",
            ) from None
        if "not recognized as a supported type" in message or "Error reading" in message:
            raise _unreadable(path, message) from None
        raise remap_error(from_pyxform(exc, path), rowmap) from None
    except Exception as exc:  # zip, xlrd and openpyxl failures on corrupt files
        raise _unreadable(path, f"{type(exc).__name__}: {exc}") from None
    return book, rowmap


def _unreadable(path: Path, detail: str) -> InstrumentError:
    head = path.read_bytes()[:8] if path.is_file() else b""
    kind = {
        b"%PDF": "a PDF document",
        b"<?xm": "an XML document",
        b"{\\rt": "an RTF document",
    }.get(head[:4])
    return InstrumentError(
        "INS003",
        f"the file cannot be read as a {path.suffix or 'spreadsheet'} workbook",
        file=path,
        expected=f"a {path.suffix} spreadsheet saved by Excel or LibreOffice",
        found=kind or detail,
        hint="Open and re-save the file in Excel or LibreOffice as .xlsx; check it is not password-protected, truncated or renamed.",
    )


def file_row(rowmap: RowMap, sheet: str | None, row: int | None) -> int | None:
    """The row a person sees in the file for pyxform's ``row`` of ``sheet``.

    Examples
    --------
    >>> file_row({"survey": (1, 2, 4)}, "survey", 3), file_row({}, "survey", 3)
    (4, 3)
    """
    if row is None or not sheet:
        return row
    rows = rowmap.get(sheet)
    if not rows or not 1 <= row <= len(rows):
        return row
    return rows[row - 1]


def remap_error(err: InstrumentError, rowmap: RowMap) -> InstrumentError:
    """``err`` with its row translated to the file's row (unchanged without a row map)."""
    row = file_row(rowmap, err.sheet, err.row)
    if row == err.row:
        return err
    data = err.to_dict()
    data["row"] = row
    code, message = data.pop("code"), data.pop("message")
    message = re.sub(r"\[row\s*:\s*\d+\]", f"[row : {row}]", message)
    return type(err)(code, message, **data)


def remap_warning(text: str, rowmap: RowMap) -> str:
    """A pyxform warning with its ``[row : N]`` translated to the file's row (survey sheet)."""
    if not rowmap:
        return text
    return re.sub(
        r"\[row\s*:\s*(\d+)\]",
        lambda m: f"[row : {file_row(rowmap, 'survey', int(m.group(1)))}]",
        text,
    )

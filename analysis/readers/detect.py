"""Which format a file is in: by its bytes first, its extension second.

=============  ==============================================================
format         recognised by
=============  ==============================================================
odk_central    a zip of CSVs whose main CSV has ``KEY`` (and ``SubmissionDate``);
               or one CSV with ``KEY`` and ``SubmissionDate``/``meta-instanceID``
kobo_csv       a CSV with Kobo/Ona columns (``_uuid``, ``_submission_time``,
               ``_index``, ``_id``) or ``group/question`` headers
kobo_xlsx      an .xlsx with those columns, or with ``_index``/``_parent_index`` sheets
csv            any other delimited text file
xlsx           any other .xlsx/.xlsm workbook
spss           .sav/.zsav (``$FL2``/``$FL3``) and .por files
stata          .dta files (``<stata_dta>`` or the binary 113-115 header)
=============  ==============================================================

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
>>> _ = path.write_text("SubmissionDate,name,KEY\\n", encoding="utf-8")
>>> detect_format(path)
'odk_central'
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

from ..errors import ReadError
from .encoding import decode_marked, looks_utf16

__all__ = ["FORMATS", "detect_format", "sniff_kind"]

FORMATS = ("odk_central", "kobo_csv", "kobo_xlsx", "csv", "xlsx", "spss", "stata")

_TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab"}
_KOBO_MARKERS = {
    "_uuid",
    "_submission_time",
    "_index",
    "_id",
    "_parent_index",
    "_validation_status",
    "_submitted_by",
    "__version__",
    "X_uuid",
    "X_index",
    "X_submission_time",
}


def sniff_kind(head: bytes, path: Path) -> str | None:
    """The kind of file from its first bytes: zip, xlsx, xls, sav, por, dta or None (text?)."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except Exception:  # damaged, encrypted or unsupported zip: the zip reader says why
            return "zip"
        if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if head.startswith(b"<stata_dta>") or (
        len(head) > 2 and head[0] in (0x71, 0x72, 0x73) and head[1] in (1, 2) and head[2] == 1
    ):
        return "dta"
    if b"SPSS PORT FILE" in head[:512] or re.search(rb"ASCII SPSS PORT FILE", head[:512]):
        return "por"
    return None


def _header_line(path: Path) -> str:
    raw = path.read_bytes()[:65536]
    try:
        text = decode_marked(raw).text
    except ReadError:  # no known encoding: the CSV reader says so
        text = raw.decode("cp1252", errors="replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return next((line for line in lines if line.strip()), "")


def _text_format(header: str) -> str:
    cells = [c.strip().strip('"').replace("\ufeff", "") for c in re.split(r"[,;\t|]", header)]
    names = set(cells)
    if "KEY" in names and (
        "SubmissionDate" in names or "meta-instanceID" in names or "PARENT_KEY" in names
    ):
        return "odk_central"
    if names & _KOBO_MARKERS or any(c.startswith("X.U.FEFF.") for c in cells):
        return "kobo_csv"
    if sum(1 for c in cells if "/" in c and not c.startswith("/")) >= max(2, len(cells) // 3):
        return "kobo_csv"
    return "csv"


def detect_format(path: Path | str, declared: str | None = None) -> str:
    """The format of ``path`` (one of :data:`FORMATS`).

    Raises
    ------
    ReadError
        ``RD003`` unknown ``declared`` format, ``RD014`` ``declared`` contradicts
        the content, ``RD002`` a file that is no known format.
    """
    path = Path(path)
    if declared is not None and declared not in FORMATS:
        raise ReadError(
            "RD003",
            f"unknown format {declared!r}",
            file=path,
            expected=", ".join(FORMATS),
            found=declared,
            hint="Leave format out to detect it, or pass one of the names listed.",
        )
    with path.open("rb") as handle:
        head = handle.read(4096)
    kind = sniff_kind(head, path)
    suffix = path.suffix.lower()
    if kind == "xls":
        raise ReadError(
            "RD002",
            "old Excel .xls workbooks are not read",
            file=path,
            expected=".xlsx, .csv, .zip (ODK Central), .sav/.zsav/.por, .dta",
            found="an Excel 97-2003 workbook",
            hint="Open it in Excel or LibreOffice and save it as .xlsx.",
        )
    if declared is not None:
        compatible = {
            "odk_central": (None, "zip"),
            "kobo_csv": (None,),
            "csv": (None,),
            "kobo_xlsx": ("xlsx",),
            "xlsx": ("xlsx",),
            "spss": ("sav", "por"),
            "stata": ("dta",),
        }[declared]
        if kind not in compatible:
            raise ReadError(
                "RD014",
                f"the file is not in the format {declared!r}",
                file=path,
                expected=declared,
                found=kind or "text",
                hint="Leave format out to detect it from the content.",
            )
        return declared
    if kind == "zip":
        return "odk_central"
    if kind == "xlsx":
        return _xlsx_format(path)
    if kind in ("sav", "por"):
        return "spss"
    if kind == "dta":
        return "stata"
    if suffix in (".sav", ".zsav", ".por", ".dta", ".xlsx", ".xlsm", ".zip"):
        raise ReadError(
            "RD008" if suffix in (".sav", ".zsav", ".por", ".dta") else "RD010" if suffix in (".xlsx", ".xlsm") else "RD006",
            f"the file is not a valid {suffix} file",
            file=path,
            expected={".sav": "an SPSS file starting with $FL2/$FL3", ".zsav": "an SPSS file starting with $FL3",
                      ".por": "an SPSS portable file", ".dta": "a Stata file",
                      ".xlsx": "an Excel workbook (a zip)", ".xlsm": "an Excel workbook (a zip)",
                      ".zip": "a zip archive"}[suffix],
            found=f"first bytes {head[:12]!r}",
            hint="The file is damaged, truncated, or another kind of file renamed; export it again.",
        )  # fmt: skip
    if suffix in _TEXT_SUFFIXES or suffix == "" or b"\x00" not in head or looks_utf16(head):
        return _text_format(_header_line(path))
    raise ReadError(
        "RD002",
        f"unknown file type {suffix or '(no extension)'}",
        file=path,
        expected="CSV, XLSX, an ODK Central zip, .sav/.zsav/.por, .dta",
        found=f"first bytes {head[:12]!r}",
        hint="Export the data as CSV or XLSX.",
    )


def _xlsx_format(path: Path) -> str:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # corrupt workbook: let the reader raise its coded error
        return "xlsx"
    try:
        for sheet in book.worksheets:
            for row in sheet.iter_rows(min_row=1, max_row=1, values_only=True):
                cells = {str(c).strip() for c in row if c is not None}
                if cells & _KOBO_MARKERS or sum(1 for c in cells if "/" in c) >= max(
                    2, len(cells) // 3
                ):
                    return "kobo_xlsx"
    finally:
        book.close()
    return "xlsx"

"""Office Open XML packages (.docx, .xlsx) with the same bytes on every run.

python-docx and openpyxl stamp zip entries and document properties with the time
of writing; a file re-written from unchanged inputs should give unchanged bytes, so
the zip entries are rewritten with a fixed time (in the order they were written). This is the one
place that does it: the codebook, the paper questionnaire, the generated XLSForms, the
validation report, the report and its table files all go through it.

Examples
--------
>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w") as z:
...     z.writestr("b.xml", "<b/>"); z.writestr("a.xml", "<a/>")
>>> out = normalise_package(buf.getvalue())
>>> zipfile.ZipFile(io.BytesIO(out)).infolist()[0].date_time
(1980, 1, 1, 0, 0, 0)
>>> from openpyxl import Workbook
>>> workbook_bytes(Workbook()) == workbook_bytes(Workbook())
True
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any

__all__ = [
    "DOCUMENT_DATE",
    "FIXED_TIME",
    "document_bytes",
    "normalise_package",
    "save_workbook",
    "workbook_bytes",
]

#: Time of every zip entry (the earliest a zip file can hold).
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: Created and modified date written into ``docProps/core.xml``.
DOCUMENT_DATE = "2000-01-01T00:00:00Z"
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def normalise_package(data: bytes, *, document_date: str | None = DOCUMENT_DATE) -> bytes:
    """Rewrite a zip package with fixed entry times and fixed document dates.

    Parameters
    ----------
    data : bytes
        The package as python-docx or openpyxl saved it.
    document_date : str or None
        The created/modified date written into ``docProps/core.xml``; ``None`` keeps
        the dates the package holds (for a writer that sets its own fixed dates).

    Returns
    -------
    bytes
        The package with every entry dated :data:`FIXED_TIME`, deflated, mode 0600,
        in the order the writer gave them.
    """
    out = io.BytesIO()
    _normalise(zipfile.ZipFile(io.BytesIO(data)), out, document_date)
    return out.getvalue()


#: Bytes an entry is copied in (a large worksheet never sits in memory whole).
_CHUNK = 1 << 20


def _normalise(src: zipfile.ZipFile, out: IO[bytes], document_date: str | None) -> None:
    """Copy every entry of ``src`` into a new zip written to ``out``, dated
    :data:`FIXED_TIME`; an entry is streamed through in chunks, which deflates to the
    same bytes as writing it in one piece."""
    stamp = None if document_date is None else rb"\g<1>" + document_date.encode() + rb"\g<2>"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            if stamp is not None and info.filename == "docProps/core.xml":
                dst.writestr(fixed, _STAMP.sub(stamp, src.read(info.filename)))
                continue
            fixed.file_size = info.file_size  # as writestr sets it: the same zip64 choice
            with src.open(info) as reader, dst.open(fixed, "w") as writer:
                shutil.copyfileobj(reader, writer, _CHUNK)


def workbook_bytes(workbook: Any, *, document_date: str | None = DOCUMENT_DATE) -> bytes:
    """An openpyxl ``Workbook`` as deterministic XLSX bytes.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        The workbook (a write-only workbook can be saved once).
    document_date : str or None
        As in :func:`normalise_package`. With ``None`` the workbook's own
        ``properties.created``/``modified`` are kept: it is written without the
        save-time stamp ``Workbook.save`` puts on ``modified``.
    """
    buffer = io.BytesIO()
    _save(workbook, buffer, document_date)
    return normalise_package(buffer.getvalue(), document_date=document_date)


def save_workbook(
    workbook: Any, path: str | Path, *, document_date: str | None = DOCUMENT_DATE
) -> Path:
    """Write an openpyxl ``Workbook`` to ``path`` with the bytes of :func:`workbook_bytes`,
    through a temporary file: a large write-only workbook (a million rows) is never held
    in memory, neither zipped nor unzipped.

    Examples
    --------
    >>> import tempfile
    >>> from openpyxl import Workbook
    >>> path = Path(tempfile.mkdtemp()) / "book.xlsx"
    >>> save_workbook(Workbook(), path).read_bytes() == workbook_bytes(Workbook())
    True
    """
    path = Path(path)
    with tempfile.TemporaryFile(dir=path.parent) as saved:
        _save(workbook, saved, document_date)
        saved.seek(0)
        with path.open("wb") as out:
            _normalise(zipfile.ZipFile(saved), out, document_date)
    return path


def _save(workbook: Any, out: IO[bytes], document_date: str | None) -> None:
    """The workbook as openpyxl saves it (without the save-time stamp when the
    workbook keeps its own dates)."""
    if document_date is None:
        from openpyxl.writer.excel import ExcelWriter

        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(workbook, archive).write_data()
    else:
        workbook.save(out)


def document_bytes(document: Any) -> bytes:
    """A python-docx ``Document`` as deterministic DOCX bytes.

    Examples
    --------
    >>> from docx import Document
    >>> document_bytes(Document()) == document_bytes(Document())
    True
    """
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_package(buffer.getvalue())

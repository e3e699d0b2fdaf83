"""Office files: Word styling with CJK fonts, and byte-deterministic DOCX/XLSX packages.

Used by the instrument (codebook, paper questionnaire, generated XLSForms), the
validation report and the findings report, so that every Office file the toolkit
writes looks and hashes alike.

- :mod:`~analysis.office.word`: fonts (``w:eastAsia``), paragraphs, tables, borders,
  page numbers;
- :mod:`~analysis.office.package`: the same bytes on every run (fixed times, sorted parts);
- :mod:`~analysis.office.widths`: how wide text prints, for sizing table columns.
"""

from .package import (
    DOCUMENT_DATE,
    FIXED_TIME,
    document_bytes,
    normalise_package,
    save_workbook,
    workbook_bytes,
)
from .widths import text_width

__all__ = [
    "DOCUMENT_DATE",
    "FIXED_TIME",
    "document_bytes",
    "normalise_package",
    "save_workbook",
    "text_width",
    "workbook_bytes",
]

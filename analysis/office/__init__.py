"""Office files: Word styling with CJK fonts, and byte-deterministic DOCX/XLSX packages.

Used by the instrument (codebook, paper questionnaire), the validation report and the
findings report, so that every Office file the toolkit writes looks and hashes alike.

- :mod:`~analysis.office.word`: fonts (``w:eastAsia``), paragraphs, tables, page numbers;
- :mod:`~analysis.office.package`: the same bytes on every run (fixed times, sorted parts).
"""

from .package import FIXED_TIME, normalise_package

__all__ = ["FIXED_TIME", "normalise_package"]

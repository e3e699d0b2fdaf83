"""Readers: field exports of any origin into one canonical layout, :class:`RawData`.

``read_raw(path, instrument=None, *, format=None, encoding=None)`` reads

* ODK Central's CSV zip (main CSV + one CSV per repeat, ``PARENT_KEY``/``KEY``) or CSV;
* KoboToolbox/Ona CSV (``;`` or ``,``, XML values or labels) and XLSX (sheet per repeat);
* any CSV (UTF-8, UTF-8 with BOM, GBK, GB18030; delimiter sniffed) or XLSX;
* SPSS .sav/.zsav/.por and Stata .dta (labels, value labels, user-missing values kept).

With the instrument, every table has one column per question (typed), select_multiple
0/1 columns, geopoint parts, and repeats linked to their parent by ``_parent_key``.
Nothing is dropped: problems that do not stop the reading are logged in
``RawData.issues`` (codes ``RD1xx``), problems that do raise a coded
:class:`~analysis.errors.ReadError` (``RD0xx``). See ``docs/errors/readers.md``.
"""

from .detect import FORMATS, detect_format
from .issues import ISSUE_CODES, ISSUE_COLUMNS
from .names import choice_column, derived_column, is_safe_name, safe_name
from .rawdata import (
    KEY,
    MAIN,
    PARENT_KEY,
    RESERVED_COLUMNS,
    ROW,
    ColumnInfo,
    RawData,
    RawMetadata,
    SourceFile,
)
from .read import read_raw
from .split import split_records

__all__ = [
    "FORMATS",
    "ISSUE_CODES",
    "ISSUE_COLUMNS",
    "KEY",
    "MAIN",
    "PARENT_KEY",
    "RESERVED_COLUMNS",
    "ROW",
    "ColumnInfo",
    "RawData",
    "RawMetadata",
    "SourceFile",
    "choice_column",
    "derived_column",
    "detect_format",
    "is_safe_name",
    "read_raw",
    "safe_name",
    "split_records",
]

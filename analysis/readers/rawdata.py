"""RawData: what a reader returns, in one canonical layout whatever the source format.

A :class:`RawData` holds

* ``data``: the main table, one row per submitted record;
* ``repeats``: one table per repeat of the form (``{repeat name: DataFrame}``), every
  repeat of the instrument present (empty when the file has none of its records);
* ``metadata``: a :class:`RawMetadata` (sources, format, encoding, labels, column
  origins, how keys were made, and the reader-level ``issues`` table).

Every table starts with the reserved columns

``_key``         the record's key (text, never empty). ODK Central ``KEY``, else the
                 instance ID, else Kobo ``_uuid``/``_id``, else ``<table>#row<n>``.
                 Repeat keys follow ODK's form ``<parent key>/<group path>/<repeat>[i]``.
``_parent_key``  repeats only: the ``_key`` of the parent record, in the parent table
                 named by ``metadata.repeat_parents[repeat]`` (``main`` or an
                 enclosing repeat). Empty when the parent cannot be found (logged).
``_source_row``  the row of the source file the record comes from: the spreadsheet row
                 as a user sees it in Excel or a text editor's CSV record count (header
                 = row 1, so the first record is row 2); the case number (1-based) in
                 .sav/.dta files.

then one column per question of the table, in form order (a select_multiple is
followed by its 0/1 columns; a geopoint by its four numeric parts), then platform
columns (``_submission_time``, ``_uuid``, ``_index``, ...), then source columns the
instrument does not know (kept under their source header, each logged RD101).
Types and naming: see :mod:`analysis.readers.canonical`; ``metadata.columns``
tells, for every column, its kind, question, type, choice and source header.

What a checker needs to know:

* Empty answers are NA (never ``""`` or 0). A select_multiple 0/1 column is NA when
  the question is unanswered.
* A value that could not be typed (text in an integer question, an impossible
  date, a malformed geopoint) is NA in its typed column and its source text is in
  ``issues.value`` (codes RD110-RD113, RD116, RD118), located by ``table``, ``row``,
  ``record`` and ``column``. Choice values outside the list stay in the column as
  they are (RD120).
* Missing codes (``98=不知道``) are kept as values; ``ColumnInfo.user_missing``
  lists them (and SPSS/Stata user-missing values).
* Records are never dropped: duplicates (RD130), orphans (RD133), rows with too
  many or too few fields (RD140/RD141) are kept and logged. For every table,
  ``metadata.source_rows[table] == len(table)``; the records a file itself held are
  ``sum(s.rows for s in metadata.sources if s.unpacked_from is None)``.
* Repeat records unpacked from flattened columns share the ``_source_row`` of the
  main row that held them (``SourceFile.unpacked_from``); issues on them name one
  of those records.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"_key": ["a"], "_source_row": [2], "age": [30]})
>>> raw = RawData(frame, {}, RawMetadata(format="csv"))
>>> raw.counts()
{'main': 1}
>>> raw.issues.empty
True
"""

from __future__ import annotations

import copyreg
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..instrument.model import pick_text  # labels fall back as the form's do
from .issues import empty_issues


# RawData is cached between pipeline steps with pickle; read-only mappings pickle as
# read-only mappings.
def _read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


copyreg.pickle(MappingProxyType, lambda proxy: (_read_only, (dict(proxy),)))

__all__ = [
    "KEY",
    "MAIN",
    "PARENT_KEY",
    "RESERVED_COLUMNS",
    "ROW",
    "ColumnInfo",
    "RawData",
    "RawMetadata",
    "SourceFile",
]

#: Name of the main table in ``RawData.tables``, issues and metadata.
MAIN = "main"
#: Reserved column: the record key.
KEY = "_key"
#: Reserved column (repeats): the parent record's key.
PARENT_KEY = "_parent_key"
#: Reserved column: the source row of the record.
ROW = "_source_row"
RESERVED_COLUMNS = (KEY, PARENT_KEY, ROW)

#: Kinds of column (``ColumnInfo.kind``).
COLUMN_KINDS = (
    "key",  # _key
    "parent_key",  # _parent_key
    "row",  # _source_row
    "question",  # the answer to a question of the instrument
    "choice",  # 0/1 column of one choice of a select_multiple question
    "geopoint_part",  # latitude/longitude/altitude/accuracy of a geopoint question
    "platform",  # column added by ODK Central / KoboToolbox / Ona (_uuid, _submission_time, ...)
    "unknown",  # source column the instrument does not know (logged RD101)
    "source",  # source column read without an instrument
    "extra",  # fields beyond the header of a CSV row (logged RD140)
)


def _frozen(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ColumnInfo:
    """Where a canonical column comes from and how to label it.

    Attributes
    ----------
    name : str
        The canonical column name.
    kind : str
        One of ``key, parent_key, row, question, choice, geopoint_part, platform,
        unknown, source, extra``.
    original : str or None
        The header in the source file (``None`` for columns the reader made).
    question : str or None
        The question this column belongs to (``choice`` and ``geopoint_part`` too).
    type : str or None
        The question type (``integer``, ``select_multiple``, ...), or for other
        columns the storage type the reader gave it (``text``, ``integer``, ...).
    choice : str or None
        The choice code of a ``choice`` column; the part (``latitude``, ...) of a
        ``geopoint_part`` column.
    labels : Mapping[str, str]
        Variable label per language (``default`` for single-language sources).
    value_labels : Mapping
        Value -> {language: label}. Keys are the values as stored in the column
        (choice codes as text; numbers for .sav/.dta numeric variables).
    user_missing : tuple
        Values declared missing: SPSS discrete values and ``(low, high)`` ranges,
        Stata extended-missing letters, or the question's ``missing_codes``.
    timezone : str or None
        Date-times: the UTC offset the wall-clock values are in (``+08:00``), or
        ``UTC`` when values with different offsets were converted to UTC.
    """

    name: str
    kind: str
    original: str | None = None
    question: str | None = None
    type: str | None = None
    choice: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[Any, Mapping[str, str]] = field(default_factory=dict)
    user_missing: tuple[Any, ...] = ()
    timezone: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(
            self, "value_labels", _frozen({k: _frozen(v) for k, v in self.value_labels.items()})
        )

    def label(self, lang: str | None = None) -> str | None:
        """The variable label in ``lang`` (falling back to ``default``, then any)."""
        return pick_text(self.labels, lang)

    def value_label_map(self, lang: str | None = None) -> dict[Any, str]:
        """``{value: label}`` in ``lang`` (with the same fallback)."""
        out = {}
        for value, texts in self.value_labels.items():
            text = pick_text(texts, lang)
            if text is not None:
                out[value] = text
        return out


@dataclass(frozen=True)
class SourceFile:
    """One file (or zip member, or sheet) a table was read from.

    ``rows`` counts the records of ``table`` read from it; records unpacked from
    flattened repeat columns (``unpacked_from`` set) are not rows of the file.
    """

    path: str
    table: str
    rows: int
    member: str | None = None
    sheet: str | None = None
    sha256: str | None = None
    size: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    #: For repeat records unpacked from flattened columns: the table whose rows held them.
    unpacked_from: str | None = None


@dataclass(frozen=True)
class RawMetadata:
    """Everything known about the source besides the values (see module doc).

    Attributes
    ----------
    format : str
        Detected (or given) format: ``odk_central``, ``kobo_csv``, ``kobo_xlsx``,
        ``csv``, ``xlsx``, ``spss``, ``stata``.
    sources : tuple of SourceFile
        The files/members/sheets read, one per table.
    encoding, delimiter : str or None
        Of the main table's text file.
    instrument, instrument_version : str or None
        ``form_id`` and version of the instrument used (``None`` when read without).
    languages : tuple of str
        Languages of the labels (instrument languages, or ``default``).
    columns : Mapping[str, Mapping[str, ColumnInfo]]
        ``{table: {canonical column: ColumnInfo}}`` in column order.
    repeat_parents : Mapping[str, str]
        ``{repeat: parent table}`` (``main`` or the enclosing repeat).
    key_source : Mapping[str, str]
        ``{table: what _key was made from}`` (``KEY``, ``instanceID``, ``_uuid``,
        ``row``, ``parent+ordinal``, ...).
    source_rows : Mapping[str, int]
        ``{table: records read from the source}``; always equals the table's length.
    file_label : str or None
        The file label of a .sav/.dta.
    issues : pandas.DataFrame
        Reader-level issues (see :mod:`analysis.readers.issues`).
    """

    format: str
    sources: tuple[SourceFile, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    instrument: str | None = None
    instrument_version: str | None = None
    languages: tuple[str, ...] = ()
    columns: Mapping[str, Mapping[str, ColumnInfo]] = field(default_factory=dict)
    repeat_parents: Mapping[str, str] = field(default_factory=dict)
    key_source: Mapping[str, str] = field(default_factory=dict)
    source_rows: Mapping[str, int] = field(default_factory=dict)
    file_label: str | None = None
    issues: pd.DataFrame = field(default_factory=empty_issues, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "columns", _frozen({t: _frozen(c) for t, c in self.columns.items()})
        )
        for name in ("repeat_parents", "key_source", "source_rows"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def column_info(self, table: str = MAIN) -> Mapping[str, ColumnInfo]:
        """``{column: ColumnInfo}`` of one table (empty mapping when unknown)."""
        return self.columns.get(table, MappingProxyType({}))

    def variable_labels(self, table: str = MAIN, lang: str | None = None) -> dict[str, str]:
        """``{column: label}`` in ``lang`` for the columns that have one."""
        out = {}
        for name, info in self.column_info(table).items():
            text = info.label(lang)
            if text:
                out[name] = text
        return out

    def value_labels(self, table: str = MAIN, lang: str | None = None) -> dict[str, dict[Any, str]]:
        """``{column: {value: label}}`` in ``lang`` for the columns that have value labels."""
        out = {}
        for name, info in self.column_info(table).items():
            labels = info.value_label_map(lang)
            if labels:
                out[name] = labels
        return out

    def user_missing(self, table: str = MAIN) -> dict[str, tuple[Any, ...]]:
        """``{column: user-missing values/ranges}`` for the columns that declare some."""
        return {n: i.user_missing for n, i in self.column_info(table).items() if i.user_missing}

    def renamed(self, table: str = MAIN) -> dict[str, str]:
        """``{source header: canonical column}`` of one table (headers that were read)."""
        return {i.original: n for n, i in self.column_info(table).items() if i.original is not None}


@dataclass(frozen=True)
class RawData:
    """A read export: main table, repeat tables, metadata (see module doc)."""

    data: pd.DataFrame
    repeats: Mapping[str, pd.DataFrame]
    metadata: RawMetadata

    def __post_init__(self) -> None:
        object.__setattr__(self, "repeats", _frozen(self.repeats))

    @property
    def issues(self) -> pd.DataFrame:
        """The reader-level issues table (``metadata.issues``)."""
        return self.metadata.issues

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``{"main": data, **repeats}``."""
        return MappingProxyType({MAIN: self.data, **self.repeats})

    def table(self, name: str = MAIN) -> pd.DataFrame:
        """The table ``name`` (``main`` or a repeat)."""
        if name == MAIN:
            return self.data
        return self.repeats[name]

    def counts(self) -> dict[str, int]:
        """Records per table."""
        return {name: len(frame) for name, frame in self.tables.items()}

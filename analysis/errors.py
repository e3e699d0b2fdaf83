"""One base error type for the whole toolkit, with codes and locations.

Every error a user can cause (a malformed form, a bad export, a design that
cannot be estimated) is raised as a :class:`BaicunError` carrying

* a stable ``code`` (``INS003``, ``DES001``, ...), documented in ``docs/errors.md``;
* where it happened: ``file``, ``sheet``, ``row``, ``column``, ``record``;
* what was ``expected`` and what was ``found``;
* a ``hint`` that says what to do.

The command line prints these without a traceback.

Examples
--------
>>> err = InstrumentError("INS003", "duplicate question name 'age'",
...                       file="household.xlsx", sheet="survey", row=12, column="name",
...                       hint="Rename one of the two questions.")
>>> print(err)
[INS003] duplicate question name 'age'
  where: household.xlsx, sheet survey, row 12, column name
  what to do: Rename one of the two questions.
>>> err.code
'INS003'
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BaicunError",
    "ChartError",
    "CorrectionError",
    "DemoError",
    "DesignError",
    "EntryError",
    "EstimationError",
    "ExpressionError",
    "InstrumentError",
    "ReadError",
    "ReportError",
    "SectionError",
    "StudyError",
    "TextCodingError",
    "ValidationError",
    "WeightingError",
    "WriteError",
]


class BaicunError(Exception):
    """Base error of the toolkit: a code, a location, and what to do.

    Parameters
    ----------
    code : str
        Stable error code, e.g. ``"INS003"``.
    message : str
        What went wrong, in one sentence.
    file, sheet, row, column, record : optional
        Where it went wrong. ``row`` is the 1-based spreadsheet row as a user
        sees it in Excel (the header is row 1).
    expected, found : optional
        What was expected and what was found.
    hint : str, optional
        What the user should do about it.
    """

    prefix = "BAI"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        file: Any = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        record: Any = None,
        expected: Any = None,
        found: Any = None,
        hint: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.file = None if file is None else str(file)
        self.sheet = sheet
        self.row = row
        self.column = column
        self.record = record
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(self.__str__())

    @property
    def where(self) -> str:
        """The location as one readable string (empty when unknown)."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        return ", ".join(parts)

    def __str__(self) -> str:
        lines = [f"[{self.code}] {self.message}"]
        if self.where:
            lines.append(f"  where: {self.where}")
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.found is not None:
            lines.append(f"  found: {self.found}")
        if self.hint:
            lines.append(f"  what to do: {self.hint}")
        return "\n".join(lines)

    def with_context(
        self, context: str, *, file: Any = None, hint: str | None = None
    ) -> BaicunError:
        """The same error (same type and code) saying where in a larger job it happened.

        >>> err = DesignError("DES001", "the data has no rows").with_context(
        ...     "instrument 'cadre'", file="cadre.csv", hint="Check the export.")
        >>> print(err)
        [DES001] the data has no rows (instrument 'cadre')
          where: cadre.csv
          what to do: Check the export.
        """
        fields = self.to_dict()
        fields.pop("code"), fields.pop("message")
        if file is not None:
            fields["file"] = file
        if hint is not None:
            fields["hint"] = hint
        return type(self)(self.code, f"{self.message} ({context})", **fields)

    def __reduce__(self):  # keep errors picklable (multiprocessing, pytest-xdist)
        return (_rebuild, (type(self), self.code, self.message, self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        """The error as a flat dict (for logs and JSON output)."""
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "record": self.record,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
        }


def _rebuild(cls, code, message, d):
    kw = {k: v for k, v in d.items() if k not in ("code", "message")}
    return cls(code, message, **kw)


class StudyError(BaicunError):
    """study.toml and study layout problems (codes ``STU...``)."""

    prefix = "STU"


class InstrumentError(BaicunError):
    """XLSForm problems (codes ``INS...``)."""

    prefix = "INS"


class ExpressionError(BaicunError):
    """XLSForm expression problems (codes ``EXP...``)."""

    prefix = "EXP"


class DesignError(BaicunError):
    """Survey design problems (codes ``DES...``)."""

    prefix = "DES"


class EstimationError(BaicunError):
    """Estimation problems (codes ``EST...``)."""

    prefix = "EST"


class WeightingError(BaicunError):
    """Calibration and weighting problems (codes ``WGT...``)."""

    prefix = "WGT"


class ReadError(BaicunError):
    """Problems reading raw exports (codes ``RD...``)."""

    prefix = "RD"


class ValidationError(BaicunError):
    """Problems running validation (codes ``VAL...``)."""

    prefix = "VAL"


class CorrectionError(BaicunError):
    """Cleaning-log problems (codes ``COR...``)."""

    prefix = "COR"


class WriteError(BaicunError):
    """Problems writing outputs (codes ``WRT...``)."""

    prefix = "WRT"


class EntryError(BaicunError):
    """Data-entry app problems (codes ``ENT...``)."""

    prefix = "ENT"


class ReportError(BaicunError):
    """Report section, narrative and assembly problems (codes ``REP...``)."""

    prefix = "REP"


class ChartError(BaicunError):
    """Report chart problems (codes ``CHT...``)."""

    prefix = "CHT"


class SectionError(BaicunError):
    """Findings-section and report-step problems (codes ``SEC...``)."""

    prefix = "SEC"


class TextCodingError(BaicunError):
    """Codebook and answer-coding problems (codes ``TXT...``)."""

    prefix = "TXT"


class DemoError(BaicunError):
    """Demo-study generator problems (codes ``DEM...``)."""

    prefix = "DEM"

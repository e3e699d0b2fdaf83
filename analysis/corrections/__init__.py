"""The cleaning log: ``corrections.csv`` read, checked and applied reproducibly.

Order of use (what the pipeline calls, per wave):

1. ``log = read_corrections(study.raw_dir(wave) / "corrections.csv", study=study, missing_ok=True)``
2. per instrument: ``result = apply_corrections(raw, log, instrument=form, name=name, study=study)``
   -> ``result.data`` (cleaned RawData), ``result.log``, ``result.quarantine``,
   ``result.confirmed`` (for :func:`analysis.validate.validate`), ``result.counts()``.

Nothing is modified in place and nothing is lost: raw = cleaned + quarantined per table.
Every problem is a :class:`~analysis.errors.CorrectionError` (``COR0xx``) naming the csv
row; see ``docs/errors/corrections.md``.
"""

from .apply import (
    CONFIRMATION_COLUMNS,
    LOG_COLUMNS,
    QUARANTINE_COLUMNS,
    CorrectionResult,
    apply_corrections,
)
from .cleaning_log import ACTIONS, CORRECTIONS_COLUMNS, CleaningLog, empty_log, read_corrections

__all__ = [
    "ACTIONS",
    "CONFIRMATION_COLUMNS",
    "CORRECTIONS_COLUMNS",
    "LOG_COLUMNS",
    "QUARANTINE_COLUMNS",
    "CleaningLog",
    "CorrectionResult",
    "apply_corrections",
    "empty_log",
    "read_corrections",
]

"""The error type of report assembly and narrative (codes ``REP...``).

Defined in :mod:`analysis.errors` (number formatting in :mod:`analysis.format` raises it
too); codes are listed in ``docs/errors/report.md``.

Examples
--------
>>> err = ReportError("REP001", "literal number in narrative", hint="Use a placeholder.")
>>> err.code, isinstance(err, BaicunError)
('REP001', True)
"""

from __future__ import annotations

from analysis.errors import BaicunError, ReportError

__all__ = ["BaicunError", "ReportError"]

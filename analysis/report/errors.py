"""The error type of report assembly and narrative (codes ``REP...``).

Kept here until :mod:`analysis.errors` gains it; codes are listed in
``docs/errors/report.md``.

Examples
--------
>>> err = ReportError("REP001", "literal number in narrative", hint="Use a placeholder.")
>>> err.code, isinstance(err, BaicunError)
('REP001', True)
"""

from __future__ import annotations

from analysis.errors import BaicunError

__all__ = ["ReportError"]


class ReportError(BaicunError):
    """Report section, narrative and assembly problems (codes ``REP...``)."""

    prefix = "REP"

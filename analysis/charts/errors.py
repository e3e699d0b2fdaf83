"""The error type of report charts (codes ``CHT...``).

Kept here until :mod:`analysis.errors` gains it; codes are listed in
``docs/errors/charts.md``.

Examples
--------
>>> err = ChartError("CHT002", "column 'estimate' is missing", hint="Pass an estimate table.")
>>> err.code, isinstance(err, BaicunError)
('CHT002', True)
"""

from __future__ import annotations

from analysis.errors import BaicunError

__all__ = ["ChartError"]


class ChartError(BaicunError):
    """Report chart problems (codes ``CHT...``)."""

    prefix = "CHT"

"""The error type of the findings sections and the report step (codes ``SEC...``).

Codes are listed in ``docs/errors/sections.md``.

Examples
--------
>>> err = SectionError("SEC001", "wave not processed", hint="Run `baicun run`.")
>>> err.code, isinstance(err, BaicunError)
('SEC001', True)
"""

from __future__ import annotations

from analysis.errors import BaicunError

__all__ = ["SectionError"]


class SectionError(BaicunError):
    """Findings-section and report-step problems (codes ``SEC...``)."""

    prefix = "SEC"

"""The error type of the demo-study generator (codes ``DEM...``).

Kept here until :mod:`analysis.errors` gains it; codes are listed in
``docs/errors/demo.md``.

Examples
--------
>>> err = DemoError("DEM001", "demo-2024 holds files the generator did not write")
>>> err.code, isinstance(err, BaicunError)
('DEM001', True)
"""

from __future__ import annotations

from analysis.errors import BaicunError

__all__ = ["DemoError"]


class DemoError(BaicunError):
    """Demo-study generator problems (codes ``DEM...``)."""

    prefix = "DEM"

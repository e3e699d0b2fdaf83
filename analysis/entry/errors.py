"""The coded error of the data-entry app (codes ``ENT...``), defined in :mod:`analysis.errors`.

Examples
--------
>>> err = EntryError("ENT001", "unknown user 'li'", hint="Add the user first.")
>>> err.code, isinstance(err, BaicunError)
('ENT001', True)
"""

from __future__ import annotations

from ..errors import BaicunError, EntryError

__all__ = ["BaicunError", "EntryError"]

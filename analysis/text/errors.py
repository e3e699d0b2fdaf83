"""The error type of open-ended answer coding (codes ``TXT...``).

Kept here until :mod:`analysis.errors` gains it; codes are listed in
``docs/errors/text.md``.

Examples
--------
>>> err = TextCodingError("TXT003", "theme code 'funding' appears twice", hint="Rename one.")
>>> err.code, isinstance(err, BaicunError)
('TXT003', True)
"""

from __future__ import annotations

from analysis.errors import BaicunError

__all__ = ["TextCodingError"]


class TextCodingError(BaicunError):
    """Codebook and answer-coding problems (codes ``TXT...``)."""

    prefix = "TXT"

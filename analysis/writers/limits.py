"""What SPSS and Stata files can hold, and cutting text to fit on character boundaries.

Limits (checked against pyreadstat 1.3.7 / ReadStat; Chinese takes 3 bytes per
character in UTF-8, so a limit in bytes holds a third as many Chinese characters):

=====================  ================================  =============================
item                   SPSS .sav (UTF-8)                 Stata .dta (release 118/119)
=====================  ================================  =============================
variable name          64 bytes (we use <= 32 ASCII)     32 characters
variable label         256 bytes                         80 characters
value label text       120 bytes                         32,000 bytes
value labels on text   yes                               no (integers only)
user-missing values    3 discrete values, or a range     only extended missing .a-.z
                       and one value
file label             64 bytes                          80 characters
=====================  ================================  =============================

ReadStat cuts an SPSS label that is too long at a byte count, which can split a
Chinese character and leave an undecodable label; Stata refuses a label that is too
long. The writers therefore cut every text themselves, on a character boundary, and
record each cut in the receipt (``WRT102``, ``WRT103``).

Examples
--------
>>> cut_bytes("家庭人口数量", 10)
'家庭人'
>>> cut_chars("家庭人口数量", 4)
'家庭人口'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LIMITS", "Limits", "cut_bytes", "cut_chars", "fit"]


@dataclass(frozen=True)
class Limits:
    """Text limits of one file format; ``*_bytes`` in UTF-8 bytes, ``*_chars`` in characters."""

    name: str
    variable_label_bytes: int | None = None
    variable_label_chars: int | None = None
    value_label_bytes: int | None = None
    file_label_bytes: int | None = None
    file_label_chars: int | None = None
    missing_discrete: int = 0
    text_value_labels: bool = True


LIMITS = {
    "sav": Limits("SPSS", variable_label_bytes=256, value_label_bytes=120, file_label_bytes=64, missing_discrete=3),
    "dta": Limits("Stata", variable_label_chars=80, value_label_bytes=32000, file_label_chars=80, text_value_labels=False),
}  # fmt: skip


def cut_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``limit`` bytes."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def cut_chars(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``."""
    return text[:limit]


def fit(text: str, *, chars: int | None = None, nbytes: int | None = None) -> str:
    """``text`` cut to fit both limits (either may be ``None``).

    Examples
    --------
    >>> fit("年收入（万元）", nbytes=12)
    '年收入（'
    """
    out = text
    if chars is not None:
        out = cut_chars(out, chars)
    if nbytes is not None:
        out = cut_bytes(out, nbytes)
    return out

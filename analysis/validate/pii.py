"""Personal information left in free-text answers: mobile numbers and resident ID numbers.

* ``VAL195``: a mainland mobile number, ``1[3-9]`` and nine more digits (spaces or
  dashes between the groups allowed, full-width digits too);
* ``VAL196``: an 18-character resident ID number (GB 11643-1999) with a plausible
  birth date *and* a valid check character, so a long number that merely looks like
  one is not reported.

Only free-text questions are scanned, except those marked ``pii`` in the form (they
are PII by design and handled by the writers) and those in ``[validate.pii] skip``.
The issue's value and message show the number masked (``133****4609``), so the
validation report does not spread it further.

Examples
--------
>>> id_checksum_ok("11010519491231002X"), id_checksum_ok("110105194912310021")
(True, False)
>>> find_pii("有事打我电话13373044609，身份证11010519491231002X")
[('VAL195', '133****4609'), ('VAL196', '110105********002X')]
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..readers.records import Records, question_type
from .issues import Found, say
from .settings import PiiSettings

__all__ = ["check_pii", "find_pii", "id_checksum_ok", "mask"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9](?:[ \-]?[0-9]{4}){2}(?![0-9])")
_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9Xx])"
)
#: Cheap first pass (RE2, on distinct texts): eleven digits, possibly spaced.
_PREFILTER = r"(?:[0-9０-９][ \-]?){11}"


def id_checksum_ok(number: str) -> bool:
    """True when the 18th character is the GB 11643 check character of the first 17."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17].upper()


def mask(number: str) -> str:
    """The number with its middle hidden (first 3 and last 4 for phones; 6 and 4 for IDs).

    >>> mask("13373044609"), mask("11010519491231002X")
    ('133****4609', '110105********002X')
    """
    digits = re.sub(r"[ \-]", "", number)
    keep = 6 if len(digits) == 18 else 3
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def find_pii(text: str, *, phone: bool = True, id_number: bool = True) -> list[tuple[str, str]]:
    """``(code, masked number)`` of every phone and valid ID number in ``text``."""
    norm = unicodedata.normalize("NFKC", text)
    out: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    if id_number:
        for m in _ID.finditer(norm):
            if id_checksum_ok(m.group().upper()):
                out.append(("VAL196", mask(m.group().upper())))
                taken.append(m.span())
    if phone:
        found = []
        for m in _PHONE.finditer(norm):
            if any(a <= m.start() < b for a, b in taken):
                continue
            found.append(("VAL195", mask(m.group())))
        out = found + out
    return out


def _free_text(records: Records, settings: PiiSettings):
    for table in records.tables.values():
        for q in table.questions:
            if (
                question_type(q) == "text"
                and not q.pii
                and q.name not in settings.skip
                and q.name in table.columns
            ):
                yield table, q


def check_pii(records: Records, settings: PiiSettings, lang: str) -> Found:
    """Phone and ID numbers in free-text answers (see module doc)."""
    if not (settings.phone or settings.id_number):
        return Found.none()
    parts = []
    for table, q in _free_text(records, settings):
        col = table.column(q.name)
        arr = pa.array(col.astype("str").array if col.dtype != "str" else col.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        encoded = pc.dictionary_encode(arr)
        dictionary = encoded.dictionary
        if not len(dictionary):
            continue
        candidates = np.flatnonzero(
            pc.match_substring_regex(dictionary, _PREFILTER).to_numpy(zero_copy_only=False)
        )
        if not len(candidates):
            continue
        hits: dict[str, dict[int, str]] = {"VAL195": {}, "VAL196": {}}
        for i in candidates:
            for code, masked in find_pii(
                dictionary[int(i)].as_py(), phone=settings.phone, id_number=settings.id_number
            ):
                hits[code][int(i)] = (
                    f"{hits[code][int(i)]} {masked}" if int(i) in hits[code] else masked
                )
        indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        for code, found in hits.items():
            if not found:
                continue
            which = np.fromiter(found, dtype=np.int64)
            pos = np.flatnonzero(np.isin(indices, which))
            values = pd.Series(
                pd.Series(found).reindex(indices[pos]).to_numpy(dtype=object), dtype="str"
            )
            what = say(
                lang,
                "手机号码" if code == "VAL195" else "身份证号码",
                "a mobile number" if code == "VAL195" else "a resident ID number",
            )
            message = values.radd(
                say(lang, f"{q.name} 中有{what} ", f"{q.name} contains {what}: ")
            ) + say(
                lang,
                "，发布前请删除（或在 corrections.csv 中确认）",
                "; remove it before release (or confirm it in corrections.csv)",
            )
            parts.append(
                Found.of(
                    table.name,
                    pos,
                    q.name,
                    code,
                    values,
                    message,
                    "mobile 1[3-9]xxxxxxxxx" if code == "VAL195" else "GB 11643 ID number",
                )
            )
    return Found.concat(parts)

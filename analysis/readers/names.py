"""Variable names valid in both SPSS and Stata: the one naming rule of the toolkit.

A name is *safe* when it has at most 32 characters, only ASCII letters, digits and
``_``, starts with a letter, and is not a reserved word of SPSS or Stata. Such a
name is valid in SPSS (64 bytes, case-insensitive) and in Stata (32 characters,
case-sensitive), so a safe name never changes between the two files.

:func:`safe_name` turns any text into a safe name, unique among the names already
``taken`` (compared case-insensitively, as SPSS does):

1. every character other than ``A-Z a-z 0-9 _`` becomes ``_``;
2. a name that does not start with a letter gets the prefix ``v``;
3. a reserved word (``and``, ``by``, ``if``, ``in``, ``long``, ``with``, ...) gets the suffix ``_``;
4. a name longer than 32 characters is cut to 32 (a derived name ``<stem>_<part>`` cuts
   the stem, so that the part stays: ``available_transportati_ambulance``);
5. a name already taken gets ``_2``, ``_3``, ... (the stem cut so that the result
   stays within 32 characters).

:func:`choice_column` names the 0/1 column of one choice of a select_multiple
question: ``<question>_<code>``, through :func:`safe_name`. A code without any ASCII
letter or digit (``是``, ``其他``), or longer than 16 characters, uses the choice's
1-based position in its list instead, so that ``q_是`` and ``q_否`` do not both
become ``q__``.

Examples
--------
>>> safe_name("channels_1")
'channels_1'
>>> safe_name("meta-instanceID")
'meta_instanceID'
>>> safe_name("_uuid"), safe_name("1st_visit"), safe_name("with")
('v_uuid', 'v1st_visit', 'with_')
>>> safe_name("a" * 40)
'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
>>> safe_name("Age", taken={"age"})
'Age_2'
>>> choice_column("channels", "1", 1)
'channels_1'
>>> choice_column("source", "-99", 5), choice_column("help", "其他", 3)
('source__99', 'help_3')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MAX_NAME", "choice_column", "derived_column", "is_safe_name", "safe_name"]

#: Longest safe name (Stata's limit; SPSS allows 64 bytes).
MAX_NAME = 32

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_SAFE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")

#: SPSS reserved keywords and Stata reserved words (lower case).
RESERVED = frozenset(
    {
        # SPSS
        "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with",
        # Stata
        "byte", "double", "float", "if", "in", "int", "long", "strl", "using", "_all", "_b",
        "_coef", "_cons", "_n", "_pi", "_pred", "_rc", "_skip",
    }
)  # fmt: skip


def is_safe_name(name: str) -> bool:
    """True when ``name`` is valid, unchanged, as an SPSS and as a Stata variable name.

    Examples
    --------
    >>> is_safe_name("hh_size"), is_safe_name("hh-size"), is_safe_name("_index")
    (True, False, False)
    """
    return (
        bool(_SAFE.fullmatch(name))
        and name.lower() not in RESERVED
        and not re.fullmatch(r"str\d+", name.lower())
    )


def safe_name(text: str, taken: Iterable[str] = ()) -> str:
    """A safe SPSS/Stata variable name for ``text``, unique among ``taken`` (see module doc)."""
    name = _UNSAFE.sub("_", str(text)) or "v"
    if not name[0].isalpha():
        name = "v" + name
    if name.lower() in RESERVED or re.fullmatch(r"str\d+", name.lower()):
        name += "_"
    name = name[:MAX_NAME]
    used = {t.lower() for t in taken}
    if name.lower() not in used:
        return name
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        if candidate.lower() not in used:
            return candidate
        n += 1


def _joined(stem: str, part: str, taken: Iterable[str]) -> str:
    """``<stem>_<part>`` with the stem cut so that the part survives the 32-character limit."""
    part = _UNSAFE.sub("_", part)
    stem = safe_name(stem)
    room = MAX_NAME - len(part) - 1
    return safe_name(f"{stem[:room]}_{part}", taken)


def choice_column(question: str, code: str, position: int, taken: Iterable[str] = ()) -> str:
    """Name of the 0/1 column of choice ``code`` (1-based ``position``) of ``question``.

    A code longer than 16 characters, or without any ASCII letter or digit, is
    replaced by the position; a long question name is cut so that the code stays.

    Examples
    --------
    >>> choice_column("available_transportation_types_to_referral_facility", "ambulance", 1)
    'available_transportati_ambulance'
    """
    part = code if re.search(r"[A-Za-z0-9]", code) and len(code) <= 16 else str(position)
    return _joined(question, part, taken)


def derived_column(question: str, suffix: str, taken: Iterable[str] = ()) -> str:
    """Name of a column derived from ``question`` (e.g. ``gps_latitude``).

    Examples
    --------
    >>> derived_column("gps", "latitude")
    'gps_latitude'
    """
    return _joined(question, suffix, taken)

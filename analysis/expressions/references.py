"""``${name}`` references in expressions and labels, read the way pyxform reads them.

pyxform (and so ODK Collect and KoboToolbox) accepts ``${name}``, where ``name`` is an
XML name (a question name), and ``${last-saved#name}`` (the answer of the last saved
record). Anything else between ``${`` and ``}`` is a malformed reference: pyxform rejects
the form, ``${ name }`` with spaces included, so loading such a form fails with INS027.
Here a malformed reference is not a reference: it is listed nowhere and kept as written.
This is the one place of the toolkit that finds ``${...}`` in text; the expression lexer
reads ``${name}`` tokens with the same name rule (:func:`analysis.expressions.lexer.is_name`)
but cannot evaluate ``${last-saved#name}`` (EXP006).

Examples
--------
>>> field_references("${age} >= 18 and selected(${crops}, 'rice') or ${age} = 99")
('age', 'crops')
>>> field_references("${ age } > 1"), field_references("no reference")
((), ())
>>> replace_references("Hello ${name}, ${ x }", lambda ref: ref.name.upper())
'Hello NAME, ${ x }'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from .lexer import is_name

__all__ = ["LAST_SAVED", "Reference", "field_references", "find_references", "replace_references"]

#: The prefix of a reference to the last saved record's answer: ``${last-saved#name}``.
LAST_SAVED = "last-saved#"

#: A possible reference: ``${`` up to the next ``}`` (pyxform's outer pattern).
_CANDIDATE = re.compile(r"\$\{([^}]*)\}")


class Reference(NamedTuple):
    """One well-formed ``${name}`` in a text.

    ``name`` is the question name (without ``last-saved#``), ``last_saved`` whether the
    reference is to the last saved record, ``start``/``end`` its span in the text.
    """

    name: str
    last_saved: bool
    start: int
    end: int


def _reference(match: re.Match[str]) -> Reference | None:
    inner = match.group(1)
    name = inner.removeprefix(LAST_SAVED)
    if not is_name(name):
        return None
    return Reference(name, name != inner, match.start(), match.end())


def find_references(text: str | None) -> list[Reference]:
    """Every well-formed ``${name}`` of ``text``, in order (repeats included).

    Examples
    --------
    >>> find_references("${a} + ${last-saved#b}")
    [Reference(name='a', last_saved=False, start=0, end=4), Reference(name='b', last_saved=True, start=7, end=22)]
    >>> find_references("${a${b}} ${}")
    []
    """
    if not text or "${" not in text:
        return []
    found = (_reference(m) for m in _CANDIDATE.finditer(str(text)))
    return [ref for ref in found if ref is not None]


def field_references(text: str | None) -> tuple[str, ...]:
    """Names referenced with ``${name}`` (or ``${last-saved#name}``) in ``text``, each once.

    ``text`` is an expression or a label; quoted strings are not skipped (a label piping
    ``${name}`` inside quotes still refers to the question).

    Examples
    --------
    >>> field_references("if(${a} > 0, concat(${b}, '${a}'), ${last-saved#c})")
    ('a', 'b', 'c')
    """
    return tuple(dict.fromkeys(ref.name for ref in find_references(text)))


def replace_references(text: str, replace: Callable[[Reference], str]) -> str:
    """``text`` with each well-formed ``${name}`` replaced by ``replace(reference)``.

    Malformed references (``${ name }``, ``${}``) are kept as written.

    Examples
    --------
    >>> replace_references("${a} = ${b}", lambda ref: "${" + {"a": "x"}.get(ref.name, ref.name) + "}")
    '${x} = ${b}'
    """

    def one(match: re.Match[str]) -> str:
        ref = _reference(match)
        return match.group() if ref is None else replace(ref)

    return _CANDIDATE.sub(one, text) if "${" in text else text

"""What kind of value an expression gives: a number, text, a truth value, a date.

XLSForm's ``calculate`` has no type: ODK stores every calculation as text. For the
cleaned data a calculation whose result is a number (a weight, a score, a count) should
be a number, so the readers ask :func:`value_kind` of its calculation. The answer comes
from the expression's outermost operation: arithmetic, ``round()``, ``sum()``,
``count()``, ``number()`` ... give numbers; ``concat()``, ``substr()`` ... text;
comparisons and ``and``/``or`` truth values; ``today()``/``date()`` dates. A reference
``${q}`` takes the kind of question ``q`` (through ``kind_of``), and ``if(c, a, b)`` or
``coalesce(a, b)`` the kind both branches share (an empty text ``''`` branch, ODK's
blank, fits any kind). Anything else is ``None``: not known, kept as text.

Examples
--------
>>> value_kind("round(${w} * ${n} div ${m}, 4)")
'number'
>>> value_kind("concat(${village_id}, ${hh_no})")
'text'
>>> value_kind("if(${age} >= 18, 1, '')")
'number'
>>> value_kind("${hh_size}", kind_of={"hh_size": "number"}.get)
'number'
>>> value_kind("${name}") is None
True
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import BadExpression
from .parser import parse_tree
from .tree import Binary, Call, Field, Negate, Node, Number, Text

__all__ = ["KINDS", "kind_of_type", "value_kind"]

#: The kinds :func:`value_kind` gives.
KINDS = ("number", "text", "boolean", "date", "datetime")

_NUMBER_FUNCTIONS = frozenset(
    {
        "number", "int", "round", "floor", "ceiling", "abs", "pow", "sqrt", "exp", "exp10",
        "log", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "pi", "min",
        "max", "count", "count-non-empty", "sum", "count-selected", "position",
        "string-length", "decimal-date-time", "decimal-time",
    }
)  # fmt: skip
_TEXT_FUNCTIONS = frozenset(
    {
        "string", "concat", "join", "substr", "substring", "substring-before",
        "substring-after", "normalize-space", "translate", "selected-at", "jr:choice-name",
        "choice-name", "format-date", "format-date-time", "uuid",
    }
)  # fmt: skip
_BOOLEAN_FUNCTIONS = frozenset(
    {
        "true", "false", "not", "boolean", "boolean-from-string", "regex", "checklist",
        "weighted-checklist", "contains", "starts-with", "ends-with", "selected",
        "is-selected",
    }
)  # fmt: skip
_DATE_FUNCTIONS = {"today": "date", "date": "date", "now": "datetime", "date-time": "datetime"}
_ARITHMETIC = frozenset({"+", "-", "*", "div", "mod"})
_LOGIC = frozenset({"and", "or", "=", "!=", "<", "<=", ">", ">="})

#: XLSForm question types and the kind of their answers.
_TYPE_KINDS = {
    "integer": "number",
    "decimal": "number",
    "range": "number",
    "date": "date",
    "today": "date",
    "datetime": "datetime",
    "start": "datetime",
    "end": "datetime",
}


def kind_of_type(question_type: str) -> str | None:
    """The kind of answer an XLSForm question type holds (``None``: text or unknown).

    >>> kind_of_type("decimal"), kind_of_type("select_one") is None
    ('number', True)
    """
    return _TYPE_KINDS.get(question_type)


def _blank(node: Node) -> bool:
    return isinstance(node, Text) and node.value == ""


def _branches(nodes: tuple[Node, ...], kind_of: Callable[[str], str | None] | None) -> str | None:
    kinds = {_kind(n, kind_of) for n in nodes if not _blank(n)}
    return kinds.pop() if len(kinds) == 1 else None


def _kind(node: Node, kind_of: Callable[[str], str | None] | None) -> str | None:
    if isinstance(node, Number | Negate):
        return "number"
    if isinstance(node, Text):
        return "text"
    if isinstance(node, Field):
        return kind_of(node.name) if kind_of else None
    if isinstance(node, Binary):
        if node.op in _ARITHMETIC:
            return "number"
        return "boolean" if node.op in _LOGIC else None
    if isinstance(node, Call):
        name = node.name
        if name in ("if",) and len(node.args) == 3:
            return _branches(node.args[1:], kind_of)
        if name in ("coalesce", "once") and node.args:
            return _branches(node.args, kind_of)
        if name in _NUMBER_FUNCTIONS:
            return "number"
        if name in _TEXT_FUNCTIONS:
            return "text"
        if name in _BOOLEAN_FUNCTIONS:
            return "boolean"
        return _DATE_FUNCTIONS.get(name)
    return None


def value_kind(expression: str, kind_of: Callable[[str], str | None] | None = None) -> str | None:
    """The kind of value ``expression`` gives: one of :data:`KINDS`, or ``None``.

    Parameters
    ----------
    expression : str
        An XLSForm expression (e.g. a ``calculation``).
    kind_of : callable, optional
        ``name -> kind`` of the questions the expression refers to.
    """
    try:
        tree = parse_tree(expression)
    except (BadExpression, RecursionError):
        return None
    return _kind(tree, kind_of)

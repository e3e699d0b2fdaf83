"""A form's rules read with the expression engine's parser, for words and for one answer.

The codebook and the paper questionnaire put simple rules into words
(:mod:`analysis.instrument.wording`), find the question a skip depends on, and test a
literal value (a missing code) against a constraint. This module gives them the syntax
tree of :func:`analysis.expressions.parse` plus two things the vectorised engine does not
need: the operands of an ``and``/``or`` chain as written (``a and b and c`` has three,
``(a and b) and c`` two), and a three-valued evaluation from a few answers.

A rule the engine cannot parse (unknown functions, ``instance()``, typos) has no tree
here and callers fall back to the raw expression. Like the rules' words, chained
comparisons without brackets (``${a} < ${b} < 3``) are not read either.

Evaluation is three-valued: a reference whose value is not given is *unknown*, and
``and``/``or``/``not`` propagate unknowns (``false and unknown`` is false), so a skip can
be decided from one answer alone when the rule allows it. Evaluating rules over data is
the job of the engine (``analysis.expressions.evaluate``), not of this module.

Examples
--------
>>> r = rule("${has_tv} = '1' and ${age} >= 18")
>>> [n.op for n in r.operands(r.tree)]
['=', '>=']
>>> references("${a} + ${b} > ../c")
('a', 'b', 'c')
>>> evaluate(r.tree, {"has_tv": "2"})
False
>>> evaluate(r.tree, {"has_tv": "1"}) is UNKNOWN
True
>>> evaluate(rule(". >= 0 and . <= 120").tree, {".": "999"})
False
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..expressions import BadExpression, field_references, parse
from ..expressions.lexer import tokenize
from ..expressions.tree import (
    Binary,
    Call,
    Current,
    Field,
    Negate,
    Node,
    Number,
    Text,
    as_binary,
    walk,
)

__all__ = [
    "ARITHMETIC",
    "COMPARISONS",
    "UNKNOWN",
    "Rule",
    "evaluate",
    "fields",
    "is_call",
    "is_comparison",
    "references",
    "rule",
]

#: Comparison operators.
COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
#: Arithmetic operators.
ARITHMETIC = frozenset({"+", "-", "*", "div", "mod"})


class _Unknown:
    """The value of a rule that depends on answers not given."""

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value")


UNKNOWN: Any = _Unknown()


def is_comparison(node: Node) -> bool:
    """True for ``a = b``, ``a < b``, ...

    >>> is_comparison(rule("${a} != 1").tree), is_comparison(rule("${a} + 1").tree)
    (True, False)
    """
    return isinstance(node, Binary) and node.op in COMPARISONS


def is_call(node: Node, *names: str) -> bool:
    """True for a call of one of ``names`` (of any function when none are given).

    >>> is_call(rule("selected(${a}, 'x')").tree, "selected", "not")
    True
    """
    return isinstance(node, Call) and (not names or node.name in names)


#: Rules with more nodes than this are left as written (no wording, no evaluation).
_MAX_NODES = 400


@dataclass(frozen=True)
class Rule:
    """A parsed rule: its text, the engine's syntax tree and where the text has brackets.

    ``bracketed`` holds the positions of the operators of the binary nodes written in
    brackets of their own (``(a and b)`` inside ``(a and b) or c``).
    """

    text: str
    tree: Node
    bracketed: frozenset[int]

    def operands(self, node: Node) -> tuple[Node, ...]:
        """The operands of an ``and``/``or`` chain as written; ``(node,)`` for other nodes.

        Examples
        --------
        >>> r = rule("${a} = 1 and ${b} = 2 and (${c} = 3 and ${d} = 4)")
        >>> len(r.operands(r.tree))
        3
        """
        if not (isinstance(node, Binary) and node.op in ("and", "or")):
            return (node,)
        out: list[Node] = []
        for side in (node.left, node.right):
            if isinstance(side, Binary) and side.op == node.op and side.pos not in self.bracketed:
                out.extend(self.operands(side))
            else:
                out.append(side)
        return tuple(out)


def _brackets(text: str) -> list[tuple[int, int]]:
    """Positions of every pair of round brackets (function calls' included)."""
    pairs, opened = [], []
    for token in tokenize(text):
        if token.kind == "(":
            opened.append(token.pos)
        elif token.kind == ")" and opened:
            pairs.append((opened.pop(), token.pos))
    return pairs


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Negate):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


@lru_cache(maxsize=4096)
def rule(expression: str | None) -> Rule | None:
    """The parsed rule, or ``None`` when the engine cannot parse it (or it is empty).

    Examples
    --------
    >>> rule("${a} > 3").tree.op, rule("count-selected(${b}) >= 2").tree.left.name
    ('>', 'count-selected')
    >>> rule("${a} > ") is None, rule("instance('x')/root/item[name=${a}]") is None
    (True, True)
    >>> rule("${a} < ${b} < 3") is None, rule("(${a} < ${b}) = true()") is None
    (True, False)
    """
    if expression is None or not str(expression).strip():
        return None
    text = str(expression)
    try:
        tree = parse(text).tree
    except BadExpression:
        return None
    if sum(1 for _ in walk(tree)) > _MAX_NODES:
        return None  # not a rule a person words on paper
    tree = as_binary(tree)  # the engine's flat chains, two operands at a time
    pairs = _brackets(text)
    bracketed = set()
    stack: list[tuple[Node, Node | None]] = [(tree, None)]
    while stack:
        node, parent = stack.pop()
        stack.extend((child, node) for child in _children(node))
        if not isinstance(node, Binary) or not isinstance(parent, Binary):
            continue
        if any(o < node.pos < c and not o < parent.pos < c for o, c in pairs):
            bracketed.add(node.pos)
        elif is_comparison(node) and is_comparison(parent):
            return None  # a chained comparison: not a simple rule
    return Rule(text, tree, frozenset(bracketed))


def references(expression: str | None) -> tuple[str, ...]:
    """Names of the questions an expression refers to (``${name}``, paths), in order.

    An expression the engine cannot parse still gives its ``${name}`` references.

    Examples
    --------
    >>> references("selected(${crops}, 'rice') and /data/grp/age > 3")
    ('crops', 'age')
    >>> references("pulldata('x', 'y', 'z', ${a}) = 1")
    ('a',)
    """
    if not expression:
        return ()
    try:
        tree = parse(str(expression)).tree
    except BadExpression:
        return field_references(str(expression))
    return tuple(dict.fromkeys(n.name for n in walk(tree) if isinstance(n, Field)))


def fields(node: Node | None) -> Iterator[str]:
    """Names of the questions a tree refers to, with repeats, in order.

    >>> list(fields(rule("${a} > 1 or ${b} = ${a}").tree))
    ['a', 'b', 'a']
    """
    if node is not None:
        yield from (n.name for n in walk(node) if isinstance(n, Field))


# ------------------------------------------------------------------ three-valued evaluation
def _number(value: Any) -> float:
    if value is UNKNOWN:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return math.nan


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _boolean(value: Any) -> Any:
    if value is UNKNOWN or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return str(value) != ""


def _compare(op: str, left: Any, right: Any) -> Any:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    numeric = isinstance(left, int | float | bool) or isinstance(right, int | float | bool)
    if op in ("=", "!=") and not numeric:
        equal = _text(left) == _text(right)
        return equal if op == "=" else not equal
    a, b = _number(left), _number(right)
    if math.isnan(a) or math.isnan(b):
        return op == "!="
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _arithmetic(op: str, a: float, b: float) -> Any:
    if math.isnan(a) or math.isnan(b):
        return UNKNOWN
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        return a / b if b else math.nan
    return math.fmod(a, b) if b else math.nan


def _logical(op: str, operands: tuple[Node, ...], values: Mapping[str, Any]) -> Any:
    unknown = False
    for operand in operands:
        value = _boolean(evaluate(operand, values))
        if value is UNKNOWN:
            unknown = True
        elif value is (op == "or"):
            return value
    return UNKNOWN if unknown else op == "and"


def evaluate(node: Node | None, values: Mapping[str, Any]) -> Any:
    """Evaluate a rule's tree given some answers; ``UNKNOWN`` when it depends on others.

    Parameters
    ----------
    node : Node
        A tree (``rule(...).tree``); ``None`` gives ``UNKNOWN``.
    values : mapping
        Answers by question name (strings as exported; select_multiple answers are
        space-separated codes); ``"."`` is the value of the question itself.

    Examples
    --------
    >>> evaluate(rule("${a} = '1' or ${b} > 2").tree, {"a": "1"})
    True
    >>> evaluate(rule("not(${a} = '')").tree, {"a": ""})
    False
    """
    if node is None:
        return UNKNOWN
    if isinstance(node, Number | Text):
        return node.value
    if isinstance(node, Current):
        return values.get(".", UNKNOWN)
    if isinstance(node, Field):
        return values.get(node.name, UNKNOWN)
    if isinstance(node, Negate):
        return -_number(evaluate(node.operand, values))
    if isinstance(node, Binary):
        if node.op in ("and", "or"):
            return _logical(node.op, (node.left, node.right), values)
        left, right = evaluate(node.left, values), evaluate(node.right, values)
        if node.op in COMPARISONS:
            return _compare(node.op, left, right)
        return _arithmetic(node.op, _number(left), _number(right))
    if isinstance(node, Call):
        return _call(node, values)
    return UNKNOWN


def _call(node: Call, values: Mapping[str, Any]) -> Any:
    name = node.name
    given = [evaluate(a, values) for a in node.args]
    if any(v is UNKNOWN for v in given):
        return UNKNOWN
    if name == "true":
        return True
    if name == "false":
        return False
    if name == "not" and len(given) == 1:
        value = _boolean(given[0])
        return UNKNOWN if value is UNKNOWN else not value
    if name == "selected" and len(given) == 2:
        return _text(given[1]).strip() in _text(given[0]).split()
    if name == "count-selected" and len(given) == 1:
        return float(len(_text(given[0]).split()))
    if name == "string-length" and len(given) == 1:
        return float(len(_text(given[0])))
    if name == "string" and len(given) == 1:
        return _text(given[0])
    if name == "number" and len(given) == 1:
        return _number(given[0])
    if name == "int" and len(given) == 1:
        n = _number(given[0])
        return float(math.trunc(n)) if not math.isnan(n) else n
    if name == "regex" and len(given) == 2:
        try:
            return re.search(_text(given[1]), _text(given[0])) is not None
        except re.error:
            return UNKNOWN
    return UNKNOWN

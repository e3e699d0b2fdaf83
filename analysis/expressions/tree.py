"""The syntax tree of an expression: small immutable nodes, each with its 1-based position.

A run of one precedence level with three or more operands (``a + b - c``, ``x and y and
z``) is one flat :class:`Chain`, not a deep left-leaning tree of :class:`Binary` nodes, so
that a 10,000-term sum is as shallow as a two-term one: every walker stays far from
Python's recursion limit. Two operands are a :class:`Binary`.

Paths are reduced to what XLSForm uses: ``${name}``, ``/data/.../name``, ``../name`` and
``current()/../name`` all become :class:`Field` (question names are unique in a form);
``.`` is :class:`Current`; ``..`` is :class:`Parent`; a bare ``name`` is :class:`Relative`
(a column of the choice list inside a ``choice_filter``).

Examples
--------
>>> from analysis.expressions.parser import parse_tree
>>> unparse(parse_tree("${a}+1 > 2 and not(.)"))
'((${a} + 1) > 2) and not(.)'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "Binary",
    "Call",
    "Chain",
    "Current",
    "Field",
    "Negate",
    "Node",
    "Number",
    "Parent",
    "Relative",
    "Text",
    "as_binary",
    "children",
    "fields_of",
    "unparse",
    "walk",
]


@dataclass(frozen=True, slots=True)
class Node:
    """Base of all nodes; ``pos`` is the 1-based position in the expression text."""

    pos: int


@dataclass(frozen=True, slots=True)
class Number(Node):
    """A number literal (XPath ``Number``)."""

    value: float


@dataclass(frozen=True, slots=True)
class Text(Node):
    """A string literal."""

    value: str


@dataclass(frozen=True, slots=True)
class Field(Node):
    """A reference to a question or repeat by name (``${name}`` or a path ending in it)."""

    name: str


@dataclass(frozen=True, slots=True)
class Current(Node):
    """``.``: the current question (its value in a constraint)."""


@dataclass(frozen=True, slots=True)
class Parent(Node):
    """``..`` (``levels`` times): the enclosing group or repeat instance."""

    levels: int = 1


@dataclass(frozen=True, slots=True)
class Relative(Node):
    """A bare relative name, e.g. ``county`` in a choice_filter (a choice-list column)."""

    name: str


@dataclass(frozen=True, slots=True)
class Negate(Node):
    """Unary minus."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """A binary operator: or and = != < <= > >= + - * div mod."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Chain(Node):
    """Three or more operands joined by operators of one precedence level, left to right.

    ``ops[i]`` joins the value so far and ``operands[i + 1]``: ``a + b - c`` is
    ``Chain(ops=('+', '-'), operands=(a, b, c))`` and means ``(a + b) - c``. ``pos`` is
    the position of the first operator.

    >>> from analysis.expressions.parser import parse_tree
    >>> tree = parse_tree("1 + 2 - 3")
    >>> tree.ops, len(tree.operands)
    (('+', '-'), 3)
    >>> [(op, unparse(right)) for op, right in tree.steps()]
    [('+', '2'), ('-', '3')]
    """

    ops: tuple[str, ...]
    operands: tuple[Node, ...]
    #: 1-based position of each operator (``ops[i]`` stands at ``op_positions[i]``).
    op_positions: tuple[int, ...] = ()

    def steps(self) -> Iterator[tuple[str, Node]]:
        """``(operator, right operand)`` after the first operand, in order."""
        return zip(self.ops, self.operands[1:], strict=True)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call."""

    name: str
    args: tuple[Node, ...]


def as_binary(node: Node) -> Node:
    """The tree with every :class:`Chain` written as nested :class:`Binary` nodes (left to
    right, each at its operator's position), for walkers that read operators two operands
    at a time (the paper questionnaire's wording). Forms' own rules are short; the engine
    itself keeps chains flat.

    >>> from analysis.expressions.parser import parse_tree
    >>> unparse(as_binary(parse_tree("${a} + 1 - ${b} > 2")))
    '((${a} + 1) - ${b}) > 2'
    >>> as_binary(parse_tree("1 + 2 + 3")).left.pos
    3
    """
    if isinstance(node, Chain):
        positions = node.op_positions or (node.pos,) * len(node.ops)
        left = as_binary(node.operands[0])
        for op, pos, right in zip(node.ops, positions, node.operands[1:], strict=True):
            left = Binary(pos, op, left, as_binary(right))
        return left
    if isinstance(node, Binary):
        return Binary(node.pos, node.op, as_binary(node.left), as_binary(node.right))
    if isinstance(node, Negate):
        return Negate(node.pos, as_binary(node.operand))
    if isinstance(node, Call):
        return Call(node.pos, node.name, tuple(as_binary(a) for a in node.args))
    return node


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node, left to right."""
    if isinstance(node, Negate):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Chain):
        return node.operands
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (left to right; no recursion, so
    any depth is fine)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def fields_of(node: Node) -> frozenset[str]:
    """Names referenced with ``${}`` or a path (the expression's dependencies)."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Field))


def unparse(node: Node) -> str:
    """The tree as expression text (fully parenthesised binaries)."""
    if isinstance(node, Number):
        v = node.value
        return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
    if isinstance(node, Text):
        quote = "'" if "'" not in node.value else '"'
        return f"{quote}{node.value}{quote}"
    if isinstance(node, Field):
        return "${" + node.name + "}"
    if isinstance(node, Current):
        return "."
    if isinstance(node, Parent):
        return "/".join([".."] * node.levels)
    if isinstance(node, Relative):
        return node.name
    if isinstance(node, Negate):
        return f"-({unparse(node.operand)})"
    if isinstance(node, Binary):
        return f"{_operand(node.left)} {node.op} {_operand(node.right)}"
    if isinstance(node, Chain):
        parts = [_operand(node.operands[0])]
        for op, right in node.steps():
            parts += [op, _operand(right)]
        return " ".join(parts)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(unparse(a) for a in node.args)})"
    raise TypeError(f"not an expression node: {node!r}")


def _operand(node: Node) -> str:
    text = unparse(node)
    return f"({text})" if isinstance(node, Binary | Chain) else text
